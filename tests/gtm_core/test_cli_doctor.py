"""`gtm doctor`: one line per check, what is missing and the command that fixes it."""

from __future__ import annotations

import json

from click.testing import CliRunner

import gtm_core.cli.doctor as doctor_module
from gtm_core.cli import cli


def test_doctor_reports_each_part_and_a_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("GTM_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    for part in ("extra [core]", "extra [scope]", "embedded model", "embedding model", "public data", "scope index", "npm clients", "llama-cpp-python"):
        assert part in result.output, part
    assert "checks ok" in result.output.splitlines()[-1]


def test_doctor_names_a_missing_extra_and_the_pip_command_that_installs_it(monkeypatch):
    real = doctor_module._installed
    monkeypatch.setattr(doctor_module, "_installed", lambda module: module != "tokenizers" and real(module))
    lines = CliRunner().invoke(cli, ["doctor"]).output.splitlines()
    at = next(i for i, line in enumerate(lines) if "extra [scope]" in line)
    assert lines[at].startswith("missing") and "tokenizers" in lines[at]
    assert "pip install" in lines[at + 1] and "[scope]" in lines[at + 1] and "gtm scope check" in lines[at + 1]


def test_doctor_without_a_data_folder_says_how_to_point_at_one(tmp_path, monkeypatch):
    monkeypatch.setenv("GTM_DATA_DIR", str(tmp_path / "none"))
    rows = [json.loads(line) for line in CliRunner().invoke(cli, ["doctor", "--json"]).output.splitlines()]
    data = next(r for r in rows if r["name"] == "public data")
    assert data["ok"] is False and "GTM_DATA_DIR" in data["fix"] and "gtm data fetch" in data["fix"]


def test_doctor_fails_only_when_the_core_is_missing(monkeypatch):
    real = doctor_module._installed
    monkeypatch.setattr(doctor_module, "_installed", lambda module: module != "jsonschema" and real(module))
    assert CliRunner().invoke(cli, ["doctor"]).exit_code == 1


def test_data_fetch_names_the_sources_and_checks_the_folder(tmp_path):
    empty = CliRunner().invoke(cli, ["data", "fetch", "--data", str(tmp_path)])
    assert empty.exit_code == 1
    assert "Seal-Tools" in empty.output and "TheAgentArk/Toucan" in empty.output and "not present" in empty.output
    assert "Nothing was downloaded" in empty.output

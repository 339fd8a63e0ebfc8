"""`gtm serve` options: help, and one-line errors for options that cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gtm_core.cli import cli


def _run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["serve", *args], env=env)


def test_serve_help_lists_every_option():
    """--help documents the transports, selection, paging, reload and safety options."""
    result = _run("--help")
    assert result.exit_code == 0
    for option in ("--catalog", "--engine", "--transport", "--host", "--port", "--field", "--tools", "--page-size",
                   "--first-page-size", "--seed", "--cache", "--fault-rate", "--meta-tools", "--reload-interval",
                   "--token-env", "--max-argument-bytes", "--max-request-bytes"):  # fmt: skip
        assert option in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "nope"], "unknown engine 'nope'"),
        (["--catalog", "does/not/exist.jsonl"], "no such file or folder"),
        (["--field", "Astrology"], "no tool of the catalog is in field 'Astrology'"),
        (["--tools", "zz_no_such_*"], "no tool of the catalog matches --tools zz_no_such_*"),
        (["--transport", "http", "--token-env", "GTM_TEST_UNSET_TOKEN"], "GTM_TEST_UNSET_TOKEN is not set"),
        (["--token-env", "GTM_TEST_UNSET_TOKEN"], "--token-env only applies to --transport http"),
        (["--page-size", "0"], "--page-size"),
        (["--transport", "ftp"], "--transport"),
    ],
)
def test_options_that_cannot_work_fail_with_one_clear_line(args, message):
    """Bad options exit non-zero with a message naming the problem, and no traceback."""
    result = _run(*args, env={"GTM_TEST_UNSET_TOKEN": ""})
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_catalog_folder_with_an_unknown_field_lists_the_fields_it_has(tmp_path: Path):
    """The --field error names the fields that exist, so the fix is obvious."""
    (tmp_path / "t.jsonl").write_text('{"name": "get_weather", "field": "Weather"}\n', encoding="utf-8")
    result = _run("--catalog", str(tmp_path), "--field", "Finance")
    assert result.exit_code != 0 and "fields: 'Weather'" in result.output

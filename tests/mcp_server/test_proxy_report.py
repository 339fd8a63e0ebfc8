"""`gtm proxy report` (``mcp_server.report``): how simulated answers agree with real ones, per tool."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gtm_core import ToolSpec
from gtm_core.cli import cli
from mcp_server.recording import Recorder, call_record
from mcp_server.report import compare


@pytest.mark.parametrize(
    "real, real_error, simulated, simulated_error, expected",
    [
        ('{"a": 1, "b": 2}', False, '{"b": 0, "a": 5}', False, (True, True, True, 1.0)),
        ('{"a": 1, "b": 2}', False, '{"a": 1, "c": 3}', False, (True, True, False, 1 / 3)),
        ("[1, 2]", False, '{"a": 1}', False, (True, True, None, None)),
        ("Echo: hi", False, '{"message": "hi"}', False, (False, True, None, None)),
        ("42", False, "plain words", False, (True, True, None, None)),  # a bare number is text, like prose
        ("{}", True, "{}", False, (True, False, True, 1.0)),
    ],
)
def test_a_pair_agrees_on_format_fields_and_errors_as_documented(real, real_error, simulated, simulated_error, expected):
    agreement = compare(real, real_error, simulated, simulated_error)
    assert (agreement.format, agreement.errors, agreement.same_fields, agreement.fields_jaccard) == pytest.approx(expected)


def test_gtm_proxy_report_sums_agreement_up_per_tool_as_a_table_and_as_json(tmp_path):
    """Shadowed records are compared; real records without a simulated answer are only counted;
    unreadable lines are skipped and counted."""
    spec = ToolSpec("get_user", "A user.", parameters={"type": "object", "properties": {"id": {"type": "string"}}})
    other = ToolSpec("ping", "Ping.")
    path = tmp_path / "record.jsonl"
    with Recorder(path) as recorder:
        for real, simulated in [({"id": "1", "name": "Ada"}, {"id": "9", "name": "Bob"}), ({"id": "2", "name": "Al"}, {"id": "7", "email": "x"})]:
            sim = {"content": json.dumps(simulated), "is_error": False}
            recorder.write(call_record(spec, {"id": real["id"]}, real, is_error=False, server="users", simulated=sim))
        recorder.write(call_record(other, {}, "pong", is_error=False, server="users"))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("not json\n")

    table = CliRunner().invoke(cli, ["proxy", "report", str(path)])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["tool", "real", "shadowed", "format", "same", "keys", "keys", "Jaccard", "errors"]
    assert lines[2].split() == ["get_user", "2", "2", "100%", "50%", "0.67", "100%"]
    assert lines[3].split() == ["ping", "1", "0", "-", "-", "-", "-"]
    assert "3 records, 2 shadowed, 1 unreadable lines skipped" in table.output

    as_json = CliRunner().invoke(cli, ["proxy", "report", str(path), "--json"])
    data = json.loads(as_json.output)
    assert data["records"] == 3 and data["unreadable_lines"] == 1
    assert data["tools"][0] == {
        "tool": "get_user", "servers": ["users"], "real_calls": 2, "shadowed": 2, "format_agree": 1.0,
        "object_pairs": 2, "same_fields": 0.5, "fields_jaccard": pytest.approx(0.6667, abs=1e-4), "errors_agree": 1.0,
    }  # fmt: skip


def test_gtm_proxy_report_on_a_recording_without_shadow_calls_says_how_to_get_them(tmp_path):
    path = tmp_path / "record.jsonl"
    with Recorder(path) as recorder:
        recorder.write(call_record(ToolSpec("ping", "Ping."), {}, "pong", is_error=False))
    result = CliRunner().invoke(cli, ["proxy", "report", str(path)])
    assert result.exit_code == 0 and "run the proxy with --policy shadow" in result.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert "no recorded real calls" in CliRunner().invoke(cli, ["proxy", "report", str(empty)]).output

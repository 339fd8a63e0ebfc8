"""Sim vs real: the simulated twins of the npm reference servers server-memory and
server-filesystem answer a scripted sequence of reads after writes as the real servers do."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import state_real  # noqa: E402  (benchmarks/ is scripts, not a package)

_PROGRAMS = {"memory": "mcp-server-memory", "filesystem": "mcp-server-filesystem"}


@pytest.mark.slow
@pytest.mark.parametrize("server", sorted(_PROGRAMS))
def test_the_simulated_twin_answers_every_read_as_the_real_server_does(server, tmp_path):
    if not (state_real.NODE_BIN / _PROGRAMS[server]).exists():
        pytest.skip(f"{_PROGRAMS[server]} is not installed under {state_real.NODE_BIN} (.ci/setup installs it)")
    row = state_real.run_server(server, tmp_path, "closed")
    assert row["reads"] >= 15
    assert row["disagreements"] == []


def test_views_ignore_order_formatting_and_folder_marks():
    graph = {"entities": [{"name": "B", "entityType": "t", "observations": ["y", "x"]}, {"name": "A", "entityType": "t", "observations": []}],
             "relations": [{"from": "A", "to": "B", "relationType": "knows"}]}  # fmt: skip
    shuffled = {"relations": graph["relations"], "entities": list(reversed(graph["entities"]))}
    shuffled["entities"][1] = {**shuffled["entities"][1], "observations": ["x", "y"]}
    assert state_real.view_of("graph", False, graph, "") == state_real.view_of("graph", False, shuffled, "")
    assert state_real.view_of("entries", False, {"content": "[FILE] a.txt\n[DIR] sub"}, "") == ["a.txt", "sub"]
    assert state_real.view_of("entries", False, {"content": "a.txt\nsub/"}, "") == ["a.txt", "sub"]
    assert state_real.view_of("content", True, None, "ENOENT") == "error"

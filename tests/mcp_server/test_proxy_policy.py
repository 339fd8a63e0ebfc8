"""Routing policies of the proxy (``mcp_server.policy``): parsing, rules, warm-up counting, the policy file."""

from __future__ import annotations

import logging

import pytest

from mcp_server.policy import CallCounter, Policy, PolicyError, PolicyFile, PolicyTable, choose, parse_step


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sim", Policy("sim")),
        ("REAL", Policy("real")),
        ("warmup:30", Policy("warmup", 30, "tool")),
        ("warmup:30/tool", Policy("warmup", 30, "tool")),
        ("warmup:5/episode", Policy("warmup", 5, "episode")),
        ("warmup:0/step", Policy("warmup", 0, "step")),
        (" fallback ", Policy("fallback")),
        ("shadow", Policy("shadow")),
    ],
)
def test_every_documented_policy_form_parses_and_prints_back(text, expected):
    """Each form of the docs reads into its Policy, and prints in its short form."""
    policy = Policy.parse(text)
    assert policy == expected
    assert Policy.parse(str(policy)) == policy


@pytest.mark.parametrize("text", ["simulate", "warmup", "warmup:", "warmup:x", "warmup:-1", "warmup:3/day", "real:3", ""])
def test_a_policy_that_is_not_one_of_the_forms_is_refused_with_the_forms_listed(text):
    with pytest.raises(PolicyError, match="warmup:N"):
        Policy.parse(text)


def test_rules_match_the_exposed_or_the_upstream_name_and_the_first_match_wins():
    """GLOB=POLICY rules in order, then the default; two defaults are refused."""
    table = PolicyTable.parse(["fallback", "memory__*=shadow", "read_*=real", "*graph=sim"])
    assert table.policy_for("read_graph") == Policy("real")  # first match, though *graph matches too
    assert table.policy_for("memory__read_graph", "read_graph") == Policy("shadow")
    assert table.policy_for("memory2__read_graph", "read_graph") == Policy("real")  # by its upstream name
    assert table.policy_for("write_graph") == Policy("sim")
    assert table.policy_for("search_nodes") == Policy("fallback")
    assert PolicyTable.parse([]).policy_for("anything") == Policy("sim")
    with pytest.raises(PolicyError, match="two default policies"):
        PolicyTable.parse(["sim", "real"])
    with pytest.raises(PolicyError, match="GLOB=POLICY"):
        PolicyTable.parse(["=real"])


def test_warm_up_counts_calls_per_tool_per_episode_or_by_the_training_step():
    """warmup:2 simulates each tool's first two calls; /episode restarts the count per episode;
    /step simulates while the caller's step is below N (a call without a step counts per tool)."""
    counter = CallCounter()
    per_tool, per_episode, per_step = Policy.parse("warmup:2"), Policy.parse("warmup:2/episode"), Policy.parse("warmup:2/step")
    routes = []
    for episode in ("e1", "e1", "e2", "e2"):
        before_tool, before_episode = counter.count("read_graph", episode)
        routes.append((choose(per_tool, before_tool=before_tool, before_episode=before_episode, step=None),
                       choose(per_episode, before_tool=before_tool, before_episode=before_episode, step=None)))  # fmt: skip
    assert routes == [("sim", "sim"), ("sim", "sim"), ("real", "sim"), ("real", "sim")]
    assert [choose(per_step, before_tool=99, before_episode=99, step=s) for s in (0, 1, 2, 7)] == ["sim", "sim", "real", "real"]
    assert choose(per_step, before_tool=0, before_episode=0, step=None) == "sim"
    assert counter.calls("read_graph") == 4 and counter.calls("other") == 0
    assert [parse_step(v) for v in (3, "12", "x", True, None, 2.5)] == [3, 12, None, None, None, None]


def test_per_episode_counters_are_bounded():
    counter = CallCounter(max_episodes=3)
    for i in range(10):
        counter.count("t", f"e{i}")
    assert len(counter._episodes) == 3
    assert counter.count("t", "e0") == (10, 0)  # e0 was forgotten: its count starts again


def test_a_policy_file_comes_before_the_command_line_and_is_read_again_when_it_changes(tmp_path, caplog):
    """The file's rules come first and its default wins; an edit is seen at the next look; a broken
    file keeps the policies before; a removed file leaves the command line's."""
    path = tmp_path / "policies.txt"
    base = PolicyTable.parse(["warmup:3", "echo=shadow"])
    watched = PolicyFile(path, base=base)
    assert watched.table == base  # no file yet

    path.write_text("# routing\nreal\nget-*=fallback   # flaky ones\n", encoding="utf-8")
    assert watched.refresh() is True
    assert watched.table.policy_for("get-sum") == Policy("fallback")
    assert watched.table.policy_for("echo") == Policy("shadow")
    assert watched.table.policy_for("read_graph") == Policy("real")
    assert watched.refresh() is False  # unchanged

    path.write_text("echo=sometimes\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="mcp_server.policy"):
        assert watched.refresh() is False
    assert "unknown policy 'sometimes'" in caplog.text
    assert watched.table.policy_for("read_graph") == Policy("real")  # kept

    path.write_text("echo=sim\n", encoding="utf-8")
    watched.refresh()
    assert watched.table.policy_for("echo") == Policy("sim")
    assert watched.table.policy_for("read_graph") == Policy("warmup", 3)  # no default in the file: the command line's

    path.unlink()
    watched.refresh()
    assert watched.table == base

"""Exclusive regions: clustering the uncovered tools and naming them by their words."""

from __future__ import annotations

import numpy as np

from analysis.market import ToolRecord
from analysis.regions import exclusive_regions


def _record(server: str, name: str, description: str) -> ToolRecord:
    return ToolRecord(server, name, description, {}, "market")


def test_uncovered_tools_form_named_regions_largest_first():
    """Slack, GitHub and weather tools cluster apart and each region is named by its words."""
    rng = np.random.default_rng(0)
    groups = {
        "slack": [("Slack", f"post_message_{i}", "Post a message to a Slack channel") for i in range(12)],
        "github": [("GitHub", f"merge_pull_request_{i}", "Merge a GitHub pull request in a repository") for i in range(8)],
        "weather": [("Weather", f"forecast_{i}", "Weather forecast for a city") for i in range(5)],
    }
    records, vectors = [], []
    for k, (_, rows) in enumerate(groups.items()):
        centre = np.zeros(16)
        centre[k] = 1.0
        for row in rows:
            records.append(_record(*row))
            vectors.append(centre + 0.05 * rng.normal(size=16))
    covered = np.zeros(len(records), dtype=bool)
    covered[-5:] = True  # the weather tools are covered by the other side
    frame = exclusive_regions(records, np.array(vectors), covered, n_clusters=2)
    assert list(frame["size"]) == [12, 8]
    assert {"slack", "channel"} <= set(frame.loc[0, "words"])
    assert {"github", "merge", "pull"} & set(frame.loc[1, "words"])
    assert frame.loc[0, "examples"][0].startswith("Slack/")
    assert frame.loc[0, "servers"] == [("Slack", 12)]
    assert "weather" not in " ".join(frame["label"])


def test_nothing_uncovered_gives_an_empty_table():
    """When the other side covers everything there is no region."""
    records = [_record("s", "a", "x"), _record("s", "b", "y")]
    frame = exclusive_regions(records, np.eye(2), np.ones(2, dtype=bool))
    assert frame.empty and "label" in frame.columns

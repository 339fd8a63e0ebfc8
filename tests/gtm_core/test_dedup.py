"""Deduplication by cosine similarity of tool names, saying what was dropped."""

from __future__ import annotations

import pytest

from gtm_core import ToolSpec, deduplicate


def _specs(*names):
    return [ToolSpec(n, "d") for n in names]


def test_near_duplicate_names_are_dropped_in_favour_of_the_first():
    """getWeather and get_weather are the same words; the later one goes, naming the kept one."""
    kept, dropped = deduplicate(_specs("get_weather", "send_email", "getWeather"))
    assert kept.names == ["get_weather", "send_email"]
    (item,) = dropped
    assert (item.tool.name, item.kept.name) == ("getWeather", "get_weather")
    assert item.similarity > 0.99
    assert "getWeather" in str(item)


def test_exact_repeats_are_always_duplicates():
    """Two tools with one name are duplicates whatever the threshold."""
    kept, dropped = deduplicate(_specs("lookup", "lookup"), threshold=0.99)
    assert kept.names == ["lookup"] and len(dropped) == 1


def test_the_threshold_decides_how_similar_is_too_similar():
    """Similar but different names are kept at a high threshold and dropped at a low one."""
    names = ("get_weather_forecast", "get_weather_forecasts")
    assert len(deduplicate(_specs(*names), threshold=0.95)[1]) == 0
    assert len(deduplicate(_specs(*names), threshold=0.5)[1]) == 1


def test_different_names_are_kept():
    """Unrelated tools all survive."""
    kept, dropped = deduplicate(_specs("create_order", "delete_file", "translate_text"))
    assert len(kept) == 3 and dropped == []


@pytest.mark.parametrize("threshold", [0, 1, 1.5, -0.1])
def test_a_threshold_outside_zero_to_one_is_rejected(threshold):
    """The threshold must lie strictly between 0 and 1."""
    with pytest.raises(ValueError, match="threshold"):
        deduplicate(_specs("a"), threshold=threshold)

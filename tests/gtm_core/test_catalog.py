"""Catalog: loading files and folders, lookup, filters, search, stats, saving."""

from __future__ import annotations

import json

import pytest

from gtm_core import Catalog, CatalogError, CatalogLineError, ToolSpec, UnknownToolError


def _spec(name, field=None, subfield=None, description=""):
    return ToolSpec(name, description, field=field, subfield=subfield)


@pytest.fixture
def small():
    return Catalog(
        [
            _spec("get_weather", "Weather", "Forecasts", "Current weather conditions for a city."),
            _spec("get_forecast", "Weather", "Forecasts", "Five day weather forecast."),
            _spec("create_order", "Commerce", "Orders", "Create a customer order."),
            _spec("get_order", "Commerce", "Orders", "Fetch an order by id."),
        ]
    )


def test_filter_by_field_subfield_and_name_glob(small):
    """Filters combine: field and subfield (case-insensitive) and name globs."""
    assert small.filter(field="weather").names == ["get_weather", "get_forecast"]
    assert small.filter(subfield="Orders", names="get_*").names == ["get_order"]
    assert small.filter(names=["*order", "get_w*"]).names == ["get_weather", "create_order", "get_order"]


def test_search_ranks_name_matches_first(small):
    """A word in a tool's name outranks the same word in another tool's description."""
    results = small.search("order")
    assert [s.name for s, _ in results][:2] == ["create_order", "get_order"]
    assert all(0 < score <= 1 for _, score in results)
    assert small.search("nothing-like-it") == []


def test_unknown_names_suggest_the_closest(small):
    """get() of a misspelt name raises UnknownToolError listing close names."""
    with pytest.raises(UnknownToolError) as info:
        small.get("get_wether")
    assert "get_weather" in info.value.suggestions
    assert "did you mean 'get_weather'" in str(info.value)


def test_stats_count_tools_fields_and_break_down_by_field(small):
    """Stats hold integer tools and fields and a per-field breakdown."""
    stats = small.stats()
    assert (stats["tools"], stats["fields"], stats["subfields"]) == (4, 2, 2)
    assert stats["by_field"]["Weather"] == {"tools": 2, "subfields": {"Forecasts": 2}}


@pytest.mark.parametrize("name", ["cat.jsonl", "cat.jsonl.gz"])
def test_save_then_load_gives_the_same_tools(small, tmp_path, name):
    """A catalog saved as (gzipped) JSONL loads back equal."""
    path = small.save(tmp_path / name)
    assert Catalog.load(path).tools == small.tools


def test_a_folder_loads_every_catalog_file_inside(small, tmp_path):
    """Loading a folder reads all *.jsonl files in it, sorted, and skips hidden ones."""
    Catalog(small.tools[:2]).save(tmp_path / "a.jsonl")
    Catalog(small.tools[2:]).save(tmp_path / "sub" / "b.jsonl")
    (tmp_path / ".hidden.jsonl").write_text("junk\n", encoding="utf-8")
    loaded = Catalog.load(tmp_path)
    assert loaded.names == small.names
    assert loaded.problems == []


def test_many_files_load_at_once_and_origins_name_file_and_line(small, tmp_path):
    """Catalog.load takes several paths; each spec remembers path:line."""
    first = Catalog(small.tools[:1]).save(tmp_path / "one.jsonl")
    second = Catalog(small.tools[1:]).save(tmp_path / "two.jsonl")
    loaded = Catalog.load(first, second)
    assert len(loaded) == 4
    assert loaded.get("get_forecast").origin == f"{second}:1"


def test_broken_lines_are_kept_as_problems_unless_strict(tmp_path):
    """A broken line does not stop the others from loading; strict=True raises instead."""
    path = tmp_path / "cat.jsonl"
    path.write_text(json.dumps({"name": "ok"}) + "\n[broken\n", encoding="utf-8")
    loaded = Catalog.load(path)
    assert loaded.names == ["ok"]
    assert loaded.problems[0].line == 2
    with pytest.raises(CatalogLineError):
        Catalog.load(path, strict=True)


def test_missing_paths_give_a_clear_error(tmp_path):
    """A path that does not exist, or an empty folder, raises CatalogError naming it."""
    with pytest.raises(CatalogError, match="no such file"):
        Catalog.load(tmp_path / "nope.jsonl")
    with pytest.raises(CatalogError, match="no catalog files"):
        Catalog.load(tmp_path)

"""Applicability: the calibrated coverage score, the flags, the verdict rules and the index.

Unit tests use a fake, deterministic bag-of-words embedder (the index takes any object with
``embed`` and ``model_id``); the tests on the public data use the packaged model on a sample.
"""

from __future__ import annotations

import hashlib
import math
import re
import time

import numpy as np
import pytest

from analysis.applicability import ScopeIndex, leave_one_out
from analysis.flags import find_flags, learn_platform_terms
from analysis.market import ToolRecord
from analysis.queries import ScopeIndexError, as_record
from analysis.verdicts import (
    DISCOUNTS,
    DO_NOT_SIMULATE,
    FINE_TUNE_FIRST,
    LOW,
    MID,
    SIMULATE,
    VERDICTS,
    WARM_UP,
    Applicability,
    decide,
)
from gtm_core.spec import ToolSpec


class BagOfWords:
    """A deterministic stand-in for a sentence embedder: hashed word counts, normalised."""

    model_id = "test/bag-of-words"

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.calls = 0

    def embed(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


def rec(name, description, *, server=None, source="training"):
    return ToolRecord(server=server, name=name, description=description, input_schema={}, source=source)


TRAINING = [
    rec("get_weather", "Get the weather forecast for a city"),
    rec("get_hourly_weather", "Get the hourly weather forecast for a city"),
    rec("convert_units", "Convert a value between units of length and weight"),
    rec("convert_temperature_units", "Convert a temperature between units"),
    rec("sql_query", "Run a SQL query on a database table"),
    rec("query_table", "Query a database table with SQL and return rows"),
    rec("translate_text", "Translate a text into another language"),
    rec("detect_language", "Detect the language of a text"),
]
MARKET = [
    rec("slack_post_message", "Post a message to a Slack channel", server="Slack", source="market"),
    rec("slack_list_channels", "List the channels of a Slack workspace", server="Slack", source="market"),
    rec("create_page", "Create a page in an Acmewiki space", server="Acmewiki", source="market"),
    rec("search_pages", "Search the pages of Acmewiki", server="acmewiki-mcp", source="market"),
    rec("export_page", "Export an Acmewiki page as PDF", server="wiki-tools", source="market"),
    rec("web_search", "Search the web for a query", server="Search", source="market"),
]


@pytest.fixture
def index() -> ScopeIndex:
    embedder = BagOfWords()
    return ScopeIndex.build(TRAINING, MARKET, embedder=embedder)


# ---- the score ---------------------------------------------------------------------------------
def test_the_score_is_the_mid_rank_percentile_within_the_training_leave_one_out_similarities(index):
    calibration = index.calibration
    assert len(calibration) == len(TRAINING) and np.all(np.diff(calibration) >= 0)
    median = float(np.median(calibration))
    below = np.sum(calibration < median) + 0.5 * np.sum(calibration == median)
    assert float(index.percentile(median)) == pytest.approx(below / len(calibration))
    assert float(index.percentile(-1.0)) == 0.0 and float(index.percentile(1.01)) == 1.0


def test_a_tool_with_a_training_apis_text_scores_one_and_is_simulated(index):
    result = index.score("convert_units: Convert a value between units of length and weight")
    assert result.score == pytest.approx(1.0) and result.coverage == pytest.approx(1.0)
    assert result.verdict == SIMULATE
    assert result.neighbours[0]["side"] == "training" and result.neighbours[0]["name"] == "convert_units"
    assert result.neighbours[0]["similarity"] == pytest.approx(1.0, abs=1e-4)


def test_leave_one_out_ignores_the_row_itself_and_exact_copies_of_its_text():
    vectors = np.array([[1, 0], [1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
    texts = ["a", "a", "b", "c"]
    loo = leave_one_out(vectors, texts)
    # rows 0 and 1 are copies: each sees row 2 (0.8) as its nearest, not the other copy (1.0)
    assert sorted(loo.tolist()) == pytest.approx(sorted([0.8, 0.8, 0.8, 0.6]))
    assert leave_one_out(vectors, None).max() == pytest.approx(1.0)


def test_scores_are_in_the_unit_interval_and_neighbours_come_from_both_sides_by_similarity(index):
    for result in index.score_many(["Post a message to a Slack channel", ("translate", "Translate text"), "zebra quantum"]):
        assert 0.0 <= result.score <= 1.0
        sides = [n["side"] for n in result.neighbours]
        assert sides == ["training"] * 5 + ["market"] * 5
        for side in ("training", "market"):
            sims = [n["similarity"] for n in result.neighbours if n["side"] == side]
            assert sims == sorted(sims, reverse=True)


def test_score_many_keeps_the_input_order_and_embeds_in_one_batch():
    embedder = BagOfWords()
    index = ScopeIndex.build(TRAINING, MARKET, embedder=embedder)
    before = embedder.calls
    texts = [f"tool_{i}: Convert units number {i}" for i in range(40)]
    results = index.score_many(texts, batch_size=7)
    assert [r.tool for r in results] == [f"tool_{i}" for i in range(40)]
    assert embedder.calls == before + 1


def test_a_sample_keeps_that_many_tools_of_each_side_reproducibly():
    a = ScopeIndex.build(TRAINING, MARKET, embedder=BagOfWords(), sample=4, seed=3)
    b = ScopeIndex.build(TRAINING, MARKET, embedder=BagOfWords(), sample=4, seed=3)
    assert len(a.training) == 4 and len(a.market) == 4
    assert [r.name for r in a.training] == [r.name for r in b.training]
    with pytest.raises(ScopeIndexError):
        ScopeIndex.build(TRAINING, MARKET, embedder=BagOfWords(), sample=0)


# ---- flags ---------------------------------------------------------------------------------
def test_platform_names_are_found_in_tool_names_descriptions_and_servers():
    assert find_flags(rec("slack_post_message", "Post a message"))["platform"] == ["slack"]
    assert find_flags(rec("merge", "Merge a pull request on GitHub"))["platform"] == ["github"]
    assert find_flags(rec("upload", "Upload a file to Google Drive"))["platform"] == ["google drive"]
    assert find_flags(rec("list_pods", "List pods", server="Kubernetes"))["platform"] == ["kubernetes"]


def test_platform_names_that_are_ordinary_words_match_only_as_written():
    assert find_flags(rec("fit", "Fit a linear regression to the data"))["platform"] == []
    assert find_flags(rec("create_issue", "Create an issue in Linear"))["platform"] == ["Linear"]
    assert find_flags(rec("zoom_image", "zoom into an image"))["platform"] == []


def test_side_effects_private_data_and_real_time_words_are_found_with_their_inflections():
    flags = find_flags(rec("transfer_funds", "Sends money from the user's account and deletes the draft"))
    assert flags["side_effects"] == ["transfer", "send", "delete"]
    assert flags["private_data"] == ["user", "account"]
    assert find_flags(rec("get_quote", "Latest stock prices, updated live"))["realtime"] == ["quote", "latest", "stock", "price", "live"]
    assert find_flags(rec("exec", "Run a shell command on the host"))["side_effects"] == ["exec", "shell"]
    assert find_flags(rec("runner", "Run code in a sandbox"))["side_effects"] == ["run code"]


def test_a_self_contained_tool_raises_no_flag():
    flags = find_flags(rec("convert_units", "Convert a length from kilometres to miles"))
    assert flags == {"platform": [], "side_effects": [], "private_data": [], "realtime": []}


def test_platform_terms_are_learned_from_capitalised_words_dense_in_the_market_and_absent_from_training():
    terms = learn_platform_terms(MARKET, TRAINING, min_servers=3)
    assert "acmewiki" in terms  # three servers name it mid-sentence, always capitalised, training never does
    assert "search" not in terms and "Search" not in terms  # an ordinary word: written in lower case too
    assert "slack" not in terms  # one server only (the curated list knows it anyway)
    assert find_flags(rec("acmewiki_create", "Create a page"), terms)["platform"] == ["acmewiki"]
    assert find_flags(rec("create", "Create a page in Acmewiki"), terms)["platform"] == ["acmewiki"]


def test_learned_terms_that_are_training_words_match_only_as_written():
    market = [rec(f"t{i}", "Create an issue in Beacon for the team", server=f"s{i}", source="market") for i in range(3)]
    training = TRAINING + [rec("signal", "Send a beacon signal")]
    terms = learn_platform_terms(market, training, min_servers=3, ratio=1.0)
    assert "Beacon" in terms
    assert find_flags(rec("beacon_ping", "Ping a beacon"), terms)["platform"] == []
    assert find_flags(rec("issue", "File it in Beacon"), terms)["platform"] == ["Beacon"]


def test_capitals_at_the_start_of_a_sentence_are_not_taken_for_products():
    market = [rec(f"t{i}", "Obtains the list. Obtains more.", server=f"s{i}", source="market") for i in range(4)]
    assert learn_platform_terms(market, TRAINING, min_servers=3) == []


def test_the_index_learns_platform_terms_when_it_is_built(index):
    assert "acmewiki" in index.platform_terms
    assert index.score("export: Export an Acmewiki page").flags["platform"] == ["acmewiki"]


# ---- verdict rules ---------------------------------------------------------------------------
NO_FLAGS = {"platform": [], "side_effects": [], "private_data": [], "realtime": []}


def flags(**raised):
    return {**NO_FLAGS, **raised}


@pytest.mark.parametrize(
    ("score", "raised", "verdict"),
    [
        (0.9, {}, SIMULATE),
        (LOW, {}, SIMULATE),
        (0.9, {"platform": ["slack"]}, WARM_UP),
        (0.6, {"realtime": ["weather"]}, WARM_UP),
        (0.6, {"side_effects": ["send"]}, WARM_UP),
        (0.6, {"private_data": ["account"]}, WARM_UP),
        (LOW / 2, {}, FINE_TUNE_FIRST),
        (0.0, {}, FINE_TUNE_FIRST),
        (LOW / 2, {"platform": ["github"], "side_effects": ["merge"]}, DO_NOT_SIMULATE),
        (0.0, {"realtime": ["price"]}, DO_NOT_SIMULATE),
    ],
)
def test_the_verdict_follows_the_documented_rules(score, raised, verdict):
    assert decide(score, flags(**raised))[0] == verdict


def test_the_reasons_name_the_coverage_and_every_raised_flag_in_a_fixed_order():
    verdict, _, reasons = decide(
        0.01, flags(platform=["slack"], side_effects=["post"], private_data=["user"], realtime=["live"]), market_only="near X"
    )
    assert verdict == DO_NOT_SIMULATE
    assert reasons[0].startswith("low coverage (0.01)")
    assert reasons[1:] == [
        "in a market-only region: near X",
        "depends on a named external platform: slack",
        "acts on the outside world: post",
        "touches private data: user",
        "needs real-time facts: live",
    ]
    assert decide((LOW + MID) / 2, NO_FLAGS)[2][0].startswith("limited coverage")
    assert decide(0.8, NO_FLAGS)[2][0].startswith("covered (0.80)")


def test_the_score_is_the_coverage_discounted_once_for_each_reason_to_prefer_the_real_tool():
    assert decide(0.8, NO_FLAGS)[1] == pytest.approx(0.8)
    assert decide(0.8, flags(platform=["slack", "discord"]))[1] == pytest.approx(0.8 * DISCOUNTS["platform"])
    everything = flags(platform=["a"], side_effects=["b"], private_data=["c"], realtime=["d"])
    expected = 0.6 * DISCOUNTS["market_only"] * DISCOUNTS["platform"] * DISCOUNTS["side_effects"]
    expected *= DISCOUNTS["private_data"] * DISCOUNTS["realtime"]
    assert decide(0.6, everything, market_only="x")[1] == pytest.approx(expected)
    assert all(0 < d < 1 for d in DISCOUNTS.values())


def test_a_tool_far_from_the_training_apis_but_near_the_market_is_said_to_lie_in_a_market_only_region(index):
    result = index.score("slack_list_channels: List the channels of a Slack workspace")
    assert result.coverage < MID and result.market_only
    assert any(r.startswith("in a market-only region") for r in result.reasons)
    assert result.score <= result.coverage * DISCOUNTS["market_only"]
    assert result.verdict in (WARM_UP, DO_NOT_SIMULATE)


# ---- inputs ------------------------------------------------------------------------------------
def test_a_tool_can_be_given_as_a_spec_a_record_a_mapping_a_pair_or_a_text():
    spec = ToolSpec(name="get_weather", description="Weather for a city", parameters={"type": "object", "properties": {"city": {"type": "string"}}})
    assert as_record(spec).name == "get_weather" and as_record(spec).input_schema["properties"]
    record = rec("a", "b")
    assert as_record(record) is record
    mcp = as_record({"name": "list_pods", "description": "List pods", "inputSchema": {"type": "object"}})
    assert (mcp.name, mcp.description) == ("list_pods", "List pods")
    openai = as_record({"type": "function", "function": {"name": "f", "description": "d", "parameters": {}}})
    assert (openai.name, openai.description) == ("f", "d")
    assert (as_record(("n", "d")).name, as_record(("n", "d")).description) == ("n", "d")
    named = as_record("get_weather: Weather for a city: today")
    assert (named.name, named.description) == ("get_weather", "Weather for a city: today")
    assert as_record("getWeather: Weather").name == "getWeather"
    plain = as_record("Note: weather for a city")  # a capitalised word is prose, not a tool name
    assert (plain.name, plain.description) == ("", "Note: weather for a city")
    sentence = as_record("Post a message to a channel")
    assert (sentence.name, sentence.description) == ("", "Post a message to a channel")
    with pytest.raises(ScopeIndexError):
        as_record("   ")
    with pytest.raises(ScopeIndexError):
        as_record(42)


def test_a_text_without_a_name_is_labelled_by_its_beginning(index):
    result = index.score("Post a message to a channel of a team chat and notify everyone who follows it")
    assert result.tool.startswith("Post a message") and len(result.tool) <= 60


# ---- saving, loading, frames -----------------------------------------------------------------
def test_a_saved_index_loads_back_and_scores_the_same(index, tmp_path):
    path = index.save(tmp_path / "scope.npz")
    loaded = ScopeIndex.load(path, embedder=BagOfWords())
    assert loaded.platform_terms == index.platform_terms
    assert [r.name for r in loaded.market] == [r.name for r in index.market]
    for text in ("translate: Translate a text", "Post a message to a Slack channel"):
        a, b = index.score(text), loaded.score(text)
        assert b.score == pytest.approx(a.score, abs=0.2) and b.verdict == a.verdict
        assert [n["name"] for n in b.neighbours[:2]] == [n["name"] for n in a.neighbours[:2]]


def test_an_index_refuses_an_embedder_of_another_model(index, tmp_path):
    path = index.save(tmp_path / "scope.npz")

    class Other(BagOfWords):
        model_id = "another/model"

    with pytest.raises(ScopeIndexError, match="built with the model"):
        ScopeIndex.load(path, embedder=Other())


def test_a_file_that_is_not_an_index_gives_a_clear_error(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("nope")
    with pytest.raises(ScopeIndexError, match="not a scope index"):
        ScopeIndex.load(bad)
    with pytest.raises(ScopeIndexError, match="no such index"):
        ScopeIndex.load(tmp_path / "missing.npz")


def test_scores_come_as_a_dataframe_with_one_row_per_tool(index):
    frame = index.scores_frame(["get_weather: Weather forecast", "slack_post: Post to a Slack channel"])
    assert list(frame["tool"]) == ["get_weather", "slack_post"]
    assert {"score", "verdict", "coverage", "platform", "side_effects", "realtime", "nearest_training", "reasons"} <= set(frame.columns)
    assert frame.loc[1, "platform"] == "slack" and frame["verdict"].isin(VERDICTS).all()


def test_an_applicability_turns_into_plain_json_data(index):
    data = index.score("convert: Convert units").to_dict()
    assert {"tool", "score", "verdict", "reasons", "neighbours", "flags", "coverage", "market_only"} <= set(data)
    assert isinstance(data["score"], float) and isinstance(data["neighbours"][0]["similarity"], float)


# ---- on the public data ----------------------------------------------------------------------
def spec(name, description, *parameters):
    properties = {p: {"type": "string"} for p in parameters}
    return ToolSpec(name=name, description=description, parameters={"type": "object", "properties": properties}, required=list(parameters[:1]))


# Written here, not taken from the data; each with the parameters such a tool would have.
GENERIC = {
    "weather lookup": spec("get_weather_forecast", "Look up the weather forecast for a city for the next days.", "city", "days"),
    "unit conversion": spec("convert_units", "Convert a quantity from one unit of measurement to another, e.g. miles to kilometres.", "value", "from_unit", "to_unit"),
    "SQL query": spec("run_sql_query", "Run a SQL query against a relational database and return the matching rows.", "query", "database"),
}
PLATFORM_BOUND = {
    "Slack post": spec("slack_post_message", "Post a message to a Slack channel as the connected Slack bot user.", "channel", "text"),
    "GitHub merge": spec("github_merge_pull_request", "Merge an open pull request in a GitHub repository.", "owner", "repo", "pull_number", "merge_method"),
}
MARKET_SAMPLE = 2000


@pytest.fixture(scope="module")
def public_index(training_apis_path, market_path):
    """Every training API (rare kinds of tools, such as the handful of SQL ones, must all be
    there for coverage to mean anything) and a seeded sample of the market (it only supplies
    neighbours, market-only regions and platform terms)."""
    from analysis.embed import Embedder
    from analysis.market import load_market, load_training
    from analysis.report import sample_records

    market = sample_records(load_market(market_path), MARKET_SAMPLE, seed=0)
    return ScopeIndex.build(load_training(training_apis_path), market, embedder=Embedder(progress=False))


@pytest.mark.slow
@pytest.mark.data
def test_generic_tools_score_above_platform_bound_ones_on_the_public_data(public_index):
    generic = dict(zip(GENERIC, public_index.score_many(GENERIC.values())))
    bound = dict(zip(PLATFORM_BOUND, public_index.score_many(PLATFORM_BOUND.values())))
    report = {k: (round(r.score, 3), round(r.coverage, 3), r.verdict) for k, r in {**generic, **bound}.items()}
    assert min(r.score for r in generic.values()) > max(r.score for r in bound.values()), report
    for result in bound.values():
        assert result.flags["platform"] and result.flags["side_effects"], report
        assert result.verdict in (WARM_UP, DO_NOT_SIMULATE), report
    assert generic["unit conversion"].verdict == SIMULATE, report
    assert generic["weather lookup"].verdict == WARM_UP, report  # a forecast is a real-time fact


@pytest.mark.slow
@pytest.mark.data
def test_training_apis_themselves_have_a_coverage_of_about_one_half_on_average(public_index):
    rng = np.random.default_rng(1)
    vectors = public_index.training_vectors
    coverages = []
    for i in rng.choice(len(vectors), 300, replace=False):
        sims = vectors @ vectors[i]
        sims[i] = -1.0  # leave the API itself out, as the calibration does
        coverages.append(float(public_index.percentile(sims.max())))
    assert 0.4 <= float(np.mean(coverages)) <= 0.6


@pytest.mark.slow
@pytest.mark.data
def test_a_query_on_a_built_index_is_answered_quickly(public_index):
    public_index.score("warm_up: load the model")
    timings = []
    for i in range(10):
        started = time.perf_counter()
        result = public_index.score(f"lookup_{i}: Look up item number {i} in a product catalogue")
        timings.append(time.perf_counter() - started)
    assert isinstance(result, Applicability) and not math.isnan(result.similarity)
    # about 20-60 ms on two cores; the bound leaves room for a busy CI machine
    assert float(np.median(timings)) < 1.0


def test_applicability_still_offers_the_names_of_flags_verdicts_and_queries():
    import analysis.applicability as applicability
    import analysis.flags as flags
    import analysis.queries as queries
    import analysis.verdicts as verdicts

    for module in (flags, verdicts, queries):
        for name in module.__all__:
            if name != "query_label":
                assert getattr(applicability, name) is getattr(module, name), name
    assert set(applicability.__all__) <= set(dir(applicability))

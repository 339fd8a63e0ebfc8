"""The deterministic metrics of gtm eval (Format, Comp, Det, Cons(det)) on planted good and bad answers."""

from __future__ import annotations

import json
import logging

from eval_tools import small_catalog

from gtm_core import ToolResult, ToolSpec
from gtm_core.engines.schema import SchemaEngine
from gtm_core.evaluation import (
    build_plan,
    completeness_problems,
    consistency_problems,
    detection_problems,
    evaluate,
    format_problems,
    format_report,
)
from gtm_core.evaluation.metrics import Flow, response_schema_problem

ORDER = ToolSpec(
    "get_order",
    "An order by id.",
    parameters={"type": "object", "properties": {"order_id": {"type": "string"}, "currency": {"type": "string"}}},
    required=["order_id"],
    response={
        "type": "object",
        "properties": {
            "order_id": {"type": "string"},
            "total": {"type": "number", "minimum": 0},
            "items": {"type": "array", "items": {"type": "string"}},
            "note": {"type": "string"},
        },
        "required": ["order_id", "total", "items"],
    },
)
NO_SCHEMA = ToolSpec("ping", "Ping a host.", parameters={"type": "object", "properties": {"host": {"type": "string"}}})
OPTIONAL_ONLY = ToolSpec("get_fact", "A fact.", response={"type": "object", "properties": {"fact": {"type": "string"}, "source": {"type": "string"}}})


def answer(value, *, is_error=False, kind=None, engine="model", fallback=None, raw=None):
    content = raw if raw is not None else json.dumps(value)
    return ToolResult(content=content, structured=value if raw is None else None, is_error=is_error, error_kind=kind,
                      engine=engine, cached=False, latency_ms=1.0, fallback=fallback)  # fmt: skip


GOOD = {"order_id": "ord_1", "total": 12.5, "items": ["pen"]}


def test_a_conforming_answer_passes_format_and_comp():
    """An answer that follows the response schema and echoes the call passes both checks."""
    assert format_problems(ORDER, answer(GOOD)) == []
    assert completeness_problems(ORDER, {"order_id": "ord_1"}, answer(GOOD)) == []


def test_format_fails_text_that_is_not_json_or_breaks_the_schema():
    """Prose, a wrong type and an out-of-range value all fail Format."""
    assert "not JSON" in format_problems(ORDER, answer(None, raw="Sure! Here is the order."))[0]
    assert format_problems(ORDER, answer({**GOOD, "total": "12.5"})) == ["does not conform to the response schema"]
    assert format_problems(ORDER, answer({**GOOD, "total": -3})) == ["does not conform to the response schema"]


def test_format_fails_an_error_for_a_valid_call_and_a_fallback_answer():
    """An error, or the schema engine answering in the model's place, is not the engine's answer."""
    error = answer({"error": {"code": 404, "message": "not found"}}, is_error=True, kind="tool_error")
    assert "an error (tool_error)" in format_problems(ORDER, error)[0]
    fallback = answer(GOOD, engine="schema", fallback="the model gave no usable answer twice")
    assert "in place of the model" in format_problems(ORDER, fallback)[0]
    assert completeness_problems(ORDER, {"order_id": "ord_1"}, fallback) == ["no answer of the engine's own"]


def test_without_a_response_schema_any_json_passes_format():
    """Tools with no response schema only need JSON."""
    assert format_problems(NO_SCHEMA, answer({"alive": True})) == []
    assert format_problems(NO_SCHEMA, answer([1, 2])) == []
    assert format_problems(NO_SCHEMA, answer(None, raw="pong")) != []


def test_a_broken_response_schema_is_treated_as_no_schema():
    """A response schema that is not valid JSON Schema cannot fail every engine: Format asks for JSON only."""
    broken = ToolSpec("odd", response={"type": "object", "properties": {"x": {"type": "strnig"}}})
    assert format_problems(broken, answer({"x": 1})) == []


def test_a_broken_response_schema_is_logged_once_with_the_tool_and_the_reason(caplog):
    """The tool is not dropped from the schema check silently: a warning names it and says what is wrong."""
    broken = ToolSpec("odd_logged", response={"type": "object", "required": "x"})
    with caplog.at_level(logging.WARNING, logger="gtm_core.evaluation.metrics"):
        format_problems(broken, answer({"x": 1}))
        format_problems(broken, answer({"x": 2}))
    warnings = [r.getMessage() for r in caplog.records if "odd_logged" in r.getMessage()]
    assert len(warnings) == 1
    assert "not a valid JSON Schema" in warnings[0] and "'x' is not of type 'array'" in warnings[0]
    assert response_schema_problem(broken) == "'x' is not of type 'array'"
    assert response_schema_problem(ORDER) is None and response_schema_problem(NO_SCHEMA) is None


def test_the_report_counts_and_names_the_tools_whose_response_schema_is_invalid():
    """evaluate puts them in the JSON (count and reason per tool) and the table says Format only asked for JSON."""
    broken = ToolSpec("get_odd_record", "Read an odd record.", parameters={"type": "object", "properties": {"record_id": {"type": "string"}}},
                      required=["record_id"], response={"type": "objectt", "properties": {"record_id": {"type": "string"}}})  # fmt: skip
    plan = build_plan([*small_catalog(), broken], 13, seed=0)
    assert "get_odd_record" in plan.specs
    report = evaluate(SchemaEngine(), plan)
    invalid = report.to_dict()["invalid_response_schemas"]
    assert invalid["count"] == 1 and list(invalid["tools"]) == ["get_odd_record"]
    assert "'objectt' is not valid" in invalid["tools"]["get_odd_record"]
    assert "1 tool(s) whose response schema is not valid JSON Schema" in format_report(report)
    clean = evaluate(SchemaEngine(), build_plan(small_catalog(), 4, seed=0))
    assert clean.to_dict()["invalid_response_schemas"] == {"count": 0, "tools": {}}
    assert "not valid JSON Schema" not in format_report(clean)


def test_comp_fails_missing_or_empty_required_fields():
    """Every required field must be there and hold something."""
    problems = completeness_problems(ORDER, {"order_id": "ord_1"}, answer({"order_id": "ord_1", "items": []}))
    assert problems == ["required field total is missing", "required field items is empty"]


def test_comp_fails_an_empty_answer_and_one_with_none_of_the_declared_fields():
    """An empty object addresses nothing; with no required fields, at least one declared one must be there."""
    assert completeness_problems(NO_SCHEMA, {"host": "a"}, answer({})) == ["the answer is empty"]
    assert "none of the declared fields" in completeness_problems(OPTIONAL_ONLY, {}, answer({"other": 1}))[0]
    assert completeness_problems(OPTIONAL_ONLY, {}, answer({"fact": "Water boils at 100 C."})) == []


def test_comp_fails_an_answer_that_contradicts_the_calls_arguments():
    """A field named like an argument must echo it (case and 5 vs 5.0 aside)."""
    assert completeness_problems(ORDER, {"order_id": "ORD_1"}, answer(GOOD)) == []
    problems = completeness_problems(ORDER, {"order_id": "ord_2"}, answer(GOOD))
    assert problems == ["order_id is 'ord_1' in the answer but 'ord_2' in the call"]


def test_det_passes_only_when_the_bad_call_comes_back_as_an_error():
    """An error result is a detection; an answer, or an engine failure, is not."""
    assert detection_problems(answer({"error": {"code": 400, "message": "bad"}}, is_error=True, kind="type_error")) == []
    assert "answered as if the call were good" in detection_problems(answer(GOOD))[0]
    assert "engine failed" in detection_problems(answer({"error": {}}, is_error=True, kind="engine_error"))[0]


def test_cons_det_passes_when_an_id_from_an_earlier_answer_is_found_and_kept():
    """The id made by turn 1 and sent by turn 2 comes back unchanged."""
    turns = [({"item": "pen"}, answer({"order_id": "ord_9", "total": 1.0, "items": ["pen"]})),
             ({"order_id": "ord_9"}, answer({"order_id": "ord_9", "total": 1.0, "items": ["pen"]}))]  # fmt: skip
    assert consistency_problems(turns, [Flow(turn=1, parameter="order_id", value="ord_9", source_turn=0)]) == []


def test_cons_det_fails_when_a_flowed_id_is_not_found_or_changes():
    """A not-found error for an id an earlier answer gave, or a different id echoed, breaks consistency."""
    flow = [Flow(turn=1, parameter="order_id", value="ord_9", source_turn=0)]
    created = ({"item": "pen"}, answer({"order_id": "ord_9", "total": 1.0, "items": ["pen"]}))
    lost = [created, ({"order_id": "ord_9"}, answer({"error": {"code": 404, "message": "no order"}}, is_error=True, kind="tool_error"))]
    assert "was not found (tool_error)" in consistency_problems(lost, flow)[0]
    changed = [created, ({"order_id": "ord_9"}, answer({"order_id": "ord_7", "total": 1.0, "items": ["pen"]}))]
    assert any("came back as 'ord_7'" in p for p in consistency_problems(changed, flow))

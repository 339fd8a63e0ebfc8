"""The GTM prompt: the spec, the call, the relevant history within a budget, and the knobs."""

from __future__ import annotations

import json

import pytest

from gtm_core import ToolSpec
from gtm_core.generation import GenerationRequest, HistoryItem
from gtm_core.prompt import NOISY, PromptSettings, build_messages, is_noisy, render_spec, select_history, training_record

ORDER = ToolSpec(
    "get_order",
    "Look up an order by its id.",
    field="Commerce",
    subfield="Orders",
    parameters={"type": "object", "properties": {"order_id": {"type": "string", "description": "The order's id."}}},
    required=["order_id"],
    response={"type": "object", "properties": {"order_id": {"type": "string"}, "status": {"type": "string"}}},
)


def test_the_system_message_renders_the_spec_and_the_last_message_is_the_call():
    messages = build_messages(GenerationRequest(ORDER, {"order_id": "ord_1"}))
    assert [m["role"] for m in messages] == ["system", "user"]
    system = messages[0]["content"]
    assert "Tool: get_order" in system and "Field: Commerce / Orders" in system
    assert "Look up an order" in system and '"order_id"' in system and "Response (JSON Schema)" in system
    assert messages[-1]["content"] == 'Call: get_order {"order_id": "ord_1"}'


def test_hidden_context_and_the_entity_record_reach_the_system_message():
    request = GenerationRequest(ORDER, {"order_id": "ord_1"}, hidden_context={"answer": "Paris"}, entity={"order_id": "ord_1", "status": "shipped"})
    system = build_messages(request)[0]["content"]
    assert '"answer":"Paris"' in system and '"status":"shipped"' in system


def test_earlier_calls_become_turns_in_the_order_they_happened():
    history = [
        HistoryItem("create_order", {"item": "lamp"}, {"order_id": "ord_1"}),
        HistoryItem("list_products", {}, {"products": ["lamp", "desk"]}),
    ]
    messages = build_messages(GenerationRequest(ORDER, {"order_id": "ord_1"}, history=tuple(history)))
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[1]["content"].startswith("Call: create_order")
    assert json.loads(messages[2]["content"]) == {"order_id": "ord_1"}


def test_a_small_budget_keeps_the_calls_that_share_values_with_this_one():
    history = [HistoryItem("create_order", {"item": "lamp"}, {"order_id": "ord_1"})]
    history += [HistoryItem("list_products", {"page": i}, {"products": ["x" * 200]}) for i in range(20)]
    turns = select_history(history, "get_order", {"order_id": "ord_1"}, budget=60)
    assert turns and turns[0][0].startswith("Call: create_order")
    assert len(turns) < len(history)


def test_no_history_budget_means_no_history():
    history = (HistoryItem("create_order", {"item": "lamp"}, {"order_id": "ord_1"}),)
    messages = build_messages(GenerationRequest(ORDER, {"order_id": "ord_1"}, history=history), PromptSettings(history_tokens=0))
    assert len(messages) == 2


def test_usefulness_makes_about_that_share_of_calls_noisy_and_the_same_seed_decides_the_same():
    noisy = sum(is_noisy(seed, 0.7) for seed in range(2000))
    assert 450 < noisy < 750
    assert all(is_noisy(s, 0.7) == is_noisy(s, 0.7) for s in range(50))
    assert not any(is_noisy(s, 1.0) for s in range(200))
    seed = next(s for s in range(100) if is_noisy(s, 0.5))
    system = build_messages(GenerationRequest(ORDER, {"order_id": "o"}, seed=seed), PromptSettings(usefulness=0.5))[0]["content"]
    assert NOISY in system


def test_usefulness_outside_zero_to_one_is_refused_with_the_range():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        PromptSettings(usefulness=1.5)


def test_a_huge_schema_is_truncated_to_the_spec_budget():
    big = ToolSpec("big", "x", parameters={"type": "object", "properties": {f"p{i}": {"type": "string", "description": "d" * 50} for i in range(400)}})
    assert len(render_spec(big, limit=3000)) < 3500


def test_a_training_record_is_the_prompt_followed_by_the_answer():
    record = training_record(ORDER, {"order_id": "ord_1"}, {"order_id": "ord_1", "status": "open"}, source="real")
    messages = record["messages"]
    assert messages[:-1] == build_messages(GenerationRequest(ORDER, {"order_id": "ord_1"}))
    assert messages[-1] == {"role": "assistant", "content": '{"order_id": "ord_1", "status": "open"}'}
    assert record["tool"] == "get_order" and record["source"] == "real" and record["is_error"] is False


def test_placeholder_examples_are_left_out_of_the_prompt_and_real_ones_kept():
    """"string", "<city>" and "{id}" are not examples a model should copy; "Oslo" and 42 are."""
    from gtm_core.prompt import real_examples

    schema = {"type": "object", "properties": {
        "city": {"type": "string", "example": "string"}, "id": {"type": "string", "examples": ["{id}", "ord_17"]},
        "name": {"type": "string", "example": "<name>"}, "temp": {"type": "number", "example": 21.5},
        "example": {"type": "string", "example": "Oslo"}}}  # fmt: skip
    cleaned = real_examples(schema)["properties"]
    assert "example" not in cleaned["city"] and "example" not in cleaned["name"]
    assert cleaned["id"]["examples"] == ["ord_17"] and cleaned["temp"]["example"] == 21.5
    assert cleaned["example"] == {"type": "string", "example": "Oslo"}  # a property named "example" is a property
    spec = ToolSpec("get_city", "x", response=schema)
    assert '"<name>"' not in render_spec(spec) and '"ord_17"' in render_spec(spec)

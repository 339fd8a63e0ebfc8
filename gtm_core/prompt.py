"""The GTM prompt: one place that tells a language model which tool it plays and what to answer.

Every language-model engine renders its calls with ``build_messages``, and the training data
(CARG synthesis, recorded real calls) is made with ``training_record`` from the same
function, so a model trained on that data is served without glue.

The messages are a system message (the role, the rules, the tool's spec rendered compactly,
the episode's hidden context and the current record of the entity the call touches), then
the episode's earlier calls as user/assistant turns — the most relevant ones that fit a
token budget, in the order they happened — and the call itself as the last user message.

``usefulness`` is a curriculum knob (ZeroSearch-style): at 1.0 every answer is faithful; at
``u < 1`` a call is answered as a noisy, low-quality result with probability ``1 - u``, drawn
from the call's seed so the choice is reproducible.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .generation import GenerationRequest, HistoryItem
from .spec import ToolSpec

__all__ = [
    "ERROR_RULE",
    "ROLE",
    "PromptSettings",
    "approx_tokens",
    "build_messages",
    "is_noisy",
    "real_examples",
    "render_call",
    "render_spec",
    "training_record",
]

TokenCounter = Callable[[str], int]

ROLE = (
    "You are a simulator of the API tool described below. You answer each call exactly as the "
    "real tool would: with the JSON body of its successful response and nothing else (no prose, "
    "no code fences). The call's arguments have passed the tool's parameter checks. Values must "
    "be realistic, computed correctly from the arguments (arithmetic, unit and currency "
    "conversions, well-known facts) and agree with the earlier calls of this session."
)
ERROR_RULE = (
    "If the call names something that does not exist, answer with the tool's error object "
    'instead: {"error": {"code": <HTTP status>, "message": "<what was wrong>"}}.'
)
"""For models that decode freely, where an error can be right (``gtm_core.answers.error_reachable``).

Under a grammar the rule is left out: the answer schema already offers the error branch, and
with the rule in the prompt small models took it for valid calls (Qwen2.5-Coder-0.5B answered
``get_current_weather {"city": "Oslo"}`` with "City not found" under every wording tried, and
a literal error object was the one concrete JSON value in the prompt, which they copied).
"""
NOISY = (
    "For this call, answer like a low-quality result: well-formed, but partly irrelevant, "
    "incomplete or out of date."
)


@dataclass(frozen=True)
class PromptSettings:
    """Bounds of a prompt: tokens for the history, characters for the spec and each earlier answer."""

    history_tokens: int = 1024
    spec_chars: int = 6000
    answer_chars: int = 1200
    usefulness: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.usefulness <= 1.0:
            raise ValueError(f"usefulness must be in [0, 1] (1 = faithful answers). Got {self.usefulness!r} instead.")
        if self.history_tokens < 0:
            raise ValueError(f"history_tokens must be 0 or more. Got {self.history_tokens!r} instead.")


def approx_tokens(text: str) -> int:
    """A cheap token count (about four characters a token) for budgets when no tokenizer is at hand."""
    return len(text) // 4 + 1


def _compact(value: Any, limit: int) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= limit else text[: max(0, limit - 14)] + "...(truncated)"


_PLACEHOLDERS = frozenset({"string", "str", "text", "example", "sample", "value", "foo", "bar", "baz", "xxx", "lorem ipsum", "...", "null", "none", "n/a", "todo", "tbd"})
_TEMPLATE = re.compile(r"^\s*(<[^>]*>|\{[^}]*\}|\[[^\]]*\]|\$\{?\w+\}?)\s*$")


def _placeholder(value: Any) -> bool:
    """Whether an example value is a stand-in (``"string"``, ``"<city>"``, ``"{id}"``) rather than a real value."""
    if isinstance(value, str):
        return not value.strip() or value.strip().casefold() in _PLACEHOLDERS or bool(_TEMPLATE.match(value))
    if isinstance(value, list):
        return not value or all(_placeholder(item) for item in value)
    if isinstance(value, Mapping):
        return not value or all(_placeholder(item) for item in value.values())
    return False


def real_examples(schema: Any) -> Any:
    """A schema whose ``example``/``examples`` keep only real values (placeholders dropped, at any depth).

    Small models copy example text from the prompt into their answers, so only examples that
    could be a real answer are shown.
    """
    if isinstance(schema, Mapping):
        out: dict[str, Any] = {}
        for key, item in schema.items():
            if key == "example" and _placeholder(item):
                continue
            if key == "examples" and isinstance(item, list):
                kept = [e for e in item if not _placeholder(e)]
                if kept:
                    out[key] = kept
                continue
            out[key] = {name: real_examples(sub) for name, sub in item.items()} if key == "properties" and isinstance(item, Mapping) else real_examples(item)
        return out
    if isinstance(schema, list):
        return [real_examples(item) for item in schema]
    return schema


def render_spec(spec: ToolSpec, *, limit: int = 6000) -> str:
    """The tool as the model reads it: name, field, description, parameters and the response."""
    lines = [f"Tool: {spec.name}"]
    where = " / ".join(part for part in (spec.field, spec.subfield) if part)
    if where:
        lines.append(f"Field: {where}")
    if spec.description:
        lines.append(f"Description: {spec.description.strip()}")
    budget = max(200, limit - sum(len(line) for line in lines))
    lines.append(f"Parameters (JSON Schema): {_compact(real_examples(spec.input_schema), budget // 2)}")
    response = spec.response
    if isinstance(response, Mapping):
        lines.append(f"Response (JSON Schema): {_compact(real_examples(response), budget // 2)}")
    elif isinstance(response, str) and response.strip():
        lines.append(f"Response: {response.strip()[: budget // 2]}")
    else:
        lines.append("Response: a JSON object, as this tool would return it.")
    return "\n".join(lines)


def render_call(tool: str, arguments: Mapping[str, Any]) -> str:
    """A call as the model reads it: ``Call: name {"arg": ...}``."""
    return f"Call: {tool} {json.dumps(dict(arguments), ensure_ascii=False, sort_keys=True, default=str)}"


def _render_answer(response: Any, limit: int) -> str:
    if isinstance(response, str):
        return response if len(response) <= limit else response[: max(0, limit - 14)] + "...(truncated)"
    return _compact(response, limit)


def is_noisy(seed: int, usefulness: float) -> bool:
    """Whether the call with this seed gets a noisy answer at this usefulness (reproducible)."""
    if usefulness >= 1.0:
        return False
    return random.Random(seed ^ 0x5EED).random() >= usefulness


def _words(value: Any, out: set[str]) -> set[str]:
    """The scalar values inside a JSON value, as strings (ids, names, cities ...)."""
    if isinstance(value, Mapping):
        for item in value.values():
            _words(item, out)
    elif isinstance(value, list):
        for item in value[:50]:
            _words(item, out)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value)
        if 0 < len(text) <= 200:
            out.add(text)
    return out


def _item_words(item: HistoryItem) -> frozenset[str]:
    """The values of an earlier call (arguments and answer), computed once per history item."""
    words = item.__dict__.get("_prompt_words")
    if words is None:
        words = frozenset(_words(item.response, _words(item.arguments, set())))
        object.__setattr__(item, "_prompt_words", words)  # a memo on a frozen dataclass
    return words


def _item_turn(item: HistoryItem, answer_chars: int) -> tuple[str, str]:
    """An earlier call rendered as (call, answer) texts, computed once per history item and limit."""
    memo = item.__dict__.get("_prompt_turn")
    if memo is None or memo[0] != answer_chars:
        memo = (answer_chars, (render_call(item.tool, item.arguments), _render_answer(item.response, answer_chars)))
        object.__setattr__(item, "_prompt_turn", memo)
    return memo[1]


def _relevance(item: HistoryItem, tool: str, values: set[str], age: int) -> float:
    """How much an earlier call matters to this one: shared values first, then the same tool, then recency."""
    shared = len(values & _item_words(item))
    return 4.0 * shared + (2.0 if item.tool == tool else 0.0) + 1.0 / (1 + age)


def select_history(
    history: Sequence[HistoryItem],
    tool: str,
    arguments: Mapping[str, Any],
    *,
    budget: int,
    answer_chars: int = 1200,
    count: TokenCounter = approx_tokens,
) -> list[tuple[str, str]]:
    """The earlier calls worth showing, as (call, answer) texts in the order they happened.

    The most relevant calls are taken first until ``budget`` tokens are spent.
    """
    if budget <= 0 or not history:
        return []
    values = _words(arguments, set())
    ranked = sorted(
        range(len(history)),
        key=lambda i: _relevance(history[i], tool, values, len(history) - 1 - i),
        reverse=True,
    )
    chosen: dict[int, tuple[str, str]] = {}
    spent = 0
    for index in ranked:
        turn = _item_turn(history[index], answer_chars)
        cost = count(turn[0]) + count(turn[1]) + 8
        if spent + cost > budget:
            continue
        chosen[index] = turn
        spent += cost
    return [chosen[i] for i in sorted(chosen)]


def build_messages(
    request: GenerationRequest,
    settings: PromptSettings = PromptSettings(),
    *,
    count: TokenCounter = approx_tokens,
    error_rule: bool = False,
) -> list[dict[str, str]]:
    """The chat messages that ask a model for this call's response.

    ``error_rule`` adds ERROR_RULE, for a model that decodes freely on a call where an error
    can be right.
    """
    spec = request.spec
    system = [ROLE + (" " + ERROR_RULE if error_rule else ""), "", render_spec(spec, limit=settings.spec_chars)]
    if request.hidden_context:
        system += ["", f"Facts of this session (the caller does not see them; answers must agree with them): {_compact(request.hidden_context, 2000)}"]
    if request.entity:
        system += ["", f"Current record of this entity in this session: {_compact(request.entity, 2000)}"]
    if is_noisy(request.seed, settings.usefulness):
        system += ["", NOISY]
    messages = [{"role": "system", "content": "\n".join(system)}]
    turns = select_history(
        request.history, spec.name, request.arguments,
        budget=settings.history_tokens, answer_chars=settings.answer_chars, count=count,
    )  # fmt: skip
    for call_text, answer_text in turns:
        messages.append({"role": "user", "content": call_text})
        messages.append({"role": "assistant", "content": answer_text})
    messages.append({"role": "user", "content": render_call(spec.name, request.arguments)})
    return messages


def training_record(
    spec: ToolSpec,
    arguments: Mapping[str, Any],
    response: Any,
    *,
    history: Sequence[HistoryItem] = (),
    is_error: bool = False,
    hidden_context: Mapping[str, Any] | None = None,
    entity: Mapping[str, Any] | None = None,
    settings: PromptSettings = PromptSettings(),
    **extra: Any,
) -> dict[str, Any]:
    """One chat-format training example: the engines' prompt for the call, then the response.

    ``response`` is the tool's answer (a JSON value, or text); ``extra`` keys (source,
    scenario, ...) are kept beside ``messages``. ``gtm train`` reads these lines as they are.
    """
    request = GenerationRequest(spec=spec, arguments=dict(arguments), history=tuple(history),
                                hidden_context=hidden_context, entity=entity)  # fmt: skip
    messages = build_messages(request, settings)
    answer = response if isinstance(response, str) else json.dumps(response, ensure_ascii=False)
    messages.append({"role": "assistant", "content": answer})
    return {"messages": messages, "tool": spec.name, "is_error": bool(is_error), **extra}

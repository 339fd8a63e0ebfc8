"""The toolkit's one judge: a language model playing a virtual tool, ``judge_response``.

``gtm eval`` asks it for Logic, Sem, Cons and Help (``CRITERIA``); ``gtm synth`` for the
coherence level of its examples (``gtm_core.carg.judging``, with a criterion of its own). A
judge is built with the named criteria it judges by, and each ``JudgeItem`` names one.

A judgement is a call of the tool ``JUDGE_SPEC`` — arguments: the criterion, the judged
tool's spec, the call, the response and the earlier calls of the episode; response:
``{"verdict": "pass" | "fail", "reason": "..."}`` — rendered with the same GTM prompt as
every simulated call (``ChatEngine.chat_request``), so any language-model engine judges: a
local model (transformers), an OpenAI-compatible server, lmdeploy.

The verdict is read from the model's own text (``ChatEngine.complete``), not from
``generate``: ``generate`` conforms answers to the response schema and falls back to the
schema engine, which would fill a missing verdict with a made-up one. A text without a
verdict is asked for once more (sampled, another seed); if it still has none the case is
*unjudged* — left out of that metric, never guessed.

The schema engine cannot judge (it has no model), and is refused with that reason. An engine
that fails (``EngineError``: a dead server, a timeout) stops the judging with
``JudgeEngineError``, which says which judge failed and why.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..answers import AnswerError, parse_answer
from ..engines.base import Engine, EngineError
from ..engines.chat import RETRY_TEMPERATURE, ChatEngine
from ..errors import GTMError
from ..generation import GenerationRequest
from ..prompt import render_call, render_spec
from ..spec import ToolSpec
from ..sync import run_sync

__all__ = ["CRITERIA", "JUDGE_SPEC", "Judge", "JudgeEngineError", "JudgeError", "JudgeItem", "Verdict", "read_verdict"]


CRITERIA: dict[str, str] = {
    "Logic": (
        "Logic: the response is logically coherent. Its values are plausible and agree with each other "
        "(totals, counts, units, dates, ranges) and with the arguments of the call; nothing in it contradicts "
        "the call or itself."
    ),
    "Sem": (
        "Semantics: the response is what this tool, as its description says, would return for this call. "
        "Its content is about the arguments given (the city, the id, the query asked for), not generic "
        "placeholder text or values that belong to another kind of tool."
    ),
    "Cons": (
        "Consistency: the response agrees with the earlier calls of this session. Entities, ids and values "
        "that earlier responses established (or that earlier calls created or changed) are kept; nothing "
        "contradicts what happened before."
    ),
    "Help": (
        "Helpfulness of an error: the response is an error that tells the caller what was wrong with the call "
        "(which parameter, what was expected or allowed) so that the caller can fix it."
    ),
}
"""What each judged metric of ``gtm eval`` asks, as the judge reads it (a Judge's default criteria)."""

JUDGE_SPEC = ToolSpec(
    name="judge_response",
    description=(
        "Reviews one response of a simulated API tool against one criterion, strictly, as an expert API "
        "reviewer would. Returns verdict 'pass' when the response meets the criterion and 'fail' otherwise, "
        "with a one-sentence reason."
    ),
    parameters={
        "type": "object",
        "properties": {
            "criterion": {"type": "string", "description": "The one criterion to judge the response by."},
            "tool": {"type": "string", "description": "The specification of the tool that answered."},
            "call": {"type": "string", "description": "The call that was answered."},
            "response": {"type": "string", "description": "The response to judge."},
            "earlier_calls": {"type": "array", "items": {"type": "string"}, "description": "Earlier calls of the session and their responses, oldest first."},
        },
    },
    required=["criterion", "tool", "call", "response"],
    response={
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["pass", "fail"]},
            "reason": {"type": "string"},
        },
        "required": ["verdict", "reason"],
    },
)

JUDGE_OPTIONS = {"allow_error": False, "max_tokens": 160}
"""Per-call options of a judgement: a verdict object only (no error branch), and a short reason."""
SPEC_CHARS = 2500
RESPONSE_CHARS = 2000
HISTORY_CALLS = 6
HISTORY_CHARS = 600


class JudgeError(GTMError, ValueError):
    """An engine that cannot judge (it has no language model), or an item no criterion of the judge names."""


class JudgeEngineError(GTMError):
    """The judge's engine failed (a dead server, a timeout): the judging stopped."""


@dataclass(frozen=True)
class JudgeItem:
    """One judgement to make: a criterion (metric) of one response, with the episode's earlier calls."""

    metric: str  # a key of the judge's criteria (CRITERIA for gtm eval)
    spec: ToolSpec
    arguments: Mapping[str, Any]
    response: str
    history: Sequence[tuple[str, Mapping[str, Any], str]] = ()  # (tool, arguments, response text)


@dataclass(frozen=True)
class Verdict:
    """The judge's verdict on one item (None in its place where the judge gave none)."""

    passed: bool
    reason: str


_WITHOUT_A_JUDGE = ("or leave --judge out: gtm eval then does not measure the judged metrics, "
                    "gtm synth uses its deterministic coherence checks")  # fmt: skip


class Judge:
    """Judges responses with a language-model engine (any ``ChatEngine``) by named ``criteria``.

    ``criteria`` maps a name to what it asks (default: ``CRITERIA``, the metrics of gtm eval);
    ``batch_size`` judgements go to the engine at a time; ``unjudged`` counts the items that
    got no verdict, asked twice.
    """

    def __init__(self, engine: Engine, *, criteria: Mapping[str, str] = CRITERIA, batch_size: int = 16) -> None:
        if not isinstance(engine, ChatEngine):
            if engine.name == "schema":
                raise JudgeError("the schema engine cannot judge: it has no model, so its verdicts would be made up; "
                                 f"choose a language-model judge: --judge llamacpp, transformers, openai or lmdeploy; {_WITHOUT_A_JUDGE}")  # fmt: skip
            raise JudgeError(f"the {engine.name} engine cannot judge: a judge must be a language-model engine (a ChatEngine); {_WITHOUT_A_JUDGE}")
        if not criteria:
            raise JudgeError("a judge needs at least one criterion to judge by")
        if batch_size < 1:
            raise ValueError(f"The 'batch_size' parameter of Judge must be an int >= 1. Got {batch_size!r} instead.")
        self.engine = engine
        self.criteria = dict(criteria)
        self.batch_size = batch_size
        self.unjudged = 0

    @property
    def description(self) -> str:
        return self.engine.description

    def request(self, item: JudgeItem, *, retry: bool = False) -> Any:
        """The chat request that asks the judge for one verdict."""
        criterion = self.criteria.get(item.metric)
        if criterion is None:
            raise JudgeError(f"this judge has no criterion {item.metric!r}; it judges by {', '.join(sorted(self.criteria))}")
        arguments: dict[str, Any] = {
            "criterion": criterion,
            "tool": render_spec(item.spec, limit=SPEC_CHARS),
            "call": render_call(item.spec.name, item.arguments),
            "response": item.response[:RESPONSE_CHARS],
        }
        if item.history:
            arguments["earlier_calls"] = [
                f"{render_call(tool, args)} -> {text[:HISTORY_CHARS]}" for tool, args, text in list(item.history)[-HISTORY_CALLS:]
            ]
        seed = int.from_bytes(hashlib.blake2b(json.dumps(arguments, sort_keys=True, default=str).encode(), digest_size=6).digest(), "big")
        request = GenerationRequest(spec=JUDGE_SPEC, arguments=arguments, seed=seed, options=JUDGE_OPTIONS)
        if retry:
            return self.engine.chat_request(request, temperature=max(self.engine.temperature, RETRY_TEMPERATURE), seed=seed + 1)
        return self.engine.chat_request(request)

    async def ajudge(self, items: Sequence[JudgeItem], *, advance: Callable[[int], None] | None = None) -> list[Verdict | None]:
        """A verdict per item (None: the judge gave no verdict twice), in order."""
        out: list[Verdict | None] = [None] * len(items)
        for start in range(0, len(items), self.batch_size):
            chunk = list(range(start, min(start + self.batch_size, len(items))))
            texts = await self._complete([self.request(items[i]) for i in chunk])
            again = []
            for index, text in zip(chunk, texts):
                out[index] = read_verdict(text)
                if out[index] is None:
                    again.append(index)
            if again:
                for index, text in zip(again, await self._complete([self.request(items[i], retry=True) for i in again])):
                    out[index] = read_verdict(text)
                    self.unjudged += out[index] is None
            if advance is not None:
                advance(len(chunk))
        return out

    async def _complete(self, requests: Sequence[Any]) -> list[str]:
        """The engine's texts for ``requests``, or JudgeEngineError when the engine fails."""
        try:
            texts = await self.engine.complete(requests)
        except EngineError as exc:
            raise JudgeEngineError(f"the judge ({self.engine.description}) failed: {exc}") from exc
        if len(texts) != len(requests):
            raise JudgeEngineError(f"the judge ({self.engine.description}) returned {len(texts)} answers for {len(requests)} requests")
        return list(texts)

    def judge(self, items: Sequence[JudgeItem], *, advance: Callable[[int], None] | None = None) -> list[Verdict | None]:
        """``ajudge`` from synchronous code."""
        return run_sync(self.ajudge(items, advance=advance))


def read_verdict(text: str) -> Verdict | None:
    """The verdict in a judge's text, or None when it has none."""
    try:
        value = parse_answer(text)
    except AnswerError:
        return None
    if not isinstance(value, dict):
        return None
    verdict = value.get("verdict")
    if not isinstance(verdict, str) or verdict.strip().lower() not in ("pass", "fail"):
        return None
    reason = value.get("reason")
    return Verdict(verdict.strip().lower() == "pass", reason if isinstance(reason, str) else "")

"""The base of language-model engines: prompt, complete, then parse, repair and conform.

A subclass implements one method, ``complete(chat_requests) -> texts`` (a local model, an
OpenAI-compatible server, lmdeploy). This base does the rest, the same for all of them:

1. render each call with the GTM prompt (``gtm_core.prompt``);
2. ask for JSON under ``answer_schema(spec)`` when ``constrain`` is on and the engine can
   constrain: the response schema, or that or an error object where an error can be right
   (``error_reachable``: a call whose arguments name something that may not exist; never
   for a call that the checks accepted with numbers alone, nor for an entity the episode's
   world holds);
3. parse and repair what comes back; an error object is kept as the tool's own error where
   one can be right (elsewhere it counts as no usable answer); any other answer is conformed to the response schema (ranges, formats, echoed arguments);
4. an answer with no usable JSON is asked for once more (sampled, another seed), then the
   schema engine answers that call instead — flagged in the result, never silent.

Failures of ``complete`` itself (a dead server, a timeout) are not papered over: they raise,
and the simulator turns them into an ``engine_error`` result.
"""

from __future__ import annotations

import abc
import json
import logging
from collections.abc import Sequence
from typing import Any

from ..answers import AnswerError, answer_schema, conform_answer, error_reachable, is_error_answer, parse_answer
from ..generation import Answer, ChatRequest, GenerationRequest
from ..prompt import PromptSettings, approx_tokens, build_messages
from .base import Engine
from .schema import SchemaEngine

__all__ = ["ChatEngine", "RETRY_TEMPERATURE"]

logger = logging.getLogger(__name__)

RETRY_TEMPERATURE = 0.7
"""Temperature of the one retry after an answer with no usable JSON (greedy would repeat it)."""


class ChatEngine(Engine):
    """A language model that plays tools; subclasses say how to ``complete`` chat requests.

    Options shared by every language-model engine:
    ``max_tokens`` (longest answer), ``temperature`` (0: greedy), ``usefulness`` (1: faithful
    answers; lower: that share of calls is answered noisily, for curricula), ``history_tokens``
    (how much of the episode the prompt may show), ``constrain`` (decode under the answer
    schema where the engine can), ``fallback`` (answer with the schema engine when the model's
    answer is unusable; off: an ``engine_error`` result for that call instead).
    """

    uses_history = True
    answers_errors = True
    #: the engine can decode under a JSON schema (subclasses that cannot set False)
    can_constrain: bool = True

    def __init__(
        self,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        usefulness: float = 1.0,
        history_tokens: int = 1024,
        constrain: bool = True,
        fallback: bool = True,
    ) -> None:
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise ValueError(f"max_tokens must be a positive integer. Got {max_tokens!r} instead.")
        if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not 0.0 <= temperature <= 2.0:
            raise ValueError(f"temperature must be a number in [0, 2] (0 = greedy). Got {temperature!r} instead.")
        self.max_tokens = max_tokens
        self.temperature = float(temperature)
        self.settings = PromptSettings(history_tokens=history_tokens, usefulness=float(usefulness))
        self.constrain = bool(constrain)
        self.fallback = bool(fallback)
        self._schema_engine = SchemaEngine()

    # ---- what subclasses provide ----------------------------------------------------------
    @abc.abstractmethod
    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        """One completion text per chat request, in order; raise EngineError when that fails."""

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text`` for the prompt's history budget (an estimate unless overridden)."""
        return approx_tokens(text)

    @property
    def constrained_json(self) -> bool:  # type: ignore[override]
        """Whether answers are decoded under the answer schema (asked for, and possible here)."""
        return self.constrain and self.can_constrain

    @property
    def options_id(self) -> str:
        """The shared options that change answers, for cache ids."""
        settings = self.settings
        return (f"t={self.temperature},max={self.max_tokens},u={settings.usefulness},"
                f"h={settings.history_tokens},c={int(self.constrained_json)}")  # fmt: skip

    # ---- the shared path ----------------------------------------------------------------
    def chat_request(self, request: GenerationRequest, *, temperature: float | None = None, seed: int | None = None) -> ChatRequest:
        """The chat request that asks the model for this call's response.

        ``request.options`` may hold ``max_tokens`` (a longer or shorter answer for this call)
        and ``allow_error`` (False: the answer must follow the response schema, with no error
        branch — for the virtual tools of data synthesis and judging).
        """
        options = request.options or {}
        allow_error = error_reachable(request)
        schema = answer_schema(request.spec, allow_error=allow_error) if self.constrained_json else None
        return ChatRequest(
            # under a grammar the error branch is in the schema, not in the words (see prompt.ERROR_RULE)
            messages=build_messages(request, self.settings, count=self.count_tokens, error_rule=allow_error and schema is None),
            json_schema=schema,
            max_tokens=int(options.get("max_tokens", self.max_tokens)),
            temperature=self.temperature if temperature is None else temperature,
            seed=request.seed if seed is None else seed,
        )

    async def generate(self, requests: Sequence[GenerationRequest]) -> list[str | Answer]:
        """Answers for the requests, in order (see the module's docstring for the steps)."""
        if not requests:
            return []
        texts = await self.complete([self.chat_request(r) for r in requests])
        answers: list[str | Answer | None] = [None] * len(requests)
        retry: list[int] = []
        problems: dict[int, str] = {}
        for index, (request, text) in enumerate(zip(requests, texts)):
            answer, problem = self._use(request, text)
            if answer is None:
                retry.append(index)
                problems[index] = problem
            else:
                answers[index] = answer
        if retry:
            again = [self.chat_request(requests[i], temperature=max(self.temperature, RETRY_TEMPERATURE), seed=requests[i].seed + 1) for i in retry]
            for index, text in zip(retry, await self.complete(again)):
                answer, problem = self._use(requests[index], text)
                answers[index] = answer if answer is not None else self._fall_back(requests[index], problem)
        return answers  # type: ignore[return-value]

    def _use(self, request: GenerationRequest, text: str) -> tuple[str | None, str]:
        """The answer text to return, or None and why the model's text cannot be used."""
        try:
            value = parse_answer(text)
        except AnswerError as exc:
            return None, str(exc)
        if is_error_answer(value, request.spec):
            if not error_reachable(request):
                return None, "an error answer where the call can only succeed (its arguments passed the checks and name nothing that may not exist)"
            return json.dumps(value, ensure_ascii=False), ""
        fixed, changes = conform_answer(value, request.spec, request.arguments, request.seed)
        if changes:
            logger.debug("%s: conformed %d places of the answer for %s", self.name, changes, request.spec.name)
        return json.dumps(fixed, ensure_ascii=False), ""

    def _fall_back(self, request: GenerationRequest, problem: str) -> Answer:
        reason = f"the {self.name} engine gave no usable answer twice ({problem})"
        if not self.fallback:
            return Answer(text="", engine=self.name, failure=reason + "; the fallback to the schema engine is off")
        logger.warning("%s for %s; the schema engine answered", reason, request.spec.name)
        text: Any = self._schema_engine.generate_sync([request])[0]
        return Answer(text=text, engine=self._schema_engine.name, fallback=reason)

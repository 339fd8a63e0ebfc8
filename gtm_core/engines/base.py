"""The engine interface: one abstract method, ``generate(requests) -> texts``, plus capability flags.

An engine turns GenerationRequests (a tool spec, checked arguments, the episode's context)
into response texts. The simulator parses, conforms and records what comes back; engines do
not touch episodes or caches.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import GTMError
from ..spec import ToolSpec

__all__ = ["Answer", "ChatRequest", "Engine", "EngineError", "GenerationRequest", "HistoryItem"]


@dataclass(frozen=True)
class HistoryItem:
    """One earlier call of the episode, as an engine may use it."""

    tool: str
    arguments: Mapping[str, Any]
    response: Any  # parsed JSON where there was one, else the text
    is_error: bool = False


@dataclass(frozen=True)
class GenerationRequest:
    """What an engine needs to answer one call.

    ``seed`` is derived from the simulator's seed, the call and the episode, so the same call
    in the same context always gets the same answer. ``entity`` is the episode's current
    record of the entity this call reads or changes (None when there is none): an engine
    should answer consistently with it. ``hidden_context`` is task information an RL
    environment gave the episode (for example the ground-truth answer).
    """

    spec: ToolSpec
    arguments: Mapping[str, Any]
    seed: int = 0
    history: Sequence[HistoryItem] = ()
    entity: Mapping[str, Any] | None = None
    hidden_context: Mapping[str, Any] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """An engine's answer when it has more to say than the text.

    ``engine`` names who really answered (``schema`` when a language model's answer could not
    be used); ``fallback`` says why the engine's own answer was replaced (None when it was
    not). Engines may return plain strings instead: the text, answered by the engine itself.
    """

    text: str
    engine: str
    fallback: str | None = None
    #: set when the engine could not answer this call at all (the text is then unused)
    failure: str | None = None


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion for a language-model engine: the messages and how to decode.

    ``json_schema`` (None for free text) constrains the output where the engine can;
    ``temperature`` 0 means greedy decoding; ``seed`` makes sampled decoding repeatable.
    """

    messages: Sequence[Mapping[str, str]]
    json_schema: Mapping[str, Any] | None = None
    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0


class EngineError(GTMError):
    """An engine could not answer (dead server, timeout, full queue, missing extra)."""


class Engine(abc.ABC):
    """A way to produce tool responses.

    Subclasses set ``name`` and the capability flags and implement ``generate``.
    """

    name: ClassVar[str] = "engine"
    #: answers obey the response schema by construction (no repair needed)
    constrained_json: ClassVar[bool] = False
    #: many requests in one generate() call are cheaper than one by one
    supports_batching: ClassVar[bool] = False
    #: same request, same text, byte for byte
    deterministic: ClassVar[bool] = False
    #: answers depend on the episode's history (so cache keys must include it)
    uses_history: ClassVar[bool] = False
    #: answers may be the tool's own error object (``gtm_core.answers.is_error_answer``)
    answers_errors: ClassVar[bool] = False

    @property
    def cache_id(self) -> str:
        """What tells this engine's answers apart in a cache (name, model, options)."""
        return self.name

    @property
    def description(self) -> str:
        """What answers, in words, for logs: the engine and its model."""
        return self.cache_id

    @abc.abstractmethod
    async def generate(self, requests: Sequence[GenerationRequest]) -> list[str | Answer]:
        """One response text (or Answer) per request, in order."""

    def generate_sync(self, requests: Sequence[GenerationRequest]) -> list[str | Answer] | None:
        """A synchronous fast path for engines that need no event loop, else None."""
        return None

    async def aclose(self) -> None:
        """Release what the engine holds (models, connections)."""

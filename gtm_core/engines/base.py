"""The engine interface: one abstract method, ``generate(requests) -> texts``, plus capability flags.

An engine turns GenerationRequests (a tool spec, checked arguments, the episode's context)
into response texts. The simulator parses, conforms and records what comes back; engines do
not touch episodes or caches.

The value types (``GenerationRequest``, ``HistoryItem``, ``Answer``, ``ChatRequest``) live in
``gtm_core.generation``; they are re-exported here for users who import them from this
module, but project code imports them from ``gtm_core.generation``.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import ClassVar

from ..errors import GTMError
from ..generation import Answer, ChatRequest, GenerationRequest, HistoryItem

__all__ = ["Answer", "ChatRequest", "Engine", "EngineError", "GenerationRequest", "HistoryItem", "one_line"]


class EngineError(GTMError):
    """An engine could not answer (dead server, timeout, full queue, missing extra)."""


def one_line(exc: BaseException) -> str:
    """An exception as an EngineError message quotes its cause: one line, at most 300 characters."""
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


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

    def check(self) -> None:
        """Raise EngineError now for a setting that cannot work (a model that does not exist).

        Cheap (nothing is loaded): commands call it before they start serving, so a bad
        setting stops them with one line instead of failing every call.
        """

    async def aclose(self) -> None:
        """Release what the engine holds (models, connections)."""

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

from ..spec import ToolSpec

__all__ = ["Engine", "GenerationRequest", "HistoryItem"]


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

    @property
    def cache_id(self) -> str:
        """What tells this engine's answers apart in a cache (name, model, options)."""
        return self.name

    @abc.abstractmethod
    async def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """One response text per request, in order."""

    def generate_sync(self, requests: Sequence[GenerationRequest]) -> list[str] | None:
        """A synchronous fast path for engines that need no event loop, else None."""
        return None

    async def aclose(self) -> None:
        """Release what the engine holds (models, connections)."""

"""What an engine is asked and what it answers: the value types of one generation.

``GenerationRequest`` (a tool spec, checked arguments, the episode's context) and its
``HistoryItem``s go in; a text or an ``Answer`` comes out; a language-model engine turns a
request into a ``ChatRequest`` first. Episodes, prompts, recordings and CARG data use these
types too, so they live here, below the engines, and import nothing but the spec: engines
import them from here, never the reverse. ``gtm_core.engines.base`` re-exports them for
users who import them from there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .spec import ToolSpec

__all__ = ["Answer", "ChatRequest", "GenerationRequest", "HistoryItem"]


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

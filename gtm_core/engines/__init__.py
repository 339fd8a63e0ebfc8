"""Engines: the schema engine (no model), local models (transformers, llama.cpp), OpenAI-compatible servers, lmdeploy.

``get_engine(name, **options)`` builds a registered engine; engines are imported only when
asked for, so the heavy ones cost nothing until used.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import GTMError
from ..generation import GenerationRequest, HistoryItem
from .base import Engine

__all__ = ["ENGINES", "Engine", "GenerationRequest", "HistoryItem", "UnknownEngineError", "engine_class", "get_engine"]

# name -> "module:class", imported on first use
ENGINES: dict[str, str] = {
    "schema": "gtm_core.engines.schema:SchemaEngine",
    "transformers": "gtm_core.engines.transformers:TransformersEngine",
    "llamacpp": "gtm_core.engines.llamacpp:LlamaCppEngine",
    "openai": "gtm_core.engines.openai_compat:OpenAIEngine",
    "lmdeploy": "gtm_core.engines.lmdeploy_pipeline:LmdeployEngine",
}


class UnknownEngineError(GTMError, KeyError):
    """An engine name that is not registered."""

    def __str__(self) -> str:
        return str(self.args[0])


def engine_class(name: str) -> type[Engine]:
    """The class of the registered engine ``name`` (its module is imported now)."""
    target = ENGINES.get(name)
    if target is None:
        raise UnknownEngineError(f"unknown engine {name!r}; choose one of {', '.join(sorted(ENGINES))}")
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def get_engine(name: str, **options: Any) -> Engine:
    """A new engine of the registered kind ``name``, configured by ``options``."""
    return engine_class(name)(**options)

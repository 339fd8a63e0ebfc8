"""Choosing an engine and its options: flags, a TOML file and the environment, validated.

One place reads all three, in this order (later wins):

1. a TOML file (``--engine-config FILE`` or ``$GTM_ENGINE_CONFIG``)::

       engine = "openai"
       model = "Qwen2.5-1.5B-Instruct"
       [options]
       base_url = "http://127.0.0.1:23333/v1"
       concurrency = 16

2. the environment: ``$GTM_ENGINE``, ``$GTM_MODEL``;
3. flags: ``--engine``, ``--model``, ``--engine-option KEY=VALUE`` (repeatable; the value is
   read as JSON where it parses, else taken as text).

The schema engine is the default where no model is asked for; a model with no engine means
the ``transformers`` engine. Options are checked against the engine's constructor before
anything heavy loads, with messages that name what is wrong and what is accepted.
"""

from __future__ import annotations

import inspect
import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GTMError
from . import ENGINES, UnknownEngineError, engine_class
from .base import Engine

__all__ = ["EngineConfig", "EngineConfigError", "engine_options", "resolve_engine_config"]

DEFAULT_ENGINE = "schema"
MODEL_ENGINE = "transformers"
"""The engine a ``--model`` with no ``--engine`` asks for."""


class EngineConfigError(GTMError, ValueError):
    """Engine settings that cannot work; the message says what to change."""


@dataclass(frozen=True)
class EngineConfig:
    """A validated engine choice: its registered name and the options for its constructor."""

    name: str = DEFAULT_ENGINE
    options: Mapping[str, Any] = field(default_factory=dict)

    def build(self) -> Engine:
        """The engine, constructed (heavy engines load their model lazily, on first use)."""
        try:
            return engine_class(self.name)(**self.options)
        except (TypeError, ValueError) as exc:
            raise EngineConfigError(f"the {self.name} engine refused its options: {exc}") from exc

    def describe(self) -> str:
        """``transformers (model=..., max_batch=8)`` for logs."""
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(self.options.items()))
        return f"{self.name} ({shown})" if shown else self.name


def engine_options(name: str) -> dict[str, Any]:
    """The options an engine accepts, with their defaults (``inspect.Parameter.empty`` when required)."""
    out: dict[str, Any] = {}
    for klass in engine_class(name).__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.name == "self" or parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                continue
            out.setdefault(parameter.name, parameter.default)
    return out


def parse_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` -> (key, value); the value is read as JSON where it parses, else kept as text."""
    key, sep, raw = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key:
        raise EngineConfigError(f"an engine option must look like KEY=VALUE (for example max_batch=16). Got {text!r} instead.")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key, value


def _read_file(path: str | Path) -> tuple[str | None, str | None, dict[str, Any]]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EngineConfigError(f"cannot read the engine config {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise EngineConfigError(f"the engine config {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"engine", "model", "options"})
    if unknown:
        raise EngineConfigError(f"the engine config {path} has unknown keys {unknown}; use engine = \"...\", model = \"...\" and an [options] table")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise EngineConfigError(f"the engine config {path}: 'options' must be a table ([options])")
    engine, model = data.get("engine"), data.get("model")
    for key, value in (("engine", engine), ("model", model)):
        if value is not None and not isinstance(value, str):
            raise EngineConfigError(f"the engine config {path}: {key!r} must be a string. Got {value!r} instead.")
    return engine, model, dict(options)


def resolve_engine_config(
    engine: str | None = None,
    model: str | None = None,
    options: Iterable[str] | Mapping[str, Any] = (),
    *,
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> EngineConfig:
    """The engine and options that flags, a TOML file and the environment ask for, checked."""
    env = os.environ if environ is None else environ
    config_file = config_file or env.get("GTM_ENGINE_CONFIG") or None
    name, chosen_model, merged = None, None, {}
    if config_file:
        name, chosen_model, merged = _read_file(config_file)
    name = env.get("GTM_ENGINE") or name
    chosen_model = env.get("GTM_MODEL") or chosen_model
    name = engine or name
    chosen_model = model or chosen_model
    pairs = options.items() if isinstance(options, Mapping) else (parse_option(o) for o in options)
    for key, value in pairs:
        merged[key.replace("-", "_")] = value
    if name is None:
        name = MODEL_ENGINE if chosen_model or "model" in merged else DEFAULT_ENGINE
    if name not in ENGINES:
        raise UnknownEngineError(f"unknown engine {name!r}; choose one of {', '.join(sorted(ENGINES))}")
    accepted = engine_options(name)
    if chosen_model is not None:
        if "model" not in accepted:
            raise EngineConfigError(f"the {name} engine takes no model (it needs none); drop --model, or choose an engine that runs one: "
                                    f"{', '.join(sorted(n for n in ENGINES if 'model' in engine_options(n)))}")  # fmt: skip
        merged["model"] = chosen_model
    unknown = sorted(set(merged) - set(accepted))
    if unknown:
        known = ", ".join(sorted(accepted)) or "none"
        raise EngineConfigError(f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for the {name} engine; it accepts: {known}")
    missing = sorted(k for k, v in accepted.items() if v is inspect.Parameter.empty and k not in merged)
    if missing:
        raise EngineConfigError(f"the {name} engine needs the option{'s' if len(missing) > 1 else ''} {', '.join(missing)} (--engine-option KEY=VALUE)")
    return EngineConfig(name, merged)

"""The engine flags shared by ``gtm simulate`` and ``gtm serve`` (and later commands)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["ENGINE_HELP", "engine_config_from_flags", "engine_flags"]

F = TypeVar("F", bound=Callable[..., Any])

ENGINE_HELP = (
    "Engine that answers: schema (no model, the default), llamacpp (a GGUF model in process; the best "
    "installed known model when no --model is given), transformers (a local model; the embedded SmolLM2 "
    "when no --model is given), openai (any OpenAI-compatible server), lmdeploy (CUDA GPU)."
)


def engine_flags(command: F) -> F:
    """Add --engine, --model, --engine-option and --engine-config to a click command."""
    options = [
        click.option("--engine", default=None, metavar="NAME", help=ENGINE_HELP + "  [env GTM_ENGINE; default: schema, or transformers when a model is given]"),
        click.option("--model", default=None, metavar="NAME|PATH|ID",
                     help="Model the engine runs: a known name (gtm models list: qwen2.5-coder-0.5b, qwen2.5-coder-1.5b, "
                          "smollm2-135m), a local model folder or GGUF file, a hub id where the hub is reachable, "
                          "or the served model's name (openai).  [env GTM_MODEL]"),
        click.option("--engine-option", "engine_options", multiple=True, metavar="KEY=VALUE",
                     help="An engine option (repeatable), e.g. max_batch=16, base_url=http://127.0.0.1:8000/v1, constrain=false; "
                          "VALUE is read as JSON where it parses."),
        click.option("--engine-config", type=click.Path(dir_okay=False), default=None, metavar="FILE",
                     help="TOML file: engine = \"...\", model = \"...\" and an [options] table; flags override it.  [env GTM_ENGINE_CONFIG]"),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def engine_config_from_flags(engine: str | None, model: str | None, engine_options: tuple[str, ...], engine_config: str | None) -> Any:
    """The validated EngineConfig the flags (and the environment) ask for; a usage error if they cannot work."""
    from ..engines import UnknownEngineError
    from ..engines.config import EngineConfigError, resolve_engine_config

    try:
        return resolve_engine_config(engine, model, engine_options, config_file=engine_config)
    except (EngineConfigError, UnknownEngineError) as exc:
        raise click.UsageError(str(exc)) from exc

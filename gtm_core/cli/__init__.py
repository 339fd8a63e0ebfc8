"""The ``gtm`` command: one entry point whose subcommands load their package lazily.

``gtm catalog ...`` needs only gtm_core; commands of the optional parts (the MCP server, the
scope analysis) import their packages only when they run.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..errors import GTMError
from .lazy import LazyGroup, load_attribute

__all__ = ["LAZY_COMMANDS", "LAZY_PARTS", "cli", "load_part", "main"]

# subcommand -> (module defining a click command of that name, one-line help), imported on first use
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "catalog": ("gtm_core.cli.catalog", "Simulated tools: inspect, validate, import and deduplicate catalogs."),
    "simulate": ("gtm_core.cli.simulate", "Simulate one tool call, or a file of calls in one episode."),
    "scope": ("analysis.cli", "Scope analysis: market overlap and whether a tool can be simulated."),
    "serve": ("mcp_server.cli", "Serve a catalog's tools over MCP (stdio or streamable HTTP), simulated."),
    "train": ("gtm_core.cli.train", "Fine-tune a model (full or LoRA) on GTM chat JSONL into a servable folder."),
    "eval": ("gtm_core.cli.evaluate", "Evaluate engines on held-out tools with the paper's Table 1 metrics."),
    "synth": ("gtm_core.cli.synth", "Make GTM training data with the CARG pipeline (any engine as the teacher)."),
    "integrations": ("gtm_core.cli.integrations", "Configs that plug simulated tools into RL trainers (verl, OpenEnv)."),
    "models": ("gtm_core.cli.models", "Known models (Qwen2.5-Coder, SmolLM2): list, install, path, remove."),
    "proxy": ("mcp_server.proxy_cli", "Hybrid real/simulated tools: how simulated answers differ from recorded real ones."),
    "doctor": ("gtm_core.cli.doctor", "Check the installation: what is there, what is missing, and the command that fixes it."),
    "data": ("gtm_core.cli.data", "The public data: where it comes from, and whether a data folder holds it."),
}

# functions of the optional parts that core commands use -> (module, attribute), imported on first use,
# so gtm_core names them here and never imports them (`gtm catalog import --mcp-*` reads an MCP server)
LAZY_PARTS: dict[str, tuple[str, str]] = {
    "import_server": ("mcp_server.importer", "import_server"),
    "passed_variables": ("mcp_server.upstream_env", "passed_variables"),
    "find_scope_index": ("analysis.index_path", "find_index"),
}


def load_part(name: str) -> Any:
    """The function ``name`` of ``LAZY_PARTS``, imported now; a ClickException when its package is not installed."""
    return load_attribute(*LAZY_PARTS[name])


class GTMGroup(LazyGroup):
    """The ``gtm`` group: lazy subcommands (``LAZY_COMMANDS``), and library errors shown as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GTMError as exc:
            raise click.ClickException(str(exc)) from exc
        except BrokenPipeError:
            raise
        except OSError as exc:  # a file that cannot be read or written
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from exc


@click.group(cls=GTMGroup, lazy_commands=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gtm-toolkit", prog_name="gtm")
def cli() -> None:
    """GTM toolkit: a Generalist Tool Model simulates any tool from its specification."""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; library errors become one line and a non-zero exit, never a traceback."""
    try:
        cli.main(args=argv, prog_name="gtm", standalone_mode=True)
    except BrokenPipeError:  # e.g. `gtm catalog list | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)

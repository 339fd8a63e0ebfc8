"""``gtm simulate``: simulate one tool call, or a file of calls in one episode world."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..results import ToolCall, ToolResult
from .engine_flags import engine_config_from_flags, engine_flags
from .store_flags import cache_option, episodes_option


def _print_result(result: ToolResult, as_json: bool) -> None:
    if as_json:
        click.echo(result.to_json())
        return
    body: Any = result.structured
    click.echo(json.dumps(body, indent=2, ensure_ascii=False) if body is not None else result.content)
    flag = f"error ({result.error_kind})" if result.is_error else "ok"
    cached = ", cached" if result.cached else ""
    fallback = f" (fallback: {result.fallback})" if result.fallback else ""
    click.echo(f"[{result.tool}: {flag}, engine {result.engine}{cached}{fallback}, {result.latency_ms:.2f} ms]", err=True)


def _read_calls(stream: Any, episode: str | None) -> list[ToolCall]:
    calls = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            call = ToolCall.coerce(json.loads(line))
        except (json.JSONDecodeError, TypeError) as exc:
            raise click.ClickException(f"calls line {number}: {exc}; expected {{\"tool\": ..., \"arguments\": {{...}}}}") from exc
        calls.append(call if call.episode or not episode else ToolCall(call.tool, call.arguments, episode))
    return calls


def _parse_arguments(text: str) -> Any:
    """The --args value as JSON (any JSON value: the simulator answers a non-object itself); a usage error otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"--args is not valid JSON ({exc.msg} at character {exc.pos}); give a JSON object, e.g. --args '{{\"city\": \"Oslo\"}}'") from None
    except RecursionError:
        raise click.ClickException("--args is nested too deeply to read; give a JSON object of parameter names to values") from None


@click.command()
@click.argument("tool", required=False)
@click.option("--args", "arguments", default="{}", show_default=True, metavar="JSON", help="The call's arguments as a JSON object.")
@click.option("--calls", "calls_file", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help='Simulate every call of a JSONL file ({"tool", "arguments", "episode"} a line; - for stdin), in order.')
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(), metavar="PATH", help="Catalog file or folder (repeatable); default: the shipped catalog.")
@engine_flags
@click.option("--episode", default=None, metavar="ID", help="Episode id (the world of entities that calls share).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: same call, same seed, same answer.")
@cache_option
@episodes_option
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="Share of calls that fail transiently.")
@click.option("--no-checks", is_flag=True, help="Skip the argument checks (the engine sees every call).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole ToolResult as one JSON object (a line per call).")
def simulate(
    tool: str | None,
    arguments: str,
    calls_file: Any,
    catalogs: tuple[str, ...],
    engine: str | None,
    model: str | None,
    engine_options: tuple[str, ...],
    engine_config: str | None,
    episode: str | None,
    seed: int,
    cache_path: str | None,
    episodes: str,
    fault_rate: float,
    no_checks: bool,
    as_json: bool,
) -> None:
    """Simulate TOOL called with --args, or each call of --calls FILE.

    The answer is printed as JSON; a bad call prints the tool's error (flagged on stderr, or
    "is_error" with --json). Episodes live for one run: use --calls for a sequence of calls
    whose entities persist (create, then get, update, delete, list), or --episodes sqlite:PATH
    to keep them across commands.
    """
    from ..catalog import Catalog
    from ..simulator import Simulator

    if (tool is None) == (calls_file is None):
        raise click.UsageError("give either TOOL (with --args) or --calls FILE")
    config = engine_config_from_flags(engine, model, engine_options, engine_config)
    calls = [ToolCall(tool, _parse_arguments(arguments), episode)] if tool is not None else _read_calls(calls_file, episode)
    built = config.build()
    built.check()  # a model that does not exist stops here, in one line
    catalog = Catalog.load(*catalogs) if catalogs else Catalog.shipped()
    with Simulator(catalog, engine=built, cache=cache_path, episodes=episodes, seed=seed, faults=fault_rate or None, check=not no_checks) as sim:
        for call in calls:
            _print_result(sim.simulate(call), as_json)
    sys.stdout.flush()

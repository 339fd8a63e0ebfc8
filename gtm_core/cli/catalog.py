"""``gtm catalog ...``: inspect, validate, import and deduplicate tool catalogs.

With no PATH, commands use the catalog that ships with the toolkit. A PATH is a file or a
folder of files in any supported format (gtm, rows, openai, mcp; optionally gzipped).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import click

from ..catalog import Catalog
from ..convert import spec_to_mcp, spec_to_openai, spec_to_row
from ..importers import FORMATS
from ..spec import ToolSpec

_SHOWN_LOAD_PROBLEMS = 10


def _paths_argument(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("paths", nargs=-1, type=click.Path(dir_okay=True), metavar="[PATH]...")(func)


def _load_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--strict", is_flag=True, help="Stop at the first unreadable line instead of skipping it."
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="auto",
        show_default=True,
        help="Format of the PATHs; auto decides per tool from its keys.",
    )(func)
    return func


def _load(paths: tuple[str, ...], fmt: str = "auto", strict: bool = False, *, quiet: bool = False) -> Catalog:
    """The catalog at PATHs (the shipped one when none), warning about unreadable lines."""
    catalog = Catalog.load(*paths, format=fmt, strict=strict) if paths else Catalog.shipped()
    if catalog.problems and not quiet:
        for error in catalog.problems[:_SHOWN_LOAD_PROBLEMS]:
            click.echo(f"warning: skipped {error}", err=True)
        hidden = len(catalog.problems) - _SHOWN_LOAD_PROBLEMS
        if hidden > 0:
            click.echo(f"warning: ... and {hidden} more unreadable lines (see `gtm catalog validate`)", err=True)
    return catalog


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _one_line(text: str, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _where(spec: ToolSpec) -> str:
    return "/".join(p for p in (spec.field, spec.subfield) if p) or "-"


@click.group()
def catalog() -> None:
    """Simulated tools: inspect, validate, import and deduplicate catalogs.

    With no PATH, commands use the catalog that ships with the toolkit.
    """


@catalog.command()
@_paths_argument
@_load_options
@click.option("--json", "as_json", is_flag=True, help="Print the stats as one JSON object.")
def stats(paths: tuple[str, ...], fmt: str, strict: bool, as_json: bool) -> None:
    """Count tools, fields and subfields, with a per-field breakdown.

    --json prints an object with integer "tools" and "fields" keys and "by_field".
    """
    numbers = _load(paths, fmt, strict).stats()
    if as_json:
        _echo_json(numbers)
        return
    for label, key in [
        ("tools", "tools"),
        ("unique names", "unique_names"),
        ("fields", "fields"),
        ("subfields", "subfields"),
        ("with response schema", "with_response_schema"),
        ("with response description", "with_response_description"),
        ("with examples", "with_examples"),
        ("parameters per tool (mean)", "parameters_mean"),
        ("unreadable lines", "unreadable_lines"),
    ]:
        click.echo(f"{label:<28}{numbers[key]:>8}")
    if numbers["sources"]:
        click.echo("sources: " + ", ".join(f"{k} {v}" for k, v in sorted(numbers["sources"].items())))
    click.echo()
    click.echo(f"{'field':<36}{'tools':>7}{'subfields':>11}")
    for name, entry in numbers["by_field"].items():
        click.echo(f"{_one_line(name, 35):<36}{entry['tools']:>7}{len(entry['subfields']):>11}")


@catalog.command()
@_paths_argument
@_load_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary, not each problem.")
def validate(paths: tuple[str, ...], fmt: str, strict: bool, as_json: bool, quiet: bool) -> None:
    """Report every problem of every tool, with the file and line it came from.

    Checks: unreadable lines, illegal or over-long MCP names (at most 64 of A-Za-z0-9_-),
    duplicate names, required parameters missing from properties, schemas that are not valid
    JSON Schema, examples that break the schemas, missing descriptions (a warning).
    Exits 1 when any error is found.
    """
    from ..validate import validate_catalog

    started = time.perf_counter()
    cat = _load(paths, fmt, strict, quiet=True)
    problems = validate_catalog(cat)
    seconds = time.perf_counter() - started
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    by_code = Counter(p.code for p in problems)
    if as_json:
        _echo_json(
            {
                "tools": len(cat),
                "errors": errors,
                "warnings": warnings,
                "by_code": dict(by_code.most_common()),
                "seconds": round(seconds, 3),
                "problems": [p.to_dict() for p in problems],
            }
        )
    else:
        if not quiet:
            for problem in problems:
                click.echo(f"{problem.severity}: {problem}")
        for code, count in by_code.most_common():
            click.echo(f"{count:>7}  {code}")
        verdict = "valid" if not errors else "invalid"
        click.echo(f"{len(cat)} tools: {errors} errors, {warnings} warnings ({verdict}; {seconds:.2f} s)")
    if errors:
        raise SystemExit(1)


def _filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--name", "names", multiple=True, metavar="GLOB", help="Tool name glob (repeatable).")(func)
    func = click.option("--subfield", help="Only tools of this subfield.")(func)
    func = click.option("--field", help="Only tools of this field.")(func)
    return func


@catalog.command(name="list")
@_paths_argument
@_load_options
@_filter_options
@click.option("--limit", type=click.IntRange(min=0), default=0, help="Show at most this many (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per tool (JSON Lines).")
def list_(
    paths: tuple[str, ...],
    fmt: str,
    strict: bool,
    field: str | None,
    subfield: str | None,
    names: tuple[str, ...],
    limit: int,
    as_json: bool,
) -> None:
    """List tools, optionally filtered by field, subfield and name glob."""
    selected = _load(paths, fmt, strict).filter(field=field, subfield=subfield, names=names)
    tools = selected.tools[:limit] if limit else selected.tools
    for spec in tools:
        if as_json:
            click.echo(json.dumps(spec.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"{spec.name:<40} {_one_line(_where(spec), 36):<36} {_one_line(spec.description, 70)}")
    if not as_json:
        click.echo(f"{len(tools)} of {len(selected)} tools", err=True)


@catalog.command()
@click.argument("query")
@_paths_argument
@_load_options
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as a JSON list.")
def search(query: str, paths: tuple[str, ...], fmt: str, strict: bool, limit: int, as_json: bool) -> None:
    """Keyword search over tool names and descriptions, best first."""
    results = _load(paths, fmt, strict).search(query, limit=limit)
    if as_json:
        _echo_json([{"name": s.name, "score": score, "field": s.field, "subfield": s.subfield, "description": s.description} for s, score in results])
        return
    if not results:
        click.echo(f"no tool matches {query!r}", err=True)
    for spec, score in results:
        click.echo(f"{score:5.2f}  {spec.name:<40} {_one_line(spec.description, 80)}")


_SHOW_AS: dict[str, Callable[[ToolSpec], dict[str, Any]]] = {
    "gtm": ToolSpec.to_dict,
    "openai": spec_to_openai,
    "mcp": spec_to_mcp,
    "rows": spec_to_row,
}


@catalog.command()
@click.argument("name")
@_paths_argument
@_load_options
@click.option("--as", "as_format", type=click.Choice(sorted(_SHOW_AS)), default="gtm", show_default=True,
              help="Print the spec in this format.")
def show(name: str, paths: tuple[str, ...], fmt: str, strict: bool, as_format: str) -> None:
    """Print one tool's spec as JSON (unknown names get the closest suggestions)."""
    spec = _load(paths, fmt, strict).get(name)
    _echo_json(_SHOW_AS[as_format](spec))


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise click.BadParameter(f"{text!r} is not 'Name: value'", param_hint="--header")
    return name.strip(), value.strip()


@catalog.command(name="import", short_help="Import tool files, or the tools of a running MCP server, into a catalog.")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True), metavar="[FILE]...")
@_load_options
@click.option("--mcp-stdio", "mcp_command", metavar="COMMAND",
              help="Instead of FILEs: start this MCP server (one quoted command line, e.g. \"mcp-server-memory\") "
                   "and import every tool its tools/list returns.")
@click.option("--mcp-url", metavar="URL",
              help="Instead of FILEs: import the tools of the MCP server at this streamable HTTP endpoint "
                   "(e.g. http://127.0.0.1:8000/mcp).")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'",
              help="HTTP header sent to --mcp-url (repeatable), e.g. 'Authorization: Bearer TOKEN'.")
@click.option("--mcp-env", "mcp_env", multiple=True, metavar="NAME[=VALUE]",
              help="An environment variable for the --mcp-stdio server, this process's value or VALUE (repeatable); "
                   "it gets only PATH, HOME, the locale and the like otherwise.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True, metavar="SECONDS",
              help="Seconds allowed for the MCP server to start and list its tools.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="GTM JSONL file to write (.gz compresses).")
def import_(
    files: tuple[str, ...],
    fmt: str,
    strict: bool,
    mcp_command: str | None,
    mcp_url: str | None,
    headers: tuple[str, ...],
    mcp_env: tuple[str, ...],
    timeout: float,
    output: str,
) -> None:
    """Convert tool files (OpenAI tools, MCP tools/list dumps, dataset rows, GTM) into a catalog,
    or read the tools of a running MCP server so that it can be simulated.

    Give FILEs, or exactly one of --mcp-stdio COMMAND (the server is started with a minimal
    environment plus --mcp-env, listed page by page and stopped) and --mcp-url URL (streamable HTTP).
    Loose type spellings (str, int, float, dict, list, bool) become JSON Schema types.
    Unreadable lines or tools are reported and skipped unless --strict.
    """
    started = time.perf_counter()
    sources = sum(1 for given in (files, mcp_command, mcp_url) if given)
    if sources != 1:
        what = "nothing" if not sources else "more than one source"
        raise click.UsageError(f"give FILEs, --mcp-stdio COMMAND or --mcp-url URL (exactly one kind; got {what})")
    if headers and not mcp_url:
        raise click.UsageError("--header goes with --mcp-url only")
    if mcp_env and not mcp_command:
        raise click.UsageError("--mcp-env goes with --mcp-stdio only")
    if not files:
        if fmt not in ("auto", "mcp"):
            raise click.UsageError(f"--format {fmt} does not apply to an MCP server (its tools are in MCP form)")
        from . import load_part

        import_server = load_part("import_server")  # the MCP server's part, imported only now
        header_map = dict(_parse_header(h) for h in headers)
        env = load_part("passed_variables")(mcp_env)  # a bad NAME is a GTMError: one line, exit 1
        result = import_server(command=mcp_command, url=mcp_url, headers=header_map or None, env=env, timeout=timeout, strict=strict)
        where = f"MCP server '{mcp_command}'" if mcp_command else f"MCP server at {mcp_url}"
        if not result.specs:
            detail = f" ({len(result.problems)} could not be read: {result.problems[0]})" if result.problems else ""
            raise click.ClickException(f"{where} lists no usable tools{detail}")
        for error in result.problems[:_SHOWN_LOAD_PROBLEMS]:
            click.echo(f"warning: skipped {error}", err=True)
        cat = Catalog(result.specs, problems=result.problems)
        cat.formats = set(result.formats)
        cat.save(output)
        skipped = f"; {len(cat.problems)} tools skipped" if cat.problems else ""
        click.echo(f"imported {len(cat)} tools (mcp) from {where} into {output} in {time.perf_counter() - started:.2f} s{skipped}")
        return
    cat = _load(files, fmt, strict)
    if not len(cat):
        raise click.ClickException(f"no tools found in {', '.join(files)}; check the file and --format")
    cat.save(output)
    kinds = ", ".join(sorted(cat.formats)) or "none"
    skipped = f"; {len(cat.problems)} unreadable lines skipped" if cat.problems else ""
    click.echo(f"imported {len(cat)} tools ({kinds}) into {output} in {time.perf_counter() - started:.2f} s{skipped}")


@catalog.command()
@_paths_argument
@_load_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Catalog file to write with the kept tools.")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.8, show_default=True,
              help="Tools whose names' cosine similarity exceeds this are duplicates.")
@click.option("--json", "as_json", is_flag=True, help="Print what was dropped as a JSON object.")
def dedup(paths: tuple[str, ...], fmt: str, strict: bool, output: str, threshold: float, as_json: bool) -> None:
    """Drop near-duplicate tools (cosine similarity of names above --threshold), saying what was dropped."""
    from ..dedup import deduplicate

    cat = _load(paths, fmt, strict)
    kept, dropped = deduplicate(cat, threshold=threshold)
    kept.save(output)
    if as_json:
        _echo_json(
            {
                "tools": len(cat),
                "kept": len(kept),
                "dropped": [{"name": d.tool.name, "origin": d.tool.origin, "kept": d.kept.name, "similarity": round(d.similarity, 4)} for d in dropped],
            }
        )
        return
    for item in dropped:
        click.echo(str(item))
    click.echo(f"kept {len(kept)} of {len(cat)} tools, dropped {len(dropped)} (threshold {threshold}); wrote {output}")


@catalog.command()
@_paths_argument
@_load_options
@click.option("--json", "as_json", is_flag=True, help="Print the model as one JSON object (resources, operations, unplaced, not_resource_tools).")
def resources(paths: tuple[str, ...], fmt: str, strict: bool, as_json: bool) -> None:
    """Print the resource model the episode world applies: each resource with its key, state
    field and initial state, the operation of each tool, the tools that look stateful but
    could not be placed, with the reason, and apart from them the tools that are no resource
    tool (a read that takes no key, ``get_weather(city)``), with the reason. An ``x-gtm-resource`` annotation in a tool's
    parameters states or corrects its operation (see the README).
    """
    from ..resources import infer_resources

    model = infer_resources(_load(paths, fmt, strict))
    if as_json:
        _echo_json(model.to_dict())
        return
    for resource in model.resources.values():
        state = f", state {resource.state_field} (starts {resource.initial_state!r})" if resource.state_field else ""
        key = resource.key if resource.key is not None else "(all fields)"
        click.echo(f"{resource.name}: key {key}{' (chosen by the caller)' if resource.client_key else ''}{state}")
        for name in resource.tools:
            operation = model.operations[name]
            extra = f" -> {operation.to_state}" if operation.to_state else ""
            click.echo(f"  {operation.kind:<12} {name}{extra}    ({_one_line(operation.reason, 100)})")
    if model.unplaced:
        click.echo(f"unplaced ({len(model.unplaced)}):")
        for item in model.unplaced:
            click.echo(f"  {item.tool}: {_one_line(item.reason, 140)}")
    if model.not_resource:
        click.echo(f"not a resource tool ({len(model.not_resource)}):")
        for item in model.not_resource:
            click.echo(f"  {item.tool}: {_one_line(item.reason, 140)}")
    click.echo(f"{len(model.resources)} resources, {len(model.operations)} tools placed, {len(model.unplaced)} unplaced, "
               f"{len(model.not_resource)} not resource tools")  # fmt: skip

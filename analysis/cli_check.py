"""``gtm scope check``: can these tools be simulated safely?

    gtm scope check "TEXT" | --spec FILE | --catalog FILE | --tools-list FILE | --file FILE
                    [--json] [--index PATH] [-k N]

TEXT is ``"name: description"`` or a description alone; ``--file`` reads one such text (or one
JSON tool object) per line. The inputs may be combined; every tool of every input is scored.
The scope index (training APIs and market tools as vectors, see ``analysis.applicability`` and
``analysis.index_file``) is read, never built: ``--index PATH``, else ``$GTM_SCOPE_INDEX``, else the
one ``gtm scope build-index`` wrote under ``$GTM_CACHE_DIR/scope/``, else the one the package
ships (``analysis.index_path``).

``--json`` prints JSON Lines: one JSON object per tool, in input order, with ``tool``,
``score``, ``verdict``, ``reasons``, ``neighbours`` (``side``, ``name``, ``server``, ``origin``,
``similarity``, ``description``: null from a saved index, which keeps no texts), ``coverage``, ``similarity``, ``market_similarity``,
``market_only`` and ``flags``. Without it, a compact table (for one tool: its reasons and
neighbours). The score is the calibrated coverage discounted for each reason to prefer the
real tool; see ``analysis.applicability`` for the coverage, ``analysis.verdicts`` for the score
and the verdict rules and ``analysis.flags`` for the flags.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["check", "open_index"]


def _make_embedder(model_id: str | None = None) -> Any:
    """The embedder of the CLI (a seam: tests replace it). Queries are few and short, so no
    disk cache and no progress bar."""
    from .embed import DEFAULT_MODEL, Embedder

    return Embedder(None if model_id in (None, DEFAULT_MODEL) else model_id, progress=False, cache=False)


def open_index(index: str | Path | None = None) -> Any:
    """The scope index of :func:`analysis.index_path.find_index` (``index``, else the first of
    ``$GTM_SCOPE_INDEX``, the built one and the shipped one), loaded with the CLI's embedder. It is
    never built here: ``gtm scope build-index`` builds it."""
    from .applicability import ScopeIndex
    from .index_path import find_index

    loaded = ScopeIndex.load(find_index(index))
    loaded.embedder = _make_embedder(loaded.model_id)
    return loaded


def _gather(
    text: tuple[str, ...], spec: tuple[str, ...], catalog: tuple[str, ...], tools_list: tuple[str, ...], text_files: tuple[str, ...] = ()
) -> list[Any]:
    from gtm_core.errors import GTMError

    from .market import load_catalog_file, load_tools_list_dump
    from .queries import read_queries

    tools: list[Any] = [t for t in text]
    try:
        for path in text_files:
            tools += read_queries(path)
        for path in spec:
            tools += load_catalog_file(path)
        for path in catalog:
            tools += load_catalog_file(path)
        for path in tools_list:
            tools += load_tools_list_dump(path)
    except GTMError as exc:
        raise click.ClickException(str(exc)) from exc
    return tools


_SHORT = (
    ("depends on a named external platform: ", "platform: "),
    ("acts on the outside world: ", "acts: "),
    ("touches private data: ", "private: "),
    ("needs real-time facts: ", "real-time: "),
)


def _short_reasons(reasons: list[str]) -> str:
    out = []
    for reason in reasons:
        if reason.startswith(("low coverage", "limited coverage")):
            out.append(reason.split(" (")[0])
        elif reason.startswith("in a market-only region"):
            out.append("market-only region")
        elif reason.startswith("covered"):
            continue
        else:
            for long, short in _SHORT:
                if reason.startswith(long):
                    reason = short + reason[len(long) :]
            out.append(reason)
    return "; ".join(out) or "-"


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(results: list[Any]) -> None:
    rows = []
    for r in results:
        nearest = next((n for n in r.neighbours if n["side"] == "training"), None)
        near = f"{_clip(nearest['name'], 28)} ({nearest['similarity']:.2f})" if nearest else "-"
        rows.append([r.verdict, f"{r.score:.2f}", f"{r.coverage:.2f}", _clip(r.tool, 36), near, _short_reasons(r.reasons)])
    header = ["VERDICT", "SCORE", "COVERAGE", "TOOL", "NEAREST TRAINING API", "REASONS"]
    last = len(header) - 1
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(last)]
    for row in [header] + rows:
        click.echo("  ".join(cell.ljust(widths[i]) if i < last else cell for i, cell in enumerate(row)).rstrip())


def _print_one(result: Any) -> None:
    from .verdicts import VERDICT_MEANING

    click.echo(
        f"{result.tool}: {result.verdict} (score {result.score:.2f}, coverage {result.coverage:.2f}) — "
        f"{VERDICT_MEANING[result.verdict]}"
    )
    for reason in result.reasons:
        click.echo(f"  - {reason}")
    for side in ("training", "market"):
        near = [n for n in result.neighbours if n["side"] == side]
        if near:
            click.echo(f"  nearest {side} tools:")
            for n in near:
                label = f"{n['server']}/{n['name']}" if n.get("server") else n["name"]
                click.echo(f"    {n['similarity']:.2f}  {_clip(label, 40)}  {_clip(n['description'] or n.get('origin') or '', 70)}".rstrip())


@click.command("check", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("text", nargs=-1)
@click.option("--spec", "spec", multiple=True, type=click.Path(exists=True, dir_okay=False), help="A tool spec file (GTM, OpenAI or MCP format).")
@click.option("--catalog", "catalog", multiple=True, type=click.Path(exists=True), help="A catalog file or folder: every tool is scored.")
@click.option("--tools-list", "tools_list", multiple=True, type=click.Path(exists=True, dir_okay=False), help="An MCP tools/list dump: every tool is scored.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per tool (score, verdict, reasons, neighbours, ...).")
@click.option("--file", "text_files", multiple=True, type=click.Path(exists=True, dir_okay=False), help="One tool per line: a TEXT or a JSON tool object.")
@click.option("--index", "index", type=click.Path(dir_okay=False), help="The index file to read (default: the built one, else the shipped one).")
@click.option("-k", "--neighbours", "k", type=click.IntRange(min=0), default=3, show_default=True, help="Neighbours listed per side.")
def check(
    text: tuple[str, ...],
    spec: tuple[str, ...],
    catalog: tuple[str, ...],
    tools_list: tuple[str, ...],
    text_files: tuple[str, ...],
    as_json: bool,
    index: str | None,
    k: int,
) -> None:
    """Can these tools be simulated safely? A score, a verdict and the reasons.

    TEXT is "name: description" or a description. Verdicts: simulate; warm-up (warm up on
    GTM, then switch to the real tool); fine-tune first; do not simulate.
    """
    from gtm_core.errors import GTMError

    tools = _gather(text, spec, catalog, tools_list, text_files)
    if not tools:
        raise click.UsageError("give a TEXT, --spec FILE, --catalog FILE, --tools-list FILE or --file FILE")
    try:
        scope = open_index(index)
        results = scope.score_many(tools, k=k)
    except GTMError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        for result in results:
            sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        return
    if len(results) == 1:
        _print_one(results[0])
    else:
        _print_table(results)

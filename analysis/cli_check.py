"""``gtm scope check``: can these tools be simulated safely?

    gtm scope check "TEXT" | --spec FILE | --catalog FILE | --tools-list FILE
                    [--json] [--index PATH] [--sample N] [-k N] [--rebuild]

TEXT is ``"name: description"`` or a description alone. The inputs may be combined; every tool
of every input is scored. The scope index (training APIs and market tools with their
embeddings, see ``analysis.applicability``) is built on first use from the public data of
``GTM_DATA_DIR`` and kept under ``$GTM_CACHE_DIR/scope/`` (default ``~/.cache/gtm-toolkit/scope/``);
later runs load it. ``--index PATH`` reads that index file, or builds it there when absent.

``--json`` prints JSON Lines: one JSON object per tool, in input order, with ``tool``,
``score``, ``verdict``, ``reasons``, ``neighbours`` (``side``, ``name``, ``server``, ``origin``,
``similarity``, ``description``), ``coverage``, ``similarity``, ``market_similarity``,
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

__all__ = ["check", "default_index_path", "open_index"]


def default_index_path(sample: int | None = None, seed: int = 0) -> Path:
    """Where the CLI keeps the index built from the public data: a file named by a hash of the
    data files (path, size, time), the model, the sample and the index version."""
    from gtm_core.data import MARKET, TRAINING_APIS, data_file

    from .applicability import INDEX_VERSION, index_key
    from .embed import DEFAULT_MODEL, default_cache_dir

    files = []
    for relative in (TRAINING_APIS, MARKET):
        path = data_file(relative)
        if path is not None:
            stat = path.stat()
            files.append([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
        else:
            files.append([relative, None, None])
    key = index_key(INDEX_VERSION, DEFAULT_MODEL, files, sample, seed)
    return default_cache_dir().parent / "scope" / f"index-{key}.npz"


def _make_embedder(model_id: str | None = None) -> Any:
    """The embedder of the CLI (a seam: tests replace it)."""
    from .embed import DEFAULT_MODEL, Embedder

    return Embedder(None if model_id in (None, DEFAULT_MODEL) else model_id, progress=True)


def open_index(index: str | Path | None = None, *, sample: int | None = None, rebuild: bool = False) -> Any:
    """The scope index: read from ``index`` (or the default path), else built from the public
    data and saved there."""
    from gtm_core.data import MARKET, TRAINING_APIS, data_file

    from .applicability import ScopeIndex, ScopeIndexError

    path = Path(index).expanduser() if index is not None else default_index_path(sample)
    if path.exists() and not rebuild:
        loaded = ScopeIndex.load(path)
        loaded.embedder = _make_embedder(loaded.model_id)
        return loaded
    if data_file(TRAINING_APIS) is None or data_file(MARKET) is None:
        where = f"no index at {path}, and " if index is not None else ""
        raise click.ClickException(
            f"{where}the public data ({TRAINING_APIS}, {MARKET}) was not found: set GTM_DATA_DIR to the "
            "data folder, or pass --index PATH of a built index"
        )
    from .market import load_market, load_training

    training, market = load_training(), load_market()
    counts = f"{sample} of each side" if sample else f"{len(training):,} training APIs and {len(market):,} market tools"
    click.echo(f"building the scope index from {counts} (first run; kept in {path})", err=True)
    try:
        built = ScopeIndex.build(training, market, embedder=_make_embedder(), sample=sample)
    except ScopeIndexError as exc:
        raise click.ClickException(str(exc)) from exc
    built.save(path)
    return built


def _gather(text: tuple[str, ...], spec: tuple[str, ...], catalog: tuple[str, ...], tools_list: tuple[str, ...]) -> list[Any]:
    from gtm_core.errors import GTMError

    from .market import load_catalog_file, load_tools_list_dump

    tools: list[Any] = [t for t in text]
    try:
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
                click.echo(f"    {n['similarity']:.2f}  {_clip(label, 40)}  {_clip(n['description'], 70)}")


@click.command("check", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("text", nargs=-1)
@click.option("--spec", "spec", multiple=True, type=click.Path(exists=True, dir_okay=False), help="A tool spec file (GTM, OpenAI or MCP format).")
@click.option("--catalog", "catalog", multiple=True, type=click.Path(exists=True), help="A catalog file or folder: every tool is scored.")
@click.option("--tools-list", "tools_list", multiple=True, type=click.Path(exists=True, dir_okay=False), help="An MCP tools/list dump: every tool is scored.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per tool (score, verdict, reasons, neighbours, ...).")
@click.option("--index", "index", type=click.Path(dir_okay=False), help="The index file to read (built there when absent).")
@click.option("--sample", type=click.IntRange(min=2), help="Build the index from N tools of each side (a quick, rougher index).")
@click.option("-k", "--neighbours", "k", type=click.IntRange(min=0), default=3, show_default=True, help="Neighbours listed per side.")
@click.option("--rebuild", is_flag=True, help="Build the index again even if it exists.")
def check(
    text: tuple[str, ...],
    spec: tuple[str, ...],
    catalog: tuple[str, ...],
    tools_list: tuple[str, ...],
    as_json: bool,
    index: str | None,
    sample: int | None,
    k: int,
    rebuild: bool,
) -> None:
    """Can these tools be simulated safely? A score, a verdict and the reasons.

    TEXT is "name: description" or a description. Verdicts: simulate; warm-up (warm up on
    GTM, then switch to the real tool); fine-tune first; do not simulate.
    """
    from gtm_core.errors import GTMError

    tools = _gather(text, spec, catalog, tools_list)
    if not tools:
        raise click.UsageError("give a TEXT, --spec FILE, --catalog FILE or --tools-list FILE")
    try:
        scope = open_index(index, sample=sample, rebuild=rebuild)
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

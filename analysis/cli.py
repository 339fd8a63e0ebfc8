"""``gtm scope``: market overlap, the registry crawler, and (from analysis.cli_check) ``check``."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import click

from gtm_core.cli.lazy import LazyGroup

__all__ = ["scope"]

# subcommands defined in other analysis modules: name -> (module, one-line help), imported on use
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("analysis.cli_check", "Can these tools be simulated safely? A score, a verdict and the reasons."),
}


@click.group(cls=LazyGroup, lazy_commands=LAZY_COMMANDS)
def scope() -> None:
    """Scope analysis: market overlap and whether a tool can be simulated."""


def _percent(value: float) -> str:
    return f"{100 * value:5.1f}%"


def _interval(pair: tuple[float, float]) -> str:
    return f"[{100 * pair[0]:.1f}, {100 * pair[1]:.1f}]"


def _print_report(report: Any, *, n_regions: int) -> None:
    cov = report.coverage
    echo = click.echo
    echo(
        f"market: {len(report.market):,} tools · training: {len(report.training):,} APIs · "
        f"model: {report.model_id}"
    )
    echo("")
    echo(
        f"Coverage in the embedding space: covered = nearest tool of the other set at cosine >= "
        f"{cov.threshold:.3f}"
    )
    echo(
        f"  (the {cov.quantile:g} quantile of the training APIs' similarity to their own nearest "
        f"neighbour; {cov.confidence:.0%} bootstrap intervals, {cov.n_boot} resamples)"
    )
    echo(f"  market tools covered by training APIs  {_percent(cov.a_in_b)}  {_interval(cov.a_in_b_interval)}")
    echo(f"  training APIs covered by market tools  {_percent(cov.b_in_a)}  {_interval(cov.b_in_a_interval)}")
    if report.grid is not None:
        grid = report.grid
        echo("")
        echo(f"Grid overlap on the {report.method} map ({grid.bins}x{grid.bins} cells):")
        echo(
            f"  occupied cells holding both sets        {_percent(grid.overlap)}  {_interval(grid.interval)}"
            f"  ({grid.cells_both} of {grid.cells_a + grid.cells_b - grid.cells_both})"
        )
        echo(
            f"  market cells shared {_percent(grid.a_shared).strip()}, training cells shared "
            f"{_percent(grid.b_shared).strip()}"
        )
    sweep = report.sweep
    echo("")
    echo("How the overlap moves with the threshold:")
    echo("  quantile  threshold  market<-training  training<-market")
    for row in sweep[sweep["kind"] == "coverage"].itertuples(index=False):
        row = row._asdict()
        echo(
            f"  {row['setting']:8.2f}  {row['threshold']:9.3f}  {_percent(row['market_in_training']):>16}  "
            f"{_percent(row['training_in_market']):>16}"
        )
    grid_rows = sweep[sweep["kind"] == "grid"]
    if len(grid_rows):
        echo("  grid bins  overlap")
        for row in grid_rows.itertuples(index=False):
            row = row._asdict()
            echo(f"  {int(row['setting']):9d}  {_percent(row['overlap']):>7}")
    for side, title in (("market", "Regions only the market covers"), ("training", "Regions only the training APIs cover")):
        frame = report.regions[side]
        uncovered = int(frame["size"].sum()) if len(frame) else 0
        echo("")
        echo(f"{title} ({uncovered:,} uncovered tools, largest clusters first):")
        for row in frame.head(n_regions).itertuples(index=False):
            examples = "; ".join(row.examples)
            echo(f"  {row.region:2d}. {row.label}  ({row.size:,} tools, {_percent(row.share).strip()})")
            echo(f"      e.g. {examples}")


@scope.command()
@click.option("--market", "market_path", type=click.Path(dir_okay=False, path_type=Path), help="Market tools (JSONL rows, a catalog or a tools/list dump); default: the public data's crawl.")
@click.option("--training", "training_path", type=click.Path(path_type=Path), help="Training APIs (any catalog format); default: the public data's training catalog.")
@click.option("--model", default=None, help="sentence-transformers model name or folder; default: the packaged all-MiniLM-L6-v2.")
@click.option("--method", type=click.Choice(["tsne", "umap", "none"]), default="tsne", show_default=True, help="2-D projection for the grid overlap; none skips the map.")
@click.option("--sample", type=click.IntRange(min=1), default=None, help="Use N random tools of each side (seeded).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quantile", type=click.FloatRange(0, 1), default=0.1, show_default=True, help="Calibration quantile of the training APIs' own nearest-neighbour similarity.")
@click.option("--bins", type=click.IntRange(min=2), default=50, show_default=True, help="Grid size of the map overlap.")
@click.option("--n-boot", type=click.IntRange(min=0), default=1000, show_default=True, help="Bootstrap resamples for the intervals.")
@click.option("--clusters", type=click.IntRange(min=1), default=12, show_default=True, help="Clusters per side for the exclusive regions.")
@click.option("--regions", "n_regions", type=click.IntRange(min=0), default=5, show_default=True, help="Regions to print per side.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None, envvar="GTM_CACHE_DIR",
              help="Embedding cache folder (its embeddings/ subfolder); default ~/.cache/gtm-toolkit.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the overlap map as HTML (needs a --method).")
def overlap(
    market_path: Path | None,
    training_path: Path | None,
    model: str | None,
    method: str,
    sample: int | None,
    seed: int,
    quantile: float,
    bins: int,
    n_boot: int,
    clusters: int,
    n_regions: int,
    cache_dir: Path | None,
    as_json: bool,
    html_out: Path | None,
) -> None:
    """How far the MCP market and the training APIs overlap: coverage both ways in the embedding
    space, the grid overlap on a 2-D map, a threshold sweep, and the regions only one side covers."""
    from .embed import Embedder
    from .market import load_market, load_training
    from .report import overlap_report, sample_records

    if html_out is not None and method == "none":
        raise click.UsageError("--html draws the map: choose --method tsne or umap")
    if html_out is not None and importlib.util.find_spec("analysis.figures") is None:
        raise click.ClickException("--html needs analysis.figures, which this installation lacks")
    market = sample_records(load_market(market_path), sample, seed=seed)
    training = sample_records(load_training(training_path), sample, seed=seed)
    embedder = Embedder(
        model, cache_dir=None if cache_dir is None else cache_dir / "embeddings", progress=not as_json
    )
    try:
        report = overlap_report(
            market,
            training,
            embedder=embedder,
            method=None if method == "none" else method,
            quantile=quantile,
            bins=bins,
            n_boot=n_boot,
            n_clusters=clusters,
            seed=seed,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        embedder.close()
    if html_out is not None:
        from . import figures

        frame = report.points.assign(source=report.points["side"])
        fig = figures.overlap_figure(frame, title=f"MCP market vs training APIs ({method})")
        figures.write_html(fig, html_out)
    if as_json:
        click.echo(json.dumps(report.to_dict(n_regions=max(n_regions, 1)), ensure_ascii=False, indent=2))
    else:
        _print_report(report, n_regions=n_regions)
        if html_out is not None:
            click.echo(f"\nmap written to {html_out}")


@scope.command()
@click.argument("url")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSONL file of market rows to write.")
@click.option("--limit", "page_size", type=click.IntRange(1, 100), default=100, show_default=True, help="Servers per page.")
@click.option("--max-pages", type=click.IntRange(min=1), default=None, help="Stop after this many pages.")
@click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True, help="Retries of a page that fails (5xx, 429, network).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Seconds per request.")
@click.option("--include-servers", is_flag=True, help="Also write a row for each server that lists no tools (its name and description).")
def crawl(url: str, output: Path, page_size: int, max_pages: int | None, retries: int, timeout: float, include_servers: bool) -> None:
    """Crawl an MCP registry API at URL (GET URL/v0/servers, cursor pagination) into market
    rows that --market reads."""
    from .crawl import crawl_registry, write_rows

    result = crawl_registry(
        url, page_size=page_size, max_pages=max_pages, retries=retries, timeout=timeout, include_servers=include_servers
    )
    write_rows(result.rows, output)
    click.echo(
        f"{len(result.rows):,} tools from {result.servers:,} servers ({result.servers_without_tools:,} listed no tools) "
        f"in {result.pages} pages -> {output}"
    )

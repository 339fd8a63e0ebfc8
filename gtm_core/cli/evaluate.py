"""``gtm eval``: the paper's Table 1 metrics for one engine or several, on held-out tools."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import click

from .engine_flags import engine_config_from_flags, engine_flags


class _Bars:
    """Progress bars on stderr, one per phase (a Progress for ``evaluation.evaluate``)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def start(self, label: str, total: int) -> None:
        if self.enabled and total:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_pos=True)
            self.bar.__enter__()

    def advance(self, steps: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(steps)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _excluded_names(paths: tuple[str, ...]) -> set[str]:
    """Tool names in training JSONL (``tool`` of each line) or, failing that, in a catalog."""
    from ..catalog import Catalog

    names: set[str] = set()
    for raw in paths:
        path = Path(raw)
        found: set[str] = set()
        if path.is_file():
            opener: Any = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(record, dict) and isinstance(record.get("tool"), str) and "messages" in record:
                        found.add(record["tool"])
        names |= found or set(Catalog.load(path).names)
    return names


def _engine_configs(engine: str | None, model: str | None, options: tuple[str, ...], config_file: str | None, compare: str | None) -> list[tuple[str, Any]]:
    """(label, EngineConfig) of every engine to evaluate."""
    from ..engines import ENGINES, UnknownEngineError
    from ..engines.config import EngineConfigError, engine_options, parse_option, resolve_engine_config

    if not compare:
        config = engine_config_from_flags(engine, model, options, config_file)
        return [(config.name, config)]
    if engine or config_file:
        raise click.UsageError("--compare names the engines; leave out --engine and --engine-config (use NAME=MODEL entries)")
    try:
        parsed = dict(parse_option(o) for o in options)
    except EngineConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    entries = [part.strip() for part in compare.split(",") if part.strip()]
    out = []
    used: set[str] = set()
    for entry in entries:
        name, _, entry_model = entry.partition("=")
        name = name.strip()
        if name not in ENGINES:
            raise click.UsageError(f"--compare: unknown engine {name!r}; choose among {', '.join(sorted(ENGINES))}")
        accepted = engine_options(name)
        chosen = {k: v for k, v in parsed.items() if k in accepted}
        used |= set(chosen)
        entry_model = entry_model.strip() or (model if "model" in accepted else None)
        try:
            out.append((entry, resolve_engine_config(name, entry_model or None, chosen, environ={})))
        except (EngineConfigError, UnknownEngineError) as exc:
            raise click.UsageError(f"--compare {entry}: {exc}") from exc
    unused = sorted(set(parsed) - used)
    if unused:
        raise click.UsageError(f"--engine-option {', '.join(unused)}: no engine in --compare accepts it")
    labels = [label for label, _ in out]
    if len(set(labels)) != len(labels):
        raise click.UsageError("--compare names the same engine twice; give each its own model (NAME=MODEL)")
    return out


def _judge(judge: str | None, judge_model: str | None, judge_options: tuple[str, ...]) -> Any:
    if judge is None:
        if judge_model or judge_options:
            raise click.UsageError("--judge-model and --judge-option need --judge ENGINE")
        return None
    from ..engines import UnknownEngineError
    from ..engines.config import EngineConfigError, resolve_engine_config
    from ..evaluation import Judge, JudgeError

    if judge == "schema":
        raise click.UsageError("--judge schema: the schema engine cannot judge (it has no model, so its verdicts would be made up); "
                               "choose a language-model judge: llamacpp, transformers, openai or lmdeploy")  # fmt: skip
    try:
        config = resolve_engine_config(judge, judge_model, judge_options, environ={})
        return Judge(config.build())
    except (EngineConfigError, UnknownEngineError, JudgeError) as exc:
        raise click.UsageError(f"--judge: {exc}") from exc


@click.command(name="eval")
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(exists=True), metavar="PATH",
              help="Catalog file or folder to draw the held-out tools from (repeatable); default: the shipped catalog.")
@click.option("--n", "n", type=click.IntRange(min=1), default=50, show_default=True, help="Held-out tools to evaluate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the tool draw, the calls and the simulator.")
@engine_flags
@click.option("--compare", default=None, metavar="NAME[=MODEL],...",
              help="Evaluate several engines on the same cases, side by side: e.g. schema,transformers or schema,transformers=./gtm-out.")
@click.option("--judge", default=None, metavar="ENGINE", help="Language-model engine that judges Logic, Sem, Cons and Help; without one they are not measured.")
@click.option("--judge-model", default=None, metavar="NAME|PATH|ID", help="The judge's model (as --model is for the engine), e.g. qwen2.5-coder-1.5b with --judge llamacpp.")
@click.option("--judge-option", "judge_options", multiple=True, metavar="KEY=VALUE", help="An option of the judge engine (repeatable), e.g. base_url=http://127.0.0.1:8000/v1.")
@click.option("--exclude", multiple=True, type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="Tools never to draw (repeatable): training JSONL (its lines' 'tool') or a catalog — keep trained tools out of the held-out set.")
@click.option("--no-checks", is_flag=True, help="Skip the simulator's argument checks, so Det measures what the engine itself detects.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: per scenario (single, multi, error) its metrics and n, and avg.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None, metavar="FILE", help="Also write the JSON results to FILE.")
@click.option("--details", "details_path", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write every case (calls, answers, metric values, why it failed) as JSONL.")
@click.option("--quiet", is_flag=True, help="No progress bars on stderr.")
def evaluate_command(
    catalogs: tuple[str, ...],
    n: int,
    seed: int,
    engine: str | None,
    model: str | None,
    engine_options: tuple[str, ...],
    engine_config: str | None,
    compare: str | None,
    judge: str | None,
    judge_model: str | None,
    judge_options: tuple[str, ...],
    exclude: tuple[str, ...],
    no_checks: bool,
    as_json: bool,
    out_path: str | None,
    details_path: str | None,
    quiet: bool,
) -> None:
    """Score engines with the paper's Table 1 metrics on N held-out tools of --catalog.

    Single-turn: Format, Logic, Sem, Comp, All. Multi-turn: Format, Logic, Sem, Comp, Cons,
    Cons(det), All. Errors: Det, Help, All. Avg is the mean of the three All. Format, Comp,
    Det and Cons(det) are deterministic checks; Logic, Sem, Cons and Help need --judge and
    are shown as "–" (null in JSON) without one.
    """
    from ..catalog import Catalog
    from ..evaluation import build_plan, evaluate, format_report, format_summary
    from ..files import write_jsonl

    configs = _engine_configs(engine, model, engine_options, engine_config, compare)
    the_judge = _judge(judge, judge_model, judge_options)
    catalog = Catalog.load(*catalogs) if catalogs else Catalog.shipped()
    if catalog.problems:
        click.echo(f"warning: {len(catalog.problems)} unreadable catalog line(s) skipped (first: {catalog.problems[0]})", err=True)
    plan = build_plan(catalog, n, seed=seed, exclude=_excluded_names(exclude))
    if len(plan.tools) < n:
        click.echo(f"warning: only {len(plan.tools)} of the {n} tools asked for could be drawn from the catalog", err=True)
    bars = _Bars(enabled=not quiet)
    reports = []
    for label, config in configs:
        built = config.build()
        reports.append((label, evaluate(built, plan, judge=the_judge, check=not no_checks, progress=bars)))
    if the_judge is not None:
        from ..sync import run_sync

        run_sync(the_judge.engine.aclose())
    results: Any = reports[0][1].to_dict() if len(reports) == 1 else {label: report.to_dict() for label, report in reports}
    if out_path:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        Path(out_path).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if details_path:
        write_jsonl(({"engine": label, **case.to_dict()} for label, report in reports for case in report.cases), details_path)
    if as_json:
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))
        return
    click.echo("\n\n".join(format_report(report) for _, report in reports))
    if len(reports) > 1:
        click.echo("\nAll per scenario, side by side:\n" + format_summary([report for _, report in reports]))


eval = evaluate_command  # noqa: A001 - the CLI finds subcommands by their name

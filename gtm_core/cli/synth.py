"""``gtm synth ...``: make GTM training data with the CARG pipeline (any engine as the teacher)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from .engine_flags import engine_config_from_flags, engine_flags

__all__ = ["synth"]

_LAYOUT = """\b
Output folder (each stage resumes from its file; rerun the same command to continue):
  config.json            the settings the folder was made with
  taxonomy.jsonl         1. seed fields and the subfields the teacher added
  tools.generated.jsonl  2. tools made per subfield (and drafts refused)
  tools.jsonl            2. the kept tools, a GTM catalog
  tools.dropped.jsonl    2. tools not kept, and why
  single.jsonl           3. single-turn examples with their three validation levels
  multi.jsonl            4. multi-turn episodes over related tools
  errors.jsonl           5. error examples (type, missing, excess, invalid value)
  train.jsonl            every passing example as a chat training record
  summary.json           counts and pass rates per stage
"""


def _options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--out", required=True, type=click.Path(file_okay=False), metavar="DIR", help="Output folder (created; a rerun continues it)."),
        click.option("--from-catalog", "from_catalog", multiple=True, type=click.Path(exists=True), metavar="PATH",
                     help="Use these tools (a catalog file or folder in any format; repeatable) and skip stages 1-2."),
        click.option("--max-tools", type=click.IntRange(min=1), default=None, metavar="N", help="With --from-catalog: use the first N usable tools."),
        click.option("--seed-catalog", type=click.Path(exists=True), default=None, metavar="PATH",
                     help="Seed taxonomy: a taxonomy.json, or a catalog whose field/subfield pairs seed it (default: the shipped one)."),
        click.option("--seed-fields", type=click.IntRange(min=1), default=3, show_default=True, metavar="N", help="Seed fields to expand."),
        click.option("--subfields-per-field", type=click.IntRange(min=1), default=2, show_default=True, metavar="N", help="New subfields per seed field."),
        click.option("--tools-per-subfield", type=click.IntRange(min=1), default=3, show_default=True, metavar="N", help="Tools designed per subfield."),
        click.option("--exemplars", type=click.IntRange(min=0), default=6, show_default=True, metavar="N", help="Exemplars shown to the teacher per request."),
        click.option("--single", type=click.IntRange(min=0), default=2, show_default=True, metavar="N", help="Single-turn examples per tool."),
        click.option("--multi", type=click.IntRange(min=0), default=10, show_default=True, metavar="N", help="Multi-turn episodes in all."),
        click.option("--errors", type=click.IntRange(min=0), default=1, show_default=True, metavar="N", help="Error examples per tool."),
        click.option("--regen-below", type=click.FloatRange(0, 1), default=0.5, show_default=True, metavar="RATE",
                     help="Regenerate the failed single-turn examples of tools whose pass rate is below RATE."),
        click.option("--max-attempts", type=click.IntRange(min=1), default=3, show_default=True, metavar="N", help="Attempts per single-turn example, regenerations included."),
        click.option("--embedder", type=click.Choice(["auto", "minilm", "tfidf"]), default="auto", show_default=True,
                     help="Vectors for associating related tools: minilm (sentence embeddings, the [analysis] extra), tfidf (no model); auto takes minilm where installed."),
        click.option("--coherence", type=click.FloatRange(-1, 1), default=None, metavar="SIM",
                     help="Least cosine similarity of a tool to its episode's group (default: 0.5 for minilm, 0.2 for tfidf)."),
        click.option("--max-turns", type=click.IntRange(min=2), default=4, show_default=True, metavar="K", help="Most tools (turns) in an episode."),
        click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True, metavar="N", help="Items sent to the engines at once (and written together)."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed: the same settings and seed make the same data."),
        click.option("--judge", default=None, metavar="ENGINE",
                     help="Language-model engine that judges input/output coherence (llamacpp, transformers, openai, lmdeploy); without one, deterministic checks do."),
        click.option("--judge-model", default=None, metavar="PATH|ID", help="Model the judge engine runs."),
        click.option("--judge-option", "judge_options", multiple=True, metavar="KEY=VALUE", help="An option of the judge engine (repeatable), e.g. base_url=http://127.0.0.1:8000/v1."),
        click.option("--progress/--no-progress", default=None, help="Progress bars on stderr (default: when stderr is a terminal)."),
        click.option("--overwrite", is_flag=True, help="Remove this folder's earlier outputs first and start over."),
        click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table."),
    ]  # fmt: skip
    command = engine_flags(command)
    for option in reversed(options):
        command = option(command)
    return command


def _judge_engine(judge: str | None, judge_model: str | None, judge_options: tuple[str, ...]) -> Any:
    if judge is None and judge_model is None and not judge_options:
        return None
    from ..engines import UnknownEngineError
    from ..engines.config import EngineConfigError, resolve_engine_config

    try:
        config = resolve_engine_config(judge, judge_model, judge_options, environ={})
    except (EngineConfigError, UnknownEngineError) as exc:
        raise click.UsageError(f"--judge: {exc}") from exc
    if config.name == "schema":
        raise click.UsageError("--judge must be a language-model engine (llamacpp, transformers, openai, lmdeploy); the schema engine cannot judge. "
                               "Leave --judge out to use the deterministic coherence checks.")  # fmt: skip
    return config.build()


def _run(stages: list[str] | None, options: dict[str, Any]) -> None:
    from ..carg import SynthSettings, clear_outputs, format_summary, synthesize
    from ..carg.pipeline import teacher_warnings

    engine = engine_config_from_flags(options.pop("engine"), options.pop("model"), options.pop("engine_options"), options.pop("engine_config"))
    judge = _judge_engine(options.pop("judge"), options.pop("judge_model"), options.pop("judge_options"))
    out, progress, overwrite, as_json = options.pop("out"), options.pop("progress"), options.pop("overwrite"), options.pop("as_json")
    options["from_catalog"] = tuple(options["from_catalog"])
    try:
        settings = SynthSettings(**options)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if overwrite:
        clear_outputs(out)
    teacher = engine.build()
    for warning in teacher_warnings(teacher, settings, stages):
        click.echo(f"warning: {warning}", err=True)
    summary = synthesize(out, settings, teacher=teacher, judge=judge, stages=stages, progress=progress)
    click.echo(json.dumps(summary, indent=2, ensure_ascii=False) if as_json else format_summary(summary))


@click.group(epilog=_LAYOUT)
def synth() -> None:
    """Make GTM training data with the CARG pipeline; any engine is the teacher.

    The teacher is chosen with --engine/--model as for `gtm simulate`: the schema engine
    (the default: offline, instant, generic content; it cannot design a taxonomy or tools,
    so use it with --from-catalog), a local model, or any OpenAI-compatible server. `gtm synth run` runs every stage; the other commands run one.
    """


@synth.command("run", epilog=_LAYOUT)
@_options
def run_all(**options: Any) -> None:
    """Run every stage: taxonomy, tools, single, multi, errors (stages 1-2 skipped with --from-catalog)."""
    _run(None, options)


def _stage_command(stage: str, summary: str) -> None:
    @synth.command(stage, help=summary, epilog=_LAYOUT)
    @_options
    def command(**options: Any) -> None:
        _run([stage], options)


_stage_command("taxonomy", "Stage 1: expand seed fields into new subfields.")
_stage_command("tools", "Stage 2: design tools per subfield (validated, deduplicated), or take --from-catalog.")
_stage_command("single", "Stage 3: single-turn examples with three validation levels and regeneration.")
_stage_command("multi", "Stage 4: multi-turn episodes over related tools.")
_stage_command("errors", "Stage 5: error examples from the four error generators.")

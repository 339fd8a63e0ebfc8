"""Running the stages in order, then ``train.jsonl`` and ``summary.json`` from what they wrote.

``synthesize(out, settings, teacher=engine)`` runs the stages asked for (all by default) in
one event loop, each resuming from its file, then writes the training records of every
passing example and the summary of counts and pass rates. The summary is made from the
stage files, so a run that resumed reports the same totals as one that never stopped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..engines.base import Engine
from ..files import write_jsonl
from ..sync import run_sync
from .errors import errors_summary, run_errors
from .multi import multi_summary, run_multi
from .single import final_items, run_single, single_summary
from .store import CONFIG_FILE, StageFile
from .taxonomy import run_taxonomy, taxonomy_summary
from .tools import run_tools, tools_from_catalog, tools_summary
from .workspace import FILES, SynthSettings, Workspace

__all__ = ["SCHEMA_TEACHER", "STAGES", "clear_outputs", "format_summary", "summarize", "synthesize", "teacher_warnings", "write_train"]

STAGES = ("taxonomy", "tools", "single", "multi", "errors")


async def _tools_stage(ws: Workspace) -> None:
    if ws.settings.from_catalog:
        tools_from_catalog(ws)
    else:
        await run_tools(ws)


_RUNNERS = {"taxonomy": run_taxonomy, "tools": _tools_stage, "single": run_single, "multi": run_multi, "errors": run_errors}


def stages_for(settings: SynthSettings, stages: Sequence[str] | None = None) -> list[str]:
    """The stages to run, in order (the taxonomy is skipped when the tools come from a catalog)."""
    chosen = list(STAGES if stages is None else stages)
    unknown = [s for s in chosen if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; choose from {', '.join(STAGES)}")
    if settings.from_catalog:
        chosen = [s for s in chosen if s != "taxonomy"]
    return [s for s in STAGES if s in chosen]


SCHEMA_TEACHER = (
    "the schema engine is the teacher: it fills every answer from the answer's JSON schema and cannot invent "
    "meaningful subfields or tools, so the taxonomy and tool stages make placeholders (names such as 'koxh_x0m', "
    "the tool checks refuse them); give a language-model teacher (--engine transformers, or --engine openai with "
    "--engine-option base_url=...) or start from real tools with --from-catalog"
)


def teacher_warnings(teacher: Engine, settings: SynthSettings, stages: Sequence[str] | None = None) -> list[str]:
    """What the teacher cannot do for these stages, said before they run (and kept in the summary)."""
    designs = not settings.from_catalog and {"taxonomy", "tools"} & set(stages_for(settings, stages))
    return [SCHEMA_TEACHER] if designs and teacher.name == "schema" else []


def clear_outputs(out: str | Path) -> list[Path]:
    """Remove the files a run writes in ``out`` (nothing else), for a fresh start."""
    folder = Path(out)
    removed = []
    for name in [*FILES.values(), CONFIG_FILE]:
        path = folder / name
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


def synthesize(
    out: str | Path,
    settings: SynthSettings = SynthSettings(),
    *,
    teacher: Engine,
    judge: Engine | None = None,
    stages: Sequence[str] | None = None,
    progress: bool | None = None,
    embedder: Any = None,
) -> dict[str, Any]:
    """Run the CARG stages into ``out`` (resuming what is there) and return the summary."""
    warnings = teacher_warnings(teacher, settings, stages)  # the CLI says them before it starts; the summary keeps them
    ws = Workspace(out, settings, teacher=teacher, judge=judge, progress=progress, embedder=embedder)
    run_sync(_run(ws, stages_for(settings, stages)))
    write_train(ws)
    summary = summarize(ws)
    summary["warnings"] = warnings
    path = ws.path("summary")
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


async def _run(ws: Workspace, stages: list[str]) -> None:
    ws.out.mkdir(parents=True, exist_ok=True)
    try:
        for stage in stages:
            started = time.perf_counter()
            await _RUNNERS[stage](ws)
            ws.seconds[stage] = round(time.perf_counter() - started, 3)
    finally:
        await ws.engine.aclose()
        if ws.judge is not None:
            await ws.judge.engine.aclose()


def write_train(ws: Workspace) -> Path:
    """``train.jsonl``: the training record of every passing example, stage by stage, in plan order."""
    records: list[dict[str, Any]] = []
    order = {name: index for index, name in enumerate(ws.tools().names)} if ws.path("tools").exists() else {}
    if ws.path("single").exists():
        final = final_items(StageFile(ws.path("single")))
        for key in sorted(final, key=lambda key: (order.get(key[0], len(order)), key[0], key[1])):
            if final[key]["passed"]:
                records.append(final[key]["record"])
    if ws.path("multi").exists():
        for item in sorted(StageFile(ws.path("multi")), key=lambda i: int(i["id"].rsplit("-", 1)[1])):
            records += item["records"]
    if ws.path("errors").exists():
        items = sorted(StageFile(ws.path("errors")), key=lambda i: (order.get(i["tool"], len(order)), i["tool"], int(i["id"].rsplit("#", 1)[1])))
        records += [i["record"] for i in items if i["passed"]]
    return write_jsonl(records, ws.path("train"))


def summarize(ws: Workspace) -> dict[str, Any]:
    """Counts and pass rates of every stage, the engines and embedder used, and this run's timings."""
    counts: dict[str, int] = {}
    if ws.path("train").exists():
        for line in ws.path("train").read_text(encoding="utf-8").splitlines():
            if line.strip():
                scenario = json.loads(line).get("scenario", "?")
                counts[scenario] = counts.get(scenario, 0) + 1
    stages = {
        "taxonomy": taxonomy_summary(ws) if not ws.settings.from_catalog else {"status": "skipped (--from-catalog)"},
        "tools": tools_summary(ws),
        "single": single_summary(ws),
        "multi": multi_summary(ws),
        "errors": errors_summary(ws),
    }
    return {
        "out": str(ws.out),
        "teacher": ws.engine.description,
        "judge": ws.judge.description if ws.judge is not None else None,
        "coherence": "judge" if ws.judge is not None else "deterministic checks (no judge given)",
        "embedder": stages["multi"].get("embedder"),
        "stages": stages,
        "train": {"records": sum(counts.values()), "by_scenario": counts},
        "seconds": ws.seconds,
        "settings": ws.settings.to_dict(),
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as a table: a row per stage (items, passed, pass rate, notes), then the engines."""
    stages = summary["stages"]

    def row(name: str, items: Any, passed: Any, rate: Any, note: str) -> list[str]:
        shown = f"{rate:.1%}" if isinstance(rate, (int, float)) else "-"
        return [name, "-" if items is None else str(items), "-" if passed is None else str(passed), shown, note]

    rows = [["stage", "items", "passed", "pass rate", "notes"]]
    placeholders = "; PLACEHOLDERS: the schema teacher cannot design them" if summary.get("warnings") else ""
    tax = stages["taxonomy"]
    if "status" in tax:
        rows.append(row("taxonomy", None, None, None, tax["status"]))
    else:
        rows.append(row("taxonomy", tax["asked"], tax["subfields"], tax["pass_rate"], f"{tax['fields']} seed fields{placeholders}"))
    tools = stages["tools"]
    if "status" in tools:
        rows.append(row("tools", None, None, None, tools["status"]))
    else:
        dropped = ", ".join(f"{v} {k}" for k, v in sorted(tools["dropped"].items())) or "none dropped"
        rows.append(row("tools", tools.get("asked", tools.get("read")), tools["kept"], tools.get("pass_rate"), f"{tools['source']}; {dropped}{placeholders}"))
    single = stages["single"]
    if "status" in single:
        rows.append(row("single", None, None, None, single["status"]))
    else:
        first = single["first_attempt"]
        levels = ", ".join(f"{level} {first[f'{level}_pass_rate']:.1%}" for level in ("format", "contradiction", "coherence") if first[f"{level}_pass_rate"] is not None)
        rows.append(row("single", single["examples"], single["passed"], single["pass_rate"],
                        f"first attempt: {levels}; {single['regenerated']} regenerated; coherence by {single['coherence_by']}"))  # fmt: skip
    multi = stages["multi"]
    if "status" in multi:
        rows.append(row("multi", None, None, None, multi["status"]))
    else:
        note = f"consistency {multi['consistency_pass_rate'] or 0:.1%}; {multi['mean_turns']} turns; embedder {multi['embedder']} (threshold {multi['coherence_threshold']})"
        if multi.get("note"):
            note += f"; {multi['note']}"
        rows.append(row("multi", multi["episodes"], multi["passed"], multi["pass_rate"], note))
    errors = stages["errors"]
    if "status" in errors:
        rows.append(row("errors", None, None, None, errors["status"]))
    else:
        kinds = ", ".join(f"{k} {v['passed']}/{v['examples']}" for k, v in errors["by_kind"].items() if v["examples"])
        note = f"{kinds}; {errors['skipped']} skipped"
        if errors["kind_unavailable"]:
            note += "; asked but not applicable (another kind made): " + ", ".join(f"{k} {v}" for k, v in errors["kind_unavailable"].items())
        rows.append(row("errors", errors["examples"], errors["passed"], errors["pass_rate"], note))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(r)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 5)
    train = summary["train"]
    by = ", ".join(f"{k} {v}" for k, v in sorted(train["by_scenario"].items())) or "none"
    lines += [
        "",
        f"train.jsonl: {train['records']} records ({by})",
        f"teacher: {summary['teacher']}; judge: {summary['judge'] or 'none (deterministic coherence checks)'}; embedder: {summary['embedder'] or '-'}",
    ]
    if summary["seconds"]:
        lines.append("seconds this run: " + ", ".join(f"{k} {v:.1f}" for k, v in summary["seconds"].items()))
    lines += [f"WARNING: {warning}" for warning in summary.get("warnings", [])]
    return "\n".join(lines)

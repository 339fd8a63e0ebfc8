"""Running an evaluation plan on one engine, and the report: Table 1 per scenario, and Avg.

``evaluate(engine, plan, judge=...)`` plays every case through a ``Simulator`` with that engine
(argument checks on unless ``check=False``, which measures what the engine itself detects),
scores the deterministic metrics, asks the judge for the rest, and returns an
``EngineReport``. Without a judge, Logic, Sem, Cons and Help are None: not measured.

Scores are percentages of cases passing. A case the judge could not judge is left out of
that metric and of All. All is the share of cases passing every measured metric of their
scenario; Avg the mean of the scenarios' All. Tools whose response schema is not valid JSON
Schema (Format then asks only for JSON) are counted and named in the report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engines.base import Engine
from ..errors import GTMError
from ..results import ToolCall, ToolResult
from ..simulator import Simulator
from .cases import EvalPlan, flow_arguments
from .judge import Judge, JudgeItem
from .metrics import Flow, completeness_problems, consistency_problems, detection_problems, format_problems, response_schema_problem

__all__ = ["JUDGED", "METRICS", "CaseResult", "EngineReport", "EvaluationError", "Progress", "evaluate", "format_report", "format_summary"]

METRICS: dict[str, tuple[str, ...]] = {
    "single": ("Format", "Logic", "Sem", "Comp", "All"),
    "multi": ("Format", "Logic", "Sem", "Comp", "Cons", "Cons(det)", "All"),
    "error": ("Det", "Help", "All"),
}
"""The metrics of each scenario, in the paper's order (Cons(det) is the deterministic part of Cons)."""
JUDGED = frozenset({"Logic", "Sem", "Cons", "Help"})
COLUMNS = ("Format", "Logic", "Sem", "Comp", "Cons", "Cons(det)", "Det", "Help", "All")
AGREEMENT_PAIRS = (("Cons", "Cons(det)"),)
"""(judged metric, deterministic check of the same property): where both exist, the judge's agreement is reported."""
NOT_MEASURED = "–"
BATCH = 16


class Progress:
    """Where an evaluation is; the CLI draws bars on stderr, the default draws nothing."""

    def start(self, label: str, total: int) -> None:
        """A phase of ``total`` steps begins."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more are done."""

    def finish(self) -> None:
        """The phase is over."""


@dataclass
class CaseResult:
    """One case: its metric values (None: not measured or unjudged) and why it failed where it did."""

    scenario: str
    tool: str
    metrics: dict[str, bool | None]
    problems: dict[str, list[str]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    unjudged: list[str] = field(default_factory=list)  # judged metrics the judge gave no verdict on

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "tool": self.tool, "metrics": self.metrics, "problems": self.problems,
                "unjudged": self.unjudged, "calls": self.calls}  # fmt: skip


@dataclass
class EngineReport:
    """The scores of one engine on one plan."""

    engine: str
    judge: str | None
    seed: int
    tools: int
    checks: bool
    cases: list[CaseResult]
    unjudged: int = 0
    invalid_schemas: dict[str, str] = field(default_factory=dict)  # tool -> why its response schema is not valid JSON Schema

    def scenario(self, name: str) -> dict[str, float | int | None]:
        """``{"Format": 98.7, "Logic": None, ..., "All": 95.0, "n": 300}`` for one scenario."""
        cases = [c for c in self.cases if c.scenario == name]
        out: dict[str, float | int | None] = {}
        for metric in METRICS[name]:
            if metric in JUDGED and self.judge is None:
                out[metric] = None
                continue
            values = [c.metrics.get(metric) for c in cases]
            measured = [v for v in values if v is not None]
            out[metric] = round(100.0 * sum(measured) / len(measured), 1) if measured else None
        out["n"] = len(cases)
        return out

    def agreement(self) -> dict[str, dict[str, float | int | None]]:
        """How often the judge agrees with a deterministic check of the same thing, where both were measured.

        ``{"Cons~Cons(det)": {"n": 40, "agree": 33, "share": 82.5, "judge_pass_det_fail": 5,
        "judge_fail_det_pass": 2}}``: readers see how far to trust the judge's other verdicts.
        """
        out: dict[str, dict[str, float | int | None]] = {}
        for judged, checked in AGREEMENT_PAIRS:
            pairs = [(c.metrics.get(judged), c.metrics.get(checked)) for c in self.cases]
            both = [(j, d) for j, d in pairs if j is not None and d is not None]
            agree = sum(j == d for j, d in both)
            out[f"{judged}~{checked}"] = {
                "n": len(both), "agree": agree, "share": round(100.0 * agree / len(both), 1) if both else None,
                "judge_pass_det_fail": sum(bool(j) and not d for j, d in both), "judge_fail_det_pass": sum(not j and bool(d) for j, d in both),
            }  # fmt: skip
        return out

    @property
    def avg(self) -> float | None:
        """The mean of the scenarios' All (scenarios with cases)."""
        alls = [s["All"] for s in (self.scenario(name) for name in METRICS) if s["All"] is not None]
        return round(sum(alls) / len(alls), 1) if alls else None  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: one object per scenario (exactly its metrics and n), avg, and what was run."""
        out: dict[str, Any] = {name: self.scenario(name) for name in METRICS}
        out["avg"] = self.avg
        out["engine"] = self.engine
        out["judge"] = self.judge
        out["seed"] = self.seed
        out["tools"] = self.tools
        out["checks"] = self.checks
        out["unjudged"] = self.unjudged
        if self.judge is not None:
            out["judge_agreement"] = self.agreement()
        out["invalid_response_schemas"] = {"count": len(self.invalid_schemas), "tools": dict(self.invalid_schemas)}
        return out


# ---- running ---------------------------------------------------------------------------------
class EvaluationError(GTMError):
    """An evaluation that cannot give scores (the engine fails on every call)."""


def _call_record(tool: str, arguments: Any, result: ToolResult) -> dict[str, Any]:
    return {"tool": tool, "arguments": arguments, "response": result.content, "is_error": result.is_error,
            "error_kind": result.error_kind, "engine": result.engine, "fallback": result.fallback}  # fmt: skip


def _parsed(result: ToolResult) -> Any:
    try:
        return json.loads(result.content)
    except (json.JSONDecodeError, TypeError):
        return None


class _Run:
    """One engine on one plan: the simulator, the cases scored so far and the judgements to ask for."""

    def __init__(self, sim: Simulator, plan: EvalPlan, judge: Judge | None, progress: Progress, label: str) -> None:
        self.sim = sim
        self.plan = plan
        self.judge = judge
        self.progress = progress
        self.label = label
        self.cases: list[CaseResult] = []
        self.to_judge: list[tuple[CaseResult, JudgeItem]] = []
        self.answered_once = False

    def calls(self, calls: Sequence[ToolCall]) -> list[ToolResult]:
        """Results of the calls, in batches; stops the run if the engine fails on the whole first batch."""
        results: list[ToolResult] = []
        for start in range(0, len(calls), BATCH):
            chunk = calls[start : start + BATCH]
            answers = self.sim.simulate_batch(chunk)
            if not self.answered_once:
                if all(a.error_kind == "engine_error" for a in answers):
                    raise EvaluationError(f"{self.label}: the engine failed on every call of the first batch: {answers[0].content[:400]}")
                self.answered_once = any(a.error_kind != "engine_error" for a in answers)
            results += answers
            self.progress.advance(len(chunk))
        return results

    def ask(self, outcome: CaseResult, metrics: Sequence[str], item: JudgeItem, answered: bool) -> None:
        """Queue judgements of a case; an answer that is not the engine's own fails them unasked."""
        if self.judge is None:
            return
        for metric in metrics:
            if answered:
                self.to_judge.append((outcome, JudgeItem(metric, item.spec, item.arguments, item.response, item.history)))
            else:
                outcome.metrics[metric] = False

    def single(self) -> None:
        plan = self.plan
        self.progress.start(f"{self.label}: single-turn", len(plan.single))
        calls = [ToolCall(c.tool, c.arguments, f"eval-single-{i}") for i, c in enumerate(plan.single)]
        for case, result in zip(plan.single, self.calls(calls)):
            spec = plan.specs[case.tool]
            problems = {"Format": format_problems(spec, result), "Comp": completeness_problems(spec, case.arguments, result)}
            outcome = CaseResult("single", case.tool, {"Format": not problems["Format"], "Logic": None, "Sem": None, "Comp": not problems["Comp"]},
                                 {k: v for k, v in problems.items() if v}, [_call_record(case.tool, case.arguments, result)])  # fmt: skip
            answered = not result.is_error and result.fallback is None
            self.ask(outcome, ("Logic", "Sem"), JudgeItem("Logic", spec, case.arguments, result.content), answered)
            self.cases.append(outcome)
        self.progress.finish()

    def multi(self) -> None:
        """Every episode's turn k runs in one batch, after every turn k-1 (values flow between turns)."""
        plan = self.plan
        self.progress.start(f"{self.label}: multi-turn", sum(len(e.tools) for e in plan.multi))
        played: list[list[tuple[dict[str, Any], ToolResult]]] = [[] for _ in plan.multi]
        flows: list[list[Flow]] = [[] for _ in plan.multi]
        for turn in range(max((len(e.tools) for e in plan.multi), default=0)):
            batch: list[ToolCall] = []
            members: list[int] = []
            for index, episode in enumerate(plan.multi):
                if turn < len(episode.tools):
                    spec = plan.specs[episode.tools[turn]]
                    earlier = [None if r.is_error else _parsed(r) for _, r in played[index]]
                    arguments, new_flows = flow_arguments(spec, episode.arguments[turn], earlier, turn)
                    flows[index] += new_flows
                    batch.append(ToolCall(spec.name, arguments, f"eval-multi-{index}"))
                    members.append(index)
            for index, call, result in zip(members, batch, self.calls(batch)):
                played[index].append((dict(call.arguments), result))
        self.progress.finish()
        for index, episode in enumerate(plan.multi):
            steps = played[index]
            specs = [plan.specs[name] for name in episode.tools]
            problems = {
                "Format": [f"turn {t + 1}: {p}" for t, (s, (_, r)) in enumerate(zip(specs, steps)) for p in format_problems(s, r)],
                "Comp": [f"turn {t + 1}: {p}" for t, (s, (a, r)) in enumerate(zip(specs, steps)) for p in completeness_problems(s, a, r)],
                "Cons(det)": consistency_problems(steps, flows[index]),
            }
            metrics: dict[str, bool | None] = {"Format": not problems["Format"], "Logic": None, "Sem": None, "Comp": not problems["Comp"],
                                               "Cons": None, "Cons(det)": not problems["Cons(det)"]}  # fmt: skip
            calls_made = [_call_record(name, a, r) for name, (a, r) in zip(episode.tools, steps)]
            outcome = CaseResult("multi", episode.anchor, metrics, {k: v for k, v in problems.items() if v}, calls_made)
            arguments, last = steps[-1]
            history = [(name, a, r.content) for name, (a, r) in zip(episode.tools[:-1], steps[:-1])]
            item = JudgeItem("Logic", specs[-1], arguments, last.content, history)
            self.ask(outcome, ("Logic", "Sem", "Cons"), item, not last.is_error and last.fallback is None)
            self.cases.append(outcome)

    def errors(self) -> None:
        """Setup calls first (each in its case's episode), then the bad calls."""
        plan = self.plan
        self.progress.start(f"{self.label}: errors", len(plan.error) + sum(len(c.setup) for c in plan.error))
        setup_results = iter(self.calls([ToolCall(tool, args, f"eval-error-{i}") for i, c in enumerate(plan.error) for tool, args in c.setup]))
        results = self.calls([ToolCall(c.tool, c.arguments, f"eval-error-{i}") for i, c in enumerate(plan.error)])
        self.progress.finish()
        for case, result in zip(plan.error, results):
            problems = detection_problems(result)
            setup = [(tool, args, next(setup_results)) for tool, args in case.setup]
            calls_made = [_call_record(tool, args, r) for tool, args, r in setup]
            calls_made.append({**_call_record(case.tool, case.arguments, result), "mutation": case.note, "kind": case.kind})
            outcome = CaseResult("error", case.tool, {"Det": not problems, "Help": None}, {"Det": problems} if problems else {}, calls_made)
            item = JudgeItem("Help", plan.specs[case.tool], case.arguments, result.content, [(t, a, r.content) for t, a, r in setup])
            self.ask(outcome, ("Help",), item, answered=not problems)
            self.cases.append(outcome)

    def verdicts(self) -> int:
        """Ask the judge for every queued judgement; returns how many got no verdict."""
        if self.judge is None or not self.to_judge:
            return 0
        self.progress.start(f"{self.label}: judged by {self.judge.description}", len(self.to_judge))
        verdicts = self.judge.judge([item for _, item in self.to_judge], advance=self.progress.advance)
        self.progress.finish()
        missing = 0
        for (outcome, item), verdict in zip(self.to_judge, verdicts):
            if verdict is None:
                missing += 1
                outcome.unjudged.append(item.metric)
                continue
            outcome.metrics[item.metric] = verdict.passed
            if not verdict.passed:
                outcome.problems.setdefault(item.metric, []).append(verdict.reason or "judged a fail")
        return missing


def evaluate(
    engine: Engine,
    plan: EvalPlan,
    *,
    judge: Judge | None = None,
    check: bool = True,
    progress: Progress | None = None,
) -> EngineReport:
    """Score ``engine`` on every case of ``plan`` (see the module's docstring).

    The engine is closed at the end (the simulator that runs it closes it).
    """
    label = engine.description
    with Simulator(plan.catalog, engine=engine, seed=plan.seed, check=check) as sim:
        run = _Run(sim, plan, judge, progress or Progress(), label)
        run.single()
        run.multi()
        run.errors()
    unjudged = run.verdicts()
    for outcome in run.cases:
        outcome.metrics["All"] = None if outcome.unjudged else all(v for v in outcome.metrics.values() if v is not None)
    invalid = {name: problem for name, problem in sorted((n, response_schema_problem(s)) for n, s in plan.specs.items()) if problem is not None}
    return EngineReport(engine=label, judge=judge.description if judge else None, seed=plan.seed, tools=len(plan.tools),
                        checks=check, cases=run.cases, unjudged=unjudged, invalid_schemas=invalid)  # fmt: skip


# ---- tables ------------------------------------------------------------------------------------
def _cell(value: float | None, applies: bool) -> str:
    if not applies:
        return ""
    return NOT_MEASURED if value is None else f"{value:.1f}"


def format_report(report: EngineReport) -> str:
    """The report of one engine as a text table: a row per scenario, the paper's metrics as columns."""
    judge = f"judge: {report.judge}" if report.judge else "judge: none (Logic, Sem, Cons, Help not measured)"
    checks = "argument checks on" if report.checks else "argument checks off"
    lines = [f"{report.engine}: {report.tools} held-out tools, seed {report.seed}, {checks}, {judge}"]
    header = ["scenario", "n", *COLUMNS]
    rows = [header]
    for name, metrics in METRICS.items():
        scores = report.scenario(name)
        rows.append([name, str(scores["n"]), *(_cell(scores.get(c), c in metrics) for c in COLUMNS)])  # type: ignore[arg-type]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip())
    avg = report.avg
    lines.append(f"Avg {NOT_MEASURED if avg is None else f'{avg:.1f}'}")
    if report.judge is not None:
        for pair, figures in report.agreement().items():
            if figures["n"]:
                lines.append(f"judge agreement {pair}: {figures['agree']}/{figures['n']} ({figures['share']:.1f}%); judge passed what the "
                             f"check failed {figures['judge_pass_det_fail']}, failed what it passed {figures['judge_fail_det_pass']}")  # fmt: skip
    if report.unjudged:
        lines.append(f"({report.unjudged} judgement(s) without a verdict: those cases are left out of their metric and of All)")
    if report.invalid_schemas:
        names = ", ".join(list(report.invalid_schemas)[:5]) + (", ..." if len(report.invalid_schemas) > 5 else "")
        lines.append(f"({len(report.invalid_schemas)} tool(s) whose response schema is not valid JSON Schema, so Format checks only "
                     f"that their answers are JSON: {names})")  # fmt: skip
    return "\n".join(lines)


def format_summary(reports: Sequence[EngineReport]) -> str:
    """Engines side by side: each scenario's All, and Avg."""
    header = ["engine", "single", "multi", "error", "Avg"]
    rows = [header]
    for report in reports:
        alls = [report.scenario(name)["All"] for name in METRICS]
        rows.append([report.engine, *(_cell(v, True) for v in alls), _cell(report.avg, True)])  # type: ignore[arg-type]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in rows)

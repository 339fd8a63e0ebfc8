"""``gtm eval``: the paper's Table 1 metrics for any engine, on held-out tools of a catalog.

- ``cases``: the plan — held-out tools drawn reproducibly, their valid calls, multi-turn
  episodes in which values flow between related tools, and bad calls;
- ``metrics``: the deterministic checks (Format, Comp, Det, Cons(det));
- ``judge``: Logic, Sem, Cons and Help from a language-model judge (a virtual tool; the
  same judge decides the coherence of CARG's examples);
- ``runner``: plays a plan on an engine and scores it; tables and JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "EvalPlan": "cases",
    "build_plan": "cases",
    "select_tools": "cases",
    "CRITERIA": "judge",
    "JUDGE_SPEC": "judge",
    "Judge": "judge",
    "JudgeEngineError": "judge",
    "JudgeError": "judge",
    "JudgeItem": "judge",
    "Verdict": "judge",
    "completeness_problems": "metrics",
    "consistency_problems": "metrics",
    "detection_problems": "metrics",
    "format_problems": "metrics",
    "METRICS": "runner",
    "CaseResult": "runner",
    "EngineReport": "runner",
    "EvaluationError": "runner",
    "Progress": "runner",
    "evaluate": "runner",
    "format_report": "runner",
    "format_summary": "runner",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:
    from .cases import EvalPlan, build_plan, select_tools
    from .judge import CRITERIA, JUDGE_SPEC, Judge, JudgeEngineError, JudgeError, JudgeItem, Verdict
    from .metrics import completeness_problems, consistency_problems, detection_problems, format_problems
    from .runner import METRICS, CaseResult, EngineReport, EvaluationError, Progress, evaluate, format_report, format_summary

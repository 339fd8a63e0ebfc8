"""The coherence level's judge: the toolkit's one judge (``gtm_core.evaluation.judge``) with CARG's criterion.

With ``--judge ENGINE``, the single-turn examples and the last call of each multi-turn
episode that pass the deterministic levels are judged by a language model against
``COHERENCE``; its verdict replaces the deterministic coherence checks, and an item it gives
no verdict on (asked twice) keeps them. Prompting, reading the verdict and the retry are the
evaluation judge's, the same that ``gtm eval`` uses for Logic, Sem, Cons and Help. A judge
engine that fails stops the stage with ``TeacherError``: rerunning continues where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..engines.base import Engine
from ..evaluation.judge import Judge, JudgeEngineError, JudgeItem, Verdict
from ..generation import HistoryItem
from ..spec import ToolSpec
from .teacher import TeacherError

__all__ = ["COHERENCE", "CRITERIA", "coherence_item", "coherence_judge", "judge_coherence"]

COHERENCE = "Coherence"
CRITERIA = {
    COHERENCE: (
        "Coherence: the response is what the real tool would plausibly return for this call: on topic, "
        "agreeing with every argument it reflects (names, ids, dates, amounts, filters), internally consistent, "
        "and, where earlier calls of the session are given, consistent with them (ids created earlier are "
        "used, records keep their values)."
    ),
}
"""What the judge of CARG asks, as the judge reads it."""


def coherence_judge(engine: Engine, *, batch_size: int = 16) -> Judge:
    """A judge of ``COHERENCE`` on ``engine`` (a language model; others are refused with the fix)."""
    return Judge(engine, criteria=CRITERIA, batch_size=batch_size)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def coherence_item(spec: ToolSpec, arguments: Mapping[str, Any], response: Any, history: Sequence[HistoryItem] = ()) -> JudgeItem:
    """The judgement of one synthesized call: its tool, arguments and response, after ``history``."""
    earlier = [(item.tool, dict(item.arguments), _text(item.response)) for item in history]
    return JudgeItem(COHERENCE, spec, dict(arguments), _text(response), earlier)


async def judge_coherence(judge: Judge, items: Sequence[JudgeItem]) -> list[Verdict | None]:
    """A verdict per item (None: the judge gave none), or TeacherError when the judge engine fails."""
    try:
        return await judge.ajudge(items)
    except JudgeEngineError as exc:
        raise TeacherError(f"{exc}; rerun the same command to continue where it stopped") from exc

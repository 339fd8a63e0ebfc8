"""Verdicts: the score, the verdict rules and the result of scoring one tool.

:func:`decide` turns a tool's calibrated coverage (see :mod:`analysis.applicability`) and its
flags (see :mod:`analysis.flags`) into a score, a verdict and the reasons;
:class:`Applicability` is what :meth:`analysis.applicability.ScopeIndex.score` returns.

The score
---------
The **score** is the coverage discounted once for each reason to prefer the real tool, so it
stays in [0, 1] and equals the coverage for a self-contained, covered tool::

    score = coverage * product of DISCOUNTS[reason] over the reasons that hold

with :data:`DISCOUNTS` = market-only region 0.5, platform 0.5, side effects 0.7, private data
0.85, real-time facts 0.85. The tool lies in a *market-only region* when its nearest market
tool is at least :data:`MARKET_MARGIN` (0.15) more similar than its nearest training API(s)
and its coverage is below MID: the market is dense there and the training APIs are not, the
paper's signature of platform integrations. Coverage alone says whether GTM has seen tools
like it; the score also says whether a simulation of it can stand in for the real thing.

The verdict (the first rule that holds)
---------------------------------------
On the *coverage* (not the score), with ``LOW = 0.10`` and ``MID = 0.25`` (percentiles, so
they mean the same on any data), and "bound" = any flag among platform, side_effects,
private_data, realtime:

1. ``do not simulate`` — coverage < LOW and bound: GTM has learned nothing like it *and* its
   answers are decided by an external system, live facts or real effects; neither warming
   up on GTM nor fine-tuning on synthetic data gives faithful answers. Use the real tool (or a
   sandbox of it).
2. ``fine-tune first`` — coverage < LOW: a self-contained tool in a region GTM has not learned;
   generate data for it (CARG) and fine-tune before simulating it.
3. ``warm-up`` — bound: GTM can play its interface and typical answers (coverage >= LOW), but
   the real tool's answers depend on a platform, live facts, real effects or private data:
   warm the agent up on GTM, then switch to the real tool (the paper's hybrid schedule).
4. ``simulate`` — otherwise: covered (coverage >= LOW) and self-contained. A coverage below
   MID gives the reason "limited coverage" (simulate, but check its answers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "Applicability",
    "DISCOUNTS",
    "DO_NOT_SIMULATE",
    "FINE_TUNE_FIRST",
    "LOW",
    "MARKET_MARGIN",
    "MID",
    "SIMULATE",
    "VERDICTS",
    "VERDICT_MEANING",
    "WARM_UP",
    "decide",
]

SIMULATE = "simulate"
WARM_UP = "warm-up"
FINE_TUNE_FIRST = "fine-tune first"
DO_NOT_SIMULATE = "do not simulate"
VERDICTS = (SIMULATE, WARM_UP, FINE_TUNE_FIRST, DO_NOT_SIMULATE)
VERDICT_MEANING = {
    SIMULATE: "simulate it with GTM",
    WARM_UP: "warm up on GTM, then switch to the real tool",
    FINE_TUNE_FIRST: "fine-tune GTM on data for this kind of tool first",
    DO_NOT_SIMULATE: "do not simulate; use the real tool or a sandbox",
}

LOW = 0.10  # below: outside the radius that holds 90% of the training APIs' own nearest neighbours
MID = 0.25  # below: covered, but thinly
MARKET_MARGIN = 0.15  # market tool this much more similar than the training APIs: a market-only region
DISCOUNTS: dict[str, float] = {
    "market_only": 0.5,
    "platform": 0.5,
    "side_effects": 0.7,
    "private_data": 0.85,
    "realtime": 0.85,
}


@dataclass
class Applicability:
    """Whether one tool can be simulated: the ``score`` in [0, 1] (the coverage, discounted for
    each reason to prefer the real tool; see the module docstring), the ``verdict`` (one of
    :data:`VERDICTS`), the ``reasons``, and ``neighbours`` (the nearest training APIs, then the
    nearest market tools: ``side``, ``name``, ``server``, ``origin``, ``similarity``,
    ``description``). ``coverage`` is the calibrated percentile itself."""

    tool: str
    score: float
    verdict: str
    reasons: list[str]
    neighbours: list[dict[str, Any]]
    coverage: float = math.nan
    similarity: float = math.nan  # the statistic s(t): similarity to the nearest training API(s)
    market_similarity: float = math.nan  # similarity to the nearest market tool
    flags: dict[str, list[str]] = field(default_factory=dict)
    market_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("coverage", "similarity", "market_similarity"):
            if isinstance(out[key], float) and math.isnan(out[key]):
                out[key] = None
        return out

    @property
    def meaning(self) -> str:
        """The verdict in words."""
        return VERDICT_MEANING[self.verdict]


def decide(
    coverage: float,
    flags: Mapping[str, Sequence[str]],
    *,
    market_only: str | None = None,
    low: float = LOW,
    mid: float = MID,
) -> tuple[str, float, list[str]]:
    """The verdict, the score and the reasons for a coverage and the flags (rules in the module
    docstring). ``market_only`` describes the market-only region the tool lies in, if any. The
    reasons come in a fixed order: coverage, market-only region, platform, side effects, private
    data, real-time facts."""
    reasons: list[str] = []
    share = f"closer to its nearest training API than {coverage:.0%} of the training APIs are to theirs"
    if coverage < low:
        reasons.append(f"low coverage ({coverage:.2f}): {share}")
    elif coverage < mid:
        reasons.append(f"limited coverage ({coverage:.2f}): {share}")
    else:
        reasons.append(f"covered ({coverage:.2f}): {share}")
    score = coverage
    if market_only:
        reasons.append(f"in a market-only region: {market_only}")
        score *= DISCOUNTS["market_only"]
    labels = {
        "platform": "depends on a named external platform",
        "side_effects": "acts on the outside world",
        "private_data": "touches private data",
        "realtime": "needs real-time facts",
    }
    for key, label in labels.items():
        if flags.get(key):
            reasons.append(f"{label}: {', '.join(flags[key])}")
            score *= DISCOUNTS[key]
    bound = any(flags.get(k) for k in labels)
    if coverage < low:
        verdict = DO_NOT_SIMULATE if bound else FINE_TUNE_FIRST
    elif bound:
        verdict = WARM_UP
    else:
        verdict = SIMULATE
    return verdict, float(score), reasons

"""How far simulated answers are from real ones: the divergence of shadow runs.

``compare`` judges one pair of answers on three counts:

- format: both are JSON (an object or an array) or both are text;
- fields: when both are JSON objects, whether their top-level keys are the same, and the
  Jaccard index of the two key sets (1.0 for two empty objects);
- errors: both are errors, or neither is.

``divergence`` sums a recording up per tool (``gtm proxy report``): real calls, shadowed
calls, and the share of shadowed calls that agree on each count.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Agreement", "ToolDivergence", "compare", "divergence", "render_table"]


def _shape(text: str) -> tuple[str, set[str] | None]:
    """("json", top-level keys or None for an array) or ("text", None)."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return "text", None
    if isinstance(value, dict):
        return "json", set(value)
    if isinstance(value, list):
        return "json", None
    return "text", None


@dataclass(frozen=True)
class Agreement:
    """One real/simulated pair: format and errors agree or not; fields when both are JSON objects."""

    format: bool
    errors: bool
    same_fields: bool | None = None
    fields_jaccard: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "errors": self.errors, "same_fields": self.same_fields, "fields_jaccard": self.fields_jaccard}


def compare(real: str, real_is_error: bool, simulated: str, simulated_is_error: bool) -> Agreement:
    """How a simulated answer agrees with the real one (see the module docstring)."""
    real_kind, real_keys = _shape(real)
    sim_kind, sim_keys = _shape(simulated)
    same_fields: bool | None = None
    jaccard: float | None = None
    if real_keys is not None and sim_keys is not None:
        union = real_keys | sim_keys
        jaccard = len(real_keys & sim_keys) / len(union) if union else 1.0
        same_fields = real_keys == sim_keys
    return Agreement(real_kind == sim_kind, bool(real_is_error) == bool(simulated_is_error), same_fields, jaccard)


@dataclass
class ToolDivergence:
    """The agreement of one tool's shadowed calls."""

    tool: str
    real_calls: int = 0
    shadowed: int = 0
    format_agree: int = 0
    errors_agree: int = 0
    object_pairs: int = 0
    same_fields: int = 0
    jaccard_sum: float = 0.0
    servers: set[str] = field(default_factory=set)

    def add(self, agreement: Agreement) -> None:
        self.shadowed += 1
        self.format_agree += agreement.format
        self.errors_agree += agreement.errors
        if agreement.fields_jaccard is not None:
            self.object_pairs += 1
            self.same_fields += bool(agreement.same_fields)
            self.jaccard_sum += agreement.fields_jaccard

    def to_dict(self) -> dict[str, Any]:
        def rate(count: int, total: int) -> float | None:
            return round(count / total, 4) if total else None

        return {
            "tool": self.tool,
            "servers": sorted(self.servers),
            "real_calls": self.real_calls,
            "shadowed": self.shadowed,
            "format_agree": rate(self.format_agree, self.shadowed),
            "object_pairs": self.object_pairs,
            "same_fields": rate(self.same_fields, self.object_pairs),
            "fields_jaccard": round(self.jaccard_sum / self.object_pairs, 4) if self.object_pairs else None,
            "errors_agree": rate(self.errors_agree, self.shadowed),
        }


def _real_answer(record: Mapping[str, Any]) -> str | None:
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, Mapping) or last.get("role") != "assistant" or not isinstance(last.get("content"), str):
        return None
    return last["content"]


def divergence(records: Iterable[Mapping[str, Any]]) -> list[ToolDivergence]:
    """Per tool (sorted by name): real calls and how their shadow simulations agree."""
    tools: dict[str, ToolDivergence] = {}
    for record in records:
        tool, answer = record.get("tool"), _real_answer(record)
        if not isinstance(tool, str) or answer is None:
            continue
        entry = tools.setdefault(tool, ToolDivergence(tool))
        entry.real_calls += 1
        if isinstance(record.get("server"), str):
            entry.servers.add(record["server"])
        simulated = record.get("simulated")
        if isinstance(simulated, Mapping) and isinstance(simulated.get("content"), str):
            entry.add(compare(answer, bool(record.get("is_error")), simulated["content"], bool(simulated.get("is_error"))))
    return [tools[name] for name in sorted(tools)]


def render_table(rows: list[ToolDivergence]) -> str:
    """A plain-text table, one tool a row."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.0f}%"

    header = ("tool", "real", "shadowed", "format", "same keys", "keys Jaccard", "errors")
    lines = [header]
    for row in rows:
        d = row.to_dict()
        jaccard = "-" if d["fields_jaccard"] is None else f"{d['fields_jaccard']:.2f}"
        lines.append((row.tool, str(row.real_calls), str(row.shadowed), pct(d["format_agree"]), pct(d["same_fields"]), jaccard, pct(d["errors_agree"])))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for i, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[j]) if j == 0 else cell.rjust(widths[j]) for j, cell in enumerate(line)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)

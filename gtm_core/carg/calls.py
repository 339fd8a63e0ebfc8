"""Arguments of synthesized calls: written by the teacher, or sampled when the teacher is the schema engine.

``write_arguments`` answers a batch of jobs in one teacher batch. A language model writes
each call through the ``write_call`` virtual tool (it reads the tool, the purpose, the
episode's earlier calls and what was wrong with an earlier attempt); the schema engine's
calls come from ``gtm_core.sampler`` with a seed per item, and, inside an episode,
``link_arguments`` carries values the earlier calls returned (ids above all) into the call.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Catalog
from ..fake import conforms
from ..generation import HistoryItem
from ..sampler import sample_arguments
from ..spec import ToolSpec
from ..world import entity_operation
from .teacher import Teacher, history_view

__all__ = ["CallJob", "WrittenCall", "link_arguments", "write_arguments"]


@dataclass
class CallJob:
    """One call to write: the tool, a seed, and what the teacher should know."""

    spec: ToolSpec
    seed: int
    purpose: str = ""
    history: Sequence[HistoryItem] = ()
    attempt: int = 0
    avoid: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WrittenCall:
    """The arguments written for a job (None when the teacher gave none) and who wrote them."""

    arguments: dict[str, Any] | None
    by: str
    fallback: str | None = None
    problem: str | None = None


def _recent_values(history: Sequence[HistoryItem], catalog: Catalog | None) -> dict[str, Any]:
    """The latest scalar value each field name held in earlier successful calls; a create's ``id``
    is also known as ``<entity>_id``."""
    values: dict[str, Any] = {}
    for item in history:
        if item.is_error:
            continue
        for source in (item.arguments, item.response):
            if isinstance(source, Mapping):
                for key, value in source.items():
                    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                        values[str(key)] = value
        if catalog is not None and item.tool in catalog and isinstance(item.response, Mapping):
            operation = entity_operation(catalog.get(item.tool))
            if operation is not None and operation.kind == "create" and "id" in item.response:
                values[operation.id_field] = item.response["id"]
    return values


def link_arguments(spec: ToolSpec, arguments: Mapping[str, Any], history: Sequence[HistoryItem], catalog: Catalog | None = None) -> dict[str, Any]:
    """The arguments with each top-level value that an earlier call already named (same field
    name, valid for the parameter) replaced by that earlier value: the order created before is
    the order fetched, the city searched is the city booked."""
    out = dict(arguments)
    if not history:
        return out
    known = _recent_values(history, catalog)
    for name in list(out):
        if name in known and name in spec.properties and conforms(known[name], spec.properties[name]):
            out[name] = known[name]
    return out


async def write_arguments(teacher: Teacher, jobs: Sequence[CallJob], *, catalog: Catalog | None = None) -> list[WrittenCall]:
    """Arguments for each job, in order (one teacher batch for a language model)."""
    if teacher.samples_arguments:
        out = []
        for job in jobs:
            arguments = sample_arguments(job.spec, rng=random.Random(job.seed))
            out.append(WrittenCall(link_arguments(job.spec, arguments, job.history, catalog), "sampler"))
        return out
    answers = await teacher.write_calls([
        (job.spec, {"purpose": job.purpose, "history": history_view(job.history), "attempt": job.attempt, "avoid": job.avoid}, job.seed)
        for job in jobs
    ])  # fmt: skip
    out = []
    for answer in answers:
        value = answer.value.get("arguments") if isinstance(answer.value, dict) else None
        if answer.problem is not None or not isinstance(value, dict):
            out.append(WrittenCall(None, answer.engine, answer.fallback, answer.problem or "the teacher wrote no arguments"))
        else:
            out.append(WrittenCall(value, answer.engine, answer.fallback))
    return out

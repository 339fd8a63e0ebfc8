"""The loop every CARG stage runs in: resumable, in batches, with a progress bar.

A stage says what it makes as *rounds* of jobs, each job with the id its item will have, and
how one batch of jobs becomes items (``make``). ``run_stage`` opens the stage's file
(``store.StageFile``) and, round by round, skips the jobs whose items the file already holds,
makes the rest ``batch_size`` at a time and appends each batch to the file as soon as it is
made, so a run stopped anywhere continues where it stopped and duplicates nothing.

Rounds are asked for one at a time, after the round before has been written, so a round can
depend on what the earlier rounds made (the single-turn stage's regeneration rounds do)::

    def rounds(store):
        yield Round("single", [(item_id, job), ...])
        yield Round("single (regeneration 1)", jobs_from(store))

    store = await run_stage(ws, "single", rounds, make)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .store import StageFile
from .workspace import Workspace, progress_bar

__all__ = ["Round", "run_stage"]

J = TypeVar("J")


@dataclass(frozen=True)
class Round(Generic[J]):
    """One pass of a stage: its progress label and its jobs, as ``(item id, job)`` in order."""

    label: str
    jobs: Sequence[tuple[str, J]]


async def run_stage(
    ws: Workspace,
    role: str,
    rounds: Callable[[StageFile], Iterable[Round[J]]],
    make: Callable[[list[J]], Awaitable[list[dict[str, Any]]]],
) -> StageFile:
    """Run a stage into the file of ``role`` (a key of ``workspace.FILES``) and return that file.

    ``make(batch)`` returns one item per job of the batch, in order, each with the job's id;
    anything else is refused (a rerun would make those items again).
    """
    store = StageFile(ws.path(role))
    for round_ in rounds(store):
        todo = [(item_id, job) for item_id, job in round_.jobs if item_id not in store]
        with progress_bar(len(todo), round_.label, ws.progress) as bar:
            for start in range(0, len(todo), ws.settings.batch_size):
                batch = todo[start : start + ws.settings.batch_size]
                items = await make([job for _, job in batch])
                _check_ids(role, [item_id for item_id, _ in batch], [item.get("id") for item in items])
                store.append(items)
                bar.update(len(batch))
    return store


def _check_ids(role: str, wanted: list[str], made: list[Any]) -> None:
    if made == wanted:
        return
    if len(made) != len(wanted):
        problem = f"{len(made)} items for {len(wanted)} jobs"
    else:
        expected, got = next((w, m) for w, m in zip(wanted, made) if w != m)
        problem = f"an item with id {got!r} where {expected!r} was due"
    raise RuntimeError(f"the {role} stage made {problem}; each job must give one item with its own id, in order (a rerun would make it again)")

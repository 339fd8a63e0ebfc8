"""The stage loop every CARG stage runs in: skip what the file holds, make the rest in batches, append as made."""

from __future__ import annotations

import asyncio

import pytest

from gtm_core.carg import SynthSettings, Workspace
from gtm_core.carg.runner import Round, run_stage
from gtm_core.carg.store import StageFile
from gtm_core.engines.schema import SchemaEngine


def workspace(tmp_path, batch_size=2) -> Workspace:
    return Workspace(tmp_path, SynthSettings(batch_size=batch_size), teacher=SchemaEngine(), progress=False)


class Maker:
    """Makes ``{"id", "value"}`` items and remembers each batch it was given; can crash on a batch."""

    def __init__(self, crash_on: int | None = None) -> None:
        self.batches: list[list[str]] = []
        self.crash_on = crash_on

    async def __call__(self, batch):
        if self.crash_on is not None and len(self.batches) == self.crash_on:
            raise KeyboardInterrupt
        self.batches.append(list(batch))
        return [{"id": job, "value": job.upper()} for job in batch]


def one_round(*ids):
    return lambda store: [Round("test", [(i, i) for i in ids])]


def test_jobs_are_made_in_batches_and_written_in_order(tmp_path):
    """Five jobs with batch_size 2 are three batches; the file holds the items in job order."""
    maker = Maker()
    store = asyncio.run(run_stage(workspace(tmp_path), "single", one_round("a", "b", "c", "d", "e"), maker))
    assert maker.batches == [["a", "b"], ["c", "d"], ["e"]]
    assert [item["id"] for item in StageFile(tmp_path / "single.jsonl")] == ["a", "b", "c", "d", "e"] == list(store.items)


def test_a_stage_stopped_part_way_makes_only_the_rest_when_run_again(tmp_path):
    """The batches written before a crash stay; the rerun skips their jobs and makes the others once."""
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(run_stage(workspace(tmp_path), "single", one_round("a", "b", "c", "d", "e"), Maker(crash_on=1)))
    assert len(StageFile(tmp_path / "single.jsonl")) == 2
    again = Maker()
    asyncio.run(run_stage(workspace(tmp_path), "single", one_round("a", "b", "c", "d", "e"), again))
    assert again.batches == [["c", "d"], ["e"]]
    assert [item["id"] for item in StageFile(tmp_path / "single.jsonl")] == ["a", "b", "c", "d", "e"]


def test_a_later_round_sees_what_the_rounds_before_it_wrote(tmp_path):
    """Rounds are asked for one at a time, so a regeneration round can read the first round's items."""
    seen = []

    def rounds(store):
        yield Round("first", [("a", "a"), ("b", "b")])
        seen.append(sorted(store.items))
        yield Round("again", [(f"{i}2", f"{i}2") for i in sorted(store.items)])

    asyncio.run(run_stage(workspace(tmp_path, batch_size=8), "single", rounds, Maker()))
    assert seen == [["a", "b"]]
    assert sorted(StageFile(tmp_path / "single.jsonl").items) == ["a", "a2", "b", "b2"]


def test_items_whose_ids_are_not_the_jobs_ids_are_refused(tmp_path):
    """An item under another id would be made again on every rerun, so the runner says which one was wrong."""

    async def wrong(batch):
        return [{"id": f"{job}-x"} for job in batch]

    with pytest.raises(RuntimeError, match="single stage made an item with id 'a-x' where 'a' was due"):
        asyncio.run(run_stage(workspace(tmp_path), "single", one_round("a"), wrong))

    async def short(batch):
        return []

    with pytest.raises(RuntimeError, match="made 0 items for 1 jobs"):
        asyncio.run(run_stage(workspace(tmp_path), "single", one_round("a"), short))
    assert not (tmp_path / "single.jsonl").exists()

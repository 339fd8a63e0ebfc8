"""Resumable stages: a run stopped part-way and run again makes exactly what an unbroken run makes."""

from __future__ import annotations

import pytest
from carg_teachers import CatalogTeacher

from gtm_core.carg import SynthSettings, TeacherError, synthesize
from gtm_core.carg.store import StageFile

SETTINGS = SynthSettings(seed_fields=2, subfields_per_field=2, tools_per_subfield=3, single=3, multi=5, errors=2,
                         embedder="tfidf", batch_size=4, regen_below=0.9)  # fmt: skip
OUTPUTS = ["taxonomy.jsonl", "tools.generated.jsonl", "tools.jsonl", "single.jsonl", "multi.jsonl", "errors.jsonl", "train.jsonl"]


class StopsAfter(CatalogTeacher):
    """The schema engine, until it has answered ``limit`` requests: then it raises, like a dead server."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.answered = 0

    def generate_sync(self, requests):
        if self.answered + len(requests) > self.limit:
            raise ConnectionError("the teacher server went away")
        self.answered += len(requests)
        return super().generate_sync(requests)

    async def generate(self, requests):
        return self.generate_sync(requests)


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory):
    """The outputs of a run that was never interrupted."""
    out = tmp_path_factory.mktemp("unbroken")
    synthesize(out, SETTINGS, teacher=CatalogTeacher(), progress=False)
    return {name: (out / name).read_bytes() for name in OUTPUTS}


# the teacher (the schema engine, designing the shipped catalog's tools) answers 2 requests in the
# taxonomy stage, 4 in tools and 38 in single and multi (44 in all); error examples need none
@pytest.mark.parametrize("limit", [1, 3, 20, 42, 43])
def test_a_run_stopped_part_way_then_rerun_matches_an_unbroken_run(tmp_path, unbroken, limit):
    """Stopping the teacher after ``limit`` answers (in whichever stage that falls) loses and repeats nothing."""
    with pytest.raises(TeacherError, match="rerun the same command"):
        synthesize(tmp_path, SETTINGS, teacher=StopsAfter(limit), progress=False)
    synthesize(tmp_path, SETTINGS, teacher=CatalogTeacher(), progress=False)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == unbroken[name], name


def test_an_error_stage_stopped_part_way_then_rerun_matches_an_unbroken_run(tmp_path, unbroken, monkeypatch):
    """The error stage, stopped by a crash after some batches, continues where it stopped."""
    import gtm_core.carg.errors as stage

    real, made = stage.choose_mutation, []

    def crashes_on_the_ninth(*args, **kwargs):
        made.append(1)
        if len(made) == 9:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(stage, "choose_mutation", crashes_on_the_ninth)
    with pytest.raises(KeyboardInterrupt):
        synthesize(tmp_path, SETTINGS, teacher=CatalogTeacher(), progress=False)
    assert 0 < len(StageFile(tmp_path / "errors.jsonl")) < 24
    monkeypatch.setattr(stage, "choose_mutation", real)
    synthesize(tmp_path, SETTINGS, teacher=CatalogTeacher(), progress=False)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == unbroken[name], name


def test_a_torn_last_line_is_dropped_and_its_item_made_again(tmp_path, unbroken):
    """A write cut off by a crash leaves half a line; the rerun drops it and remakes the item."""
    synthesize(tmp_path, SETTINGS, teacher=CatalogTeacher(), progress=False)
    single = tmp_path / "single.jsonl"
    lines = single.read_bytes().splitlines(keepends=True)
    single.write_bytes(b"".join(lines[:-3]) + lines[-3][: len(lines[-3]) // 2])
    synthesize(tmp_path, SETTINGS, teacher=CatalogTeacher(), progress=False)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == unbroken[name], name


def test_a_stage_file_keeps_the_first_item_of_an_id_and_skips_repeats(tmp_path):
    """Appending an id that is already there writes nothing; a reader sees every item once."""
    store = StageFile(tmp_path / "items.jsonl")
    store.append([{"id": "a", "n": 1}, {"id": "b", "n": 2}])
    store.append([{"id": "a", "n": 3}])
    again = StageFile(tmp_path / "items.jsonl")
    assert [item["n"] for item in again] == [1, 2]
    assert (tmp_path / "items.jsonl").read_text(encoding="utf-8").count("\n") == 2

"""What every stage shares: the settings, the output folder, the teacher, the judge, progress bars.

``SynthSettings`` holds every option of a run. ``Workspace`` binds them to an output folder
and to the engines: the teacher (wrapped so that a failing engine stops the stage instead of
turning into a run of failed items), the optional judge, and the Simulator that plays the
tools with the teacher engine, so argument checks and the episode world apply to synthesized
calls exactly as they do when a trained model serves them.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..engines.base import Engine
from ..errors import GTMError
from ..generation import Answer, GenerationRequest
from ..simulator import Simulator
from .judging import coherence_judge
from .store import check_config
from .teacher import Teacher, TeacherError

__all__ = ["FILES", "SynthSettings", "Workspace", "progress_bar"]

FILES = {
    "taxonomy": "taxonomy.jsonl",
    "tools_generated": "tools.generated.jsonl",
    "tools": "tools.jsonl",
    "tools_dropped": "tools.dropped.jsonl",
    "single": "single.jsonl",
    "multi": "multi.jsonl",
    "errors": "errors.jsonl",
    "train": "train.jsonl",
    "summary": "summary.json",
}
"""The files of an output folder, by role."""


@dataclass(frozen=True)
class SynthSettings:
    """Every option of a CARG run (see ``gtm synth run --help`` for each one)."""

    seed: int = 0
    # where the tools come from: a catalog, or the teacher (seed fields -> subfields -> tools)
    from_catalog: tuple[str, ...] = ()
    max_tools: int | None = None
    seed_catalog: str | None = None
    seed_fields: int = 3
    subfields_per_field: int = 2
    tools_per_subfield: int = 3
    exemplars: int = 6
    dedup_threshold: float = 0.8
    # how much to make
    single: int = 2
    multi: int = 10
    errors: int = 1
    # single-turn regeneration
    regen_below: float = 0.5
    max_attempts: int = 3
    # multi-turn association
    embedder: str = "auto"
    coherence: float | None = None
    max_turns: int = 4
    batch_size: int = 32

    def __post_init__(self) -> None:
        for name in ("seed_fields", "subfields_per_field", "tools_per_subfield", "max_attempts", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"The {name!r} setting of synth must be an int >= 1. Got {value!r} instead.")
        for name in ("single", "multi", "errors", "exemplars"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"The {name!r} setting of synth must be an int >= 0. Got {value!r} instead.")
        if self.max_tools is not None and self.max_tools < 1:
            raise ValueError(f"The 'max_tools' setting of synth must be an int >= 1 or None. Got {self.max_tools!r} instead.")
        if not 0.0 < self.dedup_threshold < 1.0:
            raise ValueError(f"The 'dedup_threshold' setting of synth must be in (0, 1). Got {self.dedup_threshold!r} instead.")
        if not 0.0 <= self.regen_below <= 1.0:
            raise ValueError(f"The 'regen_below' setting of synth must be in [0, 1]. Got {self.regen_below!r} instead.")
        if self.coherence is not None and not -1.0 <= self.coherence <= 1.0:
            raise ValueError(f"The 'coherence' setting of synth must be a cosine similarity in [-1, 1]. Got {self.coherence!r} instead.")
        if self.max_turns < 2:
            raise ValueError(f"The 'max_turns' setting of synth must be an int >= 2 (an episode has two calls at least). Got {self.max_turns!r} instead.")
        if self.embedder not in ("auto", "minilm", "tfidf"):
            raise ValueError(f"The 'embedder' setting of synth must be one of auto, minilm, tfidf. Got {self.embedder!r} instead.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Watched(Engine):
    """The teacher engine as the Simulator sees it: the same answers, and its failures kept.

    The Simulator turns an engine that raises into ``engine_error`` results; CARG must stop
    instead (a dead server would otherwise become a stage of failed items), so the stage
    asks ``raise_if_failed`` after each batch.
    """

    def __init__(self, engine: Engine) -> None:
        self.inner = engine
        self.name = engine.name  # type: ignore[misc]
        for flag in ("constrained_json", "supports_batching", "deterministic", "uses_history", "answers_errors"):
            setattr(self, flag, getattr(engine, flag))
        self.failure: BaseException | None = None

    @property
    def cache_id(self) -> str:
        return self.inner.cache_id

    @property
    def description(self) -> str:
        return self.inner.description

    def generate_sync(self, requests: Sequence[GenerationRequest]) -> list[str | Answer] | None:
        try:
            return self.inner.generate_sync(requests)
        except Exception as exc:
            self.failure = exc
            raise

    async def generate(self, requests: Sequence[GenerationRequest]) -> list[str | Answer]:
        try:
            return await self.inner.generate(requests)
        except Exception as exc:
            self.failure = exc
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()

    def raise_if_failed(self) -> None:
        failure, self.failure = self.failure, None
        if failure is not None:
            raise TeacherError(f"the {self.name} engine failed: {failure}; rerun the same command to continue where it stopped") from failure


class Workspace:
    """One output folder, its settings and engines; stages read and write through it."""

    def __init__(
        self,
        out: str | Path,
        settings: SynthSettings,
        *,
        teacher: Engine,
        judge: Engine | None = None,
        progress: bool | None = None,
        embedder: Any = None,
    ) -> None:
        self.out = Path(out)
        self.settings = settings
        self.engine = _Watched(teacher)
        self.teacher = Teacher(teacher, seed=settings.seed)
        self.judge = coherence_judge(judge, batch_size=settings.batch_size) if judge is not None else None
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.embedder = embedder  # built on first use by the multi-turn stage when None
        self.embedder_name: str | None = None
        self.seconds: dict[str, float] = {}
        self.planned_episodes: int | None = None
        self._tools: Catalog | None = None

    def path(self, role: str) -> Path:
        return self.out / FILES[role]

    def guard(self, *keys: str, teacher: bool = True, judge: bool = False, **resolved: Any) -> None:
        """Refuse to continue a folder made with other values of these settings, of the engines
        the stage uses (the teacher, the judge), or of ``resolved`` values (settings as this run
        understood them, such as the embedder)."""
        values = self.settings.to_dict()
        wanted = {k: values[k] for k in keys}
        if teacher:
            wanted["teacher"] = self.engine.cache_id
        if judge:
            wanted["judge"] = self.judge.engine.cache_id if self.judge else None
        check_config(self.out, {**wanted, **resolved})

    def tools(self) -> Catalog:
        """The tools of the run (tools.jsonl), loaded once."""
        if self._tools is None:
            path = self.path("tools")
            if not path.exists():
                raise GTMError(f"{path} does not exist: make the tools first (gtm synth tools, or gtm synth run)")
            self._tools = Catalog.load(path, format="gtm")
        return self._tools

    def forget_tools(self) -> None:
        self._tools = None

    def simulator(self, catalog: Catalog) -> Simulator:
        """A Simulator of ``catalog`` answered by the teacher engine (checks on, no cache)."""
        return Simulator(catalog, engine=self.engine, seed=self.settings.seed)


@contextlib.contextmanager
def progress_bar(total: int, desc: str, enabled: bool) -> Iterator[Any]:
    """A tqdm bar on stderr when enabled and tqdm is installed; otherwise a bar that does nothing."""
    bar: Any = None
    if enabled and total:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # tqdm comes with the [analysis] extra
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=total, desc=desc, unit="item", file=sys.stderr, leave=False, dynamic_ncols=True)
    try:
        yield bar if bar is not None else _NoBar()
    finally:
        if bar is not None:
            bar.close()


class _NoBar:
    def update(self, n: int = 1) -> None:
        return None

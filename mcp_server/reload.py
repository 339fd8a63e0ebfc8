"""Watching catalog files and reloading them when they change.

A reload is all or nothing: the files are read strictly, so one unreadable line, a missing
file or a selection left empty keeps the catalog that was loaded before (and logs why).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from gtm_core import Catalog, GTMError
from gtm_core.importers import catalog_files

__all__ = ["CatalogWatcher", "Snapshot"]

logger = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int]]
"""Catalog file path -> (mtime in ns, size); a path that cannot be read maps to (-1, -1)."""


def _snapshot(paths: Sequence[Path]) -> Snapshot:
    state: Snapshot = {}
    for path in paths:
        try:
            files = catalog_files(path)
        except (GTMError, OSError):
            state[str(path)] = (-1, -1)
            continue
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                state[str(file)] = (-1, -1)
            else:
                state[str(file)] = (stat.st_mtime_ns, stat.st_size)
    return state


class CatalogWatcher:
    """Notices changes to the files under ``paths`` and loads them again.

    ``load`` defaults to ``Catalog.load(*paths, strict=True)``.
    """

    def __init__(self, paths: Sequence[str | os.PathLike[str]], *, load: Callable[[], Catalog] | None = None) -> None:
        if not paths:
            raise ValueError("a CatalogWatcher needs at least one catalog path")
        self.paths = [Path(p) for p in paths]
        self._load = load or (lambda: Catalog.load(*self.paths, strict=True))
        self._seen = _snapshot(self.paths)

    def changed(self) -> bool:
        """Whether any catalog file was added, removed or modified since the last load attempt."""
        return _snapshot(self.paths) != self._seen

    def load(self) -> Catalog | None:
        """Load the catalog now; None (with the reason logged) when it cannot be read.

        The files' state is remembered either way, so a broken file is not retried until it
        changes again.
        """
        self._seen = _snapshot(self.paths)
        try:
            return self._load()
        except (GTMError, OSError, ValueError) as exc:
            logger.error("catalog reload failed, keeping the tools loaded before: %s", exc)
            return None

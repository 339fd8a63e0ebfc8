"""Stage files: JSONL items with stable ids, appended as they are made, read back on restart.

A stage appends each finished batch of items (one JSON object a line, each with an ``"id"``)
and flushes it to disk. A restarted stage reads the file, drops a torn last line (a crash in
the middle of a write), skips the ids it finds and makes only the rest, so an interrupted
run loses nothing and duplicates nothing.

``RunConfig`` guards a folder against mixing: the settings that decide what the items hold
are written to ``config.json`` on the first run, and a later run with other settings is
refused with a message that says what differs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import GTMError

__all__ = ["CONFIG_FILE", "OutputFolderError", "StageFile", "check_config", "item_seed"]

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"


class OutputFolderError(GTMError):
    """An output folder that holds the work of other settings, or an unreadable stage file."""


def item_seed(seed: int, *parts: Any) -> int:
    """A seed for one item, from the run's seed and the item's identity (stable across runs)."""
    text = "|".join([str(seed), *(str(p) for p in parts)])
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 1


class StageFile:
    """The items of one stage, by id, backed by an append-only JSONL file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.items: dict[str, dict[str, Any]] = {}
        self.dropped_lines = 0
        self._load()

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items.values())

    def get(self, item_id: str) -> dict[str, Any] | None:
        return self.items.get(item_id)

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        good_end = 0
        position = 0
        while position < len(data):
            newline = data.find(b"\n", position)
            if newline < 0:  # a torn last line: the write that made it never finished
                self.dropped_lines += 1
                logger.warning("%s: dropping a torn last line (%d bytes); its item is made again", self.path, len(data) - position)
                break
            line = data[position:newline]
            position = newline + 1
            if line.strip():
                try:
                    item = json.loads(line)
                except ValueError:
                    item = None
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    if position >= len(data):  # a broken last line is torn too
                        self.dropped_lines += 1
                        logger.warning("%s: dropping an unreadable last line; its item is made again", self.path)
                        break
                    raise OutputFolderError(
                        f"{self.path}: a line in the middle of the file is not a stage item with an id; "
                        "the file was edited or damaged; remove it (or use --overwrite) to make the stage again"
                    )
                self.items.setdefault(item["id"], item)
            good_end = position
        if good_end < len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)

    def append(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Write items (each with a new ``id``) at the end of the file, flushed to disk."""
        lines = []
        for item in items:
            item_id = item.get("id")
            if not isinstance(item_id, str):
                raise ValueError(f"a stage item needs a string 'id', got {item_id!r}")
            if item_id in self.items:
                continue
            self.items[item_id] = dict(item)
            lines.append(json.dumps(dict(item), ensure_ascii=False, default=str) + "\n")
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write("".join(lines))
            fh.flush()
            os.fsync(fh.fileno())


def check_config(folder: Path, settings: Mapping[str, Any]) -> None:
    """Record ``settings`` in the folder's config, or refuse them where it holds work of others.

    Only the settings both know are compared; settings the folder has not seen yet (those of
    a stage that has not run there) are added.
    """
    path = folder / CONFIG_FILE
    wanted = json.loads(json.dumps(dict(settings), default=str))
    found: dict[str, Any] = {}
    if path.exists():
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise OutputFolderError(f"{path} is not valid JSON ({exc}); remove it, or use --overwrite") from exc
        differ = sorted(k for k in set(found) & set(wanted) if found[k] != wanted[k])
        if differ:
            shown = "; ".join(f"{k}: {found[k]!r} before, {wanted[k]!r} now" for k in differ)
            raise OutputFolderError(
                f"the output folder {folder} holds work made with other settings ({shown}); "
                "rerun with the same settings to continue it, choose another --out, or add --overwrite to start over"
            )
        if set(wanted) <= set(found):
            return
    folder.mkdir(parents=True, exist_ok=True)
    merged = {**found, **wanted}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)

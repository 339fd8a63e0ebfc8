"""Read tool files in any supported format into ToolSpecs.

Formats:
- ``gtm``    our catalog lines: one ToolSpec object a line (JSONL).
- ``rows``   normalized dataset rows (JSONL; ``field`` is "Field/Subfield").
- ``openai`` OpenAI function tools: a JSON list, a ``{"tools": [...]}`` object or JSONL,
             wrapped (``{"type": "function", "function": {...}}``) or bare.
- ``mcp``    ``tools/list`` results: ``{"tools": [...]}`` pages, one document or several
             (concatenated, JSONL, or a JSON list of pages), JSON-RPC responses and the MCP
             Inspector's ``{"result": {"tools": [...]}}`` included.
- ``auto``   decides per object from its keys.

Files may be gzip-compressed (``.gz``); one over ``MAX_FILE_BYTES`` (256 MiB, uncompressed)
is refused with a CatalogError, read no further. A broken line or tool becomes a CatalogLineError
naming the file and line; it is collected, or raised at once with ``strict=True``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .convert import spec_from_mcp, spec_from_openai, spec_from_row
from .errors import CatalogError, CatalogLineError, GTMError, ImportFormatError
from .spec import ToolSpec

__all__ = ["FORMATS", "MAX_FILE_BYTES", "ImportResult", "catalog_files", "detect_kind", "read_tools"]

FORMATS = ("auto", "gtm", "rows", "openai", "mcp")
CATALOG_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz")
MAX_FILE_BYTES = 256 << 20
"""The largest catalog file read (uncompressed): a larger one is refused with a CatalogError, never read whole."""
_GTM_KEYS = frozenset(
    ["name", "description", "field", "subfield", "parameters", "required", "response", "examples", "source"]
)

_PARSERS: dict[str, Callable[..., ToolSpec]] = {
    "gtm": ToolSpec.from_dict,
    "rows": spec_from_row,
    "openai": spec_from_openai,
    "mcp": spec_from_mcp,
}


@dataclass
class ImportResult:
    """The specs read from one or more files, the problems met, and the formats seen."""

    specs: list[ToolSpec] = field(default_factory=list)
    problems: list[CatalogLineError] = field(default_factory=list)
    formats: set[str] = field(default_factory=set)

    @property
    def format(self) -> str:
        """The one format seen, "mixed" for several, "empty" for none."""
        if not self.formats:
            return "empty"
        return next(iter(self.formats)) if len(self.formats) == 1 else "mixed"

    def extend(self, other: ImportResult) -> None:
        self.specs.extend(other.specs)
        self.problems.extend(other.problems)
        self.formats |= other.formats


def detect_kind(obj: Any) -> str:
    """Which format one JSON object is in: gtm, rows, openai, mcp, page, or unknown."""
    if not isinstance(obj, Mapping):
        return "unknown"
    if isinstance(obj.get("tools"), list):
        return "page"
    result = obj.get("result")
    if isinstance(result, Mapping) and isinstance(result.get("tools"), list):
        return "page"
    if obj.get("type") == "function" or isinstance(obj.get("function"), Mapping):
        return "openai"
    if "inputSchema" in obj or "input_schema" in obj:
        return "mcp"
    if isinstance(obj.get("name"), str):
        field_value = obj.get("field")
        if isinstance(field_value, str) and "/" in field_value and obj.get("subfield") is None:
            return "rows"
        return "gtm" if set(obj) <= _GTM_KEYS else "openai"
    return "unknown"


def _open_text(path: Path) -> str:
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # bounded: /dev/zero, a FIFO or a gzip bomb cannot fill memory
        if len(data) > MAX_FILE_BYTES:
            size = "uncompressed " if path.name.endswith(".gz") else ""
            raise CatalogError(f"{path}: over {MAX_FILE_BYTES >> 20} MiB {size}(the limit for one catalog file); split it into several files and pass their folder")
        return data.decode("utf-8")
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CatalogError(f"{path}: is a folder; pass the files in it, or the folder to a loader that expands it") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read it ({exc})") from exc


def _documents(text: str, path: Path) -> Iterator[tuple[int, Any | CatalogLineError]]:
    """Yield (line, JSON value or error): one value per line for JSONL, else whole documents."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return
    try:
        json.loads(lines[first])
        is_jsonl = True
    except json.JSONDecodeError:
        is_jsonl = False
    if is_jsonl:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, CatalogLineError(str(path), number, f"not valid JSON ({exc.msg} at column {exc.colno})")
        return
    # One or more JSON documents, possibly pretty-printed and concatenated.
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        line = text.count("\n", 0, position) + 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            yield exc.lineno, CatalogLineError(str(path), exc.lineno, f"not valid JSON ({exc.msg} at column {exc.colno})")
            return
        yield line, value


def _tools_of(value: Any) -> list[Any] | None:
    """The tool list of a page-like value, or None."""
    if isinstance(value, Mapping):
        if isinstance(value.get("tools"), list):
            return value["tools"]
        result = value.get("result")
        if isinstance(result, Mapping) and isinstance(result.get("tools"), list):
            return result["tools"]
    return None


def read_tools(path: str | Path, *, format: str = "auto", strict: bool = False) -> ImportResult:
    """Read every tool of one file; see the module docstring for the formats."""
    if format not in FORMATS:
        raise ImportFormatError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    result = ImportResult()

    def problem(error: CatalogLineError) -> None:
        if strict:
            raise error
        result.problems.append(error)

    def add(obj: Any, line: int, where: str) -> None:
        kind = detect_kind(obj)
        if kind == "page":
            for index, tool in enumerate(_tools_of(obj) or []):
                add(tool, line, f"{where}tools[{index}]")
            return
        chosen = kind if format == "auto" else format
        if chosen == "unknown":
            problem(CatalogLineError(str(path), line, f"{where}not a tool: expected a JSON object with a 'name'"))
            return
        if format == "gtm" and kind != "gtm":
            problem(CatalogLineError(str(path), line, f"{where}looks like {kind!r}, not a GTM catalog line; use --format {kind} or auto"))
            return
        try:
            spec = _PARSERS[chosen](obj, origin=f"{path}:{line}")
        except GTMError as exc:
            problem(CatalogLineError(str(path), line, f"{where}{exc}"))
            return
        result.specs.append(spec)
        result.formats.add(chosen)

    for line, value in _documents(_open_text(path), path):
        if isinstance(value, CatalogLineError):
            problem(value)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                add(item, line, f"[{index}] ")
        else:
            add(value, line, "")
    return result


def catalog_files(path: str | Path) -> list[Path]:
    """The catalog files a path names: the file itself, or the tool files under a folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(CATALOG_SUFFIXES))
        files = [p for p in files if not any(part.startswith(".") for part in p.relative_to(path).parts)]
        if not files:
            raise CatalogError(f"{path}: no catalog files (*.jsonl, *.json, optionally .gz) in this folder")
        return files
    if not path.exists():
        raise CatalogError(f"{path}: no such file or folder")
    return [path]

"""Tool loaders for the scope analysis: the crawled MCP market, the training APIs, a
``tools/list`` dump and any catalog file, all read into one small record type.

A :class:`ToolRecord` keeps what the analysis needs of a tool: the server it belongs to (where
known), its name, description and input schema, and which side it comes from (``source``:
``"market"``, ``"training"``, or the name of the file it was read from).

Market files are JSONL rows with ``server``, ``tool``, ``description``, ``input_schema``
(``source`` and ``category`` optional), as in ``market/mcp_market.jsonl.gz`` of the public data
and as ``gtm scope crawl`` writes them. Any other file goes through gtm_core's importers, so
catalogs, OpenAI tool lists and MCP ``tools/list`` dumps load too.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gtm_core.catalog import Catalog
from gtm_core.data import DATA_DIR_ENV, MARKET, TRAINING_APIS, data_file
from gtm_core.errors import CatalogError
from gtm_core.importers import read_tools
from gtm_core.spec import ToolSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ToolRecord",
    "load_catalog_file",
    "load_market",
    "load_tools_list_dump",
    "load_training",
    "record_from_spec",
    "records_frame",
]

logger = logging.getLogger(__name__)

_MARKET_ROW_KEYS = frozenset(["server", "tool"])


@dataclass(frozen=True)
class ToolRecord:
    """One tool as the scope analysis sees it.

    ``origin`` names the dataset or registry inside a source (``toucan-smithery``, ``bfcl``,
    a crawled URL) and ``category`` the market's category, where known.
    """

    server: str | None
    name: str
    description: str
    input_schema: dict[str, Any] = field(hash=False)
    source: str
    origin: str | None = None
    category: str | None = None

    @property
    def parameter_names(self) -> list[str]:
        props = self.input_schema.get("properties") if isinstance(self.input_schema, Mapping) else None
        return [str(k) for k in props] if isinstance(props, Mapping) else []

    @property
    def label(self) -> str:
        """``server/name``, or the name alone when the server is unknown."""
        return f"{self.server}/{self.name}" if self.server else self.name


def record_from_spec(spec: ToolSpec, *, source: str, server: str | None = None) -> ToolRecord:
    """A record for a gtm_core ToolSpec (its ``source`` becomes the record's ``origin``)."""
    return ToolRecord(
        server=server,
        name=spec.name,
        description=spec.description or "",
        input_schema=spec.input_schema,
        source=source,
        origin=spec.source,
        category="/".join(p for p in (spec.field, spec.subfield) if p) or None,
    )


def _default(relative: str, what: str) -> Path:
    path = data_file(relative)
    if path is None:
        raise CatalogError(
            f"the {what} ({relative}) was not found: set {DATA_DIR_ENV} to the public data folder, "
            f"or pass the file's path"
        )
    return path


def _read_lines(path: Path) -> list[str]:
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return fh.read().splitlines()
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such file") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read it ({exc})") from exc


def _market_row(row: Mapping[str, Any], path: Path, line: int) -> ToolRecord:
    name = row.get("tool")
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"{path}:{line}: a market row needs a non-empty string 'tool'")
    schema = row.get("input_schema")
    server = row.get("server")
    return ToolRecord(
        server=str(server) if server is not None else None,
        name=name,
        description=str(row.get("description") or ""),
        input_schema=dict(schema) if isinstance(schema, Mapping) else {},
        source="market",
        origin=row.get("source") if isinstance(row.get("source"), str) else None,
        category=row.get("category") if isinstance(row.get("category"), str) else None,
    )


def load_market(path: str | Path | None = None) -> list[ToolRecord]:
    """The market tools of a JSONL file (default: the public data's crawled MCP market).

    Rows with ``server`` and ``tool`` keys are market rows; a file of any other tool format
    (catalog, ``tools/list`` dump) is read through gtm_core's importers instead.
    """
    path = Path(path) if path is not None else _default(MARKET, "crawled MCP market")
    lines = _read_lines(path)
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise CatalogError(f"{path}: the file holds no tools")
    try:
        head = json.loads(first)
    except json.JSONDecodeError:
        head = None
    if not (isinstance(head, Mapping) and _MARKET_ROW_KEYS <= set(head)):
        return [_with_source(r, "market") for r in load_catalog_file(path)]
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(row, Mapping):
            raise CatalogError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
        records.append(_market_row(row, path, number))
    return records


def _with_source(record: ToolRecord, source: str) -> ToolRecord:
    return ToolRecord(
        record.server, record.name, record.description, record.input_schema, source, record.origin, record.category
    )


def load_training(path: str | Path | None = None) -> list[ToolRecord]:
    """The training APIs (default: the public data's training catalog), via gtm_core's Catalog."""
    path = Path(path) if path is not None else _default(TRAINING_APIS, "training API catalog")
    catalog = Catalog.load(path)
    _report_problems(path, catalog.problems, len(catalog))
    return [record_from_spec(spec, source="training") for spec in catalog]


def load_tools_list_dump(path: str | Path, *, server: str | None = None) -> list[ToolRecord]:
    """The tools of an MCP ``tools/list`` dump: a ``{"tools": [...]}`` result, several pages
    (concatenated, JSONL or a JSON list) or JSON-RPC responses. ``server`` defaults to the
    file's stem (the dump itself does not name its server)."""
    path = Path(path)
    result = read_tools(path, format="mcp")
    _report_problems(path, result.problems, len(result.specs))
    server = server if server is not None else _stem(path)
    return [record_from_spec(spec, source=path.name, server=server) for spec in result.specs]


def load_catalog_file(path: str | Path) -> list[ToolRecord]:
    """The tools of a catalog file or folder in any format gtm_core reads (``auto``)."""
    path = Path(path)
    catalog = Catalog.load(path)
    _report_problems(path, catalog.problems, len(catalog))
    return [record_from_spec(spec, source=path.name) for spec in catalog]


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name


def _report_problems(path: Path, problems: list[Any], count: int) -> None:
    if problems and count == 0:
        raise CatalogError(f"no tool could be read from {path}: {problems[0]}")
    if count == 0:
        raise CatalogError(f"{path}: the file holds no tools")
    if problems:
        logger.warning("%s: %d unreadable entries skipped (first: %s)", path, len(problems), problems[0])


def records_frame(records: Iterable[ToolRecord]) -> pd.DataFrame:
    """A DataFrame with one row per record: server, name, description, source, origin,
    category, parameters (the parameter names) and label (``server/name``)."""
    import pandas as pd

    rows = [
        {
            "server": r.server,
            "name": r.name,
            "description": r.description,
            "source": r.source,
            "origin": r.origin,
            "category": r.category,
            "parameters": r.parameter_names,
            "label": r.label,
        }
        for r in records
    ]
    columns = ["server", "name", "description", "source", "origin", "category", "parameters", "label"]
    return pd.DataFrame(rows, columns=columns)

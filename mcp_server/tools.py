"""Which catalog tools the server exposes, under which MCP names, and how tools/list pages them.

MCP tool names are at most 64 characters of ``[A-Za-z0-9_-]``. A catalog tool whose name
breaks that rule is exposed under a sanitized name (other characters become ``_``; a name
that is too long, or that would collide, gets a short hash of the original) and calls to
the sanitized name reach the original tool. A second tool with a name already taken is
skipped. Both are logged once, with examples, when the selection is built.

Listings are built once per selection (MCP wire dicts, camelCase) and paged with opaque
cursors: a small first page, then large pages, so that clients that stop after 64 pages
still see 20,000 tools.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gtm_core import Catalog, ToolSpec, spec_to_mcp
from gtm_core.catalog import closest_names

from .defaults import DEFAULT_FIRST_PAGE_SIZE, DEFAULT_PAGE_SIZE

__all__ = [
    "DEFAULT_FIRST_PAGE_SIZE",
    "DEFAULT_PAGE_SIZE",
    "MAX_NAME_LENGTH",
    "InvalidCursorError",
    "Selection",
    "ToolListing",
    "is_legal_name",
    "legal_name",
]

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 64

_LEGAL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ILLEGAL_RUN = re.compile(r"[^A-Za-z0-9_-]+")
_EXAMPLES_LOGGED = 5


def is_legal_name(name: str) -> bool:
    """Whether ``name`` is a legal MCP tool name (1-64 characters of ``[A-Za-z0-9_-]``)."""
    return _LEGAL_NAME.fullmatch(name) is not None


def _digest(name: str) -> str:
    return hashlib.blake2b(name.encode("utf-8"), digest_size=4).hexdigest()


def legal_name(name: str, *, salted: bool = False) -> str:
    """A legal MCP name for ``name``: itself when legal, else a sanitized form.

    ``salted`` appends a hash of the original name (used to resolve collisions); a name
    longer than 64 characters always gets one, so two long names never truncate alike.
    """
    if is_legal_name(name) and not salted:
        return name
    base = _ILLEGAL_RUN.sub("_", name).strip("_") or "tool"
    if not salted and len(base) <= MAX_NAME_LENGTH:
        return base
    suffix = "_" + _digest(name)
    return base[: MAX_NAME_LENGTH - len(suffix)] + suffix


@dataclass
class Selection:
    """The catalog tools a server exposes, keyed by their MCP name.

    ``catalog`` holds the selected specs under their original names (what the Simulator
    resolves); ``names`` maps each exposed MCP name to its spec and ``renamed`` records the
    sanitized names (original -> exposed).
    """

    catalog: Catalog
    names: dict[str, ToolSpec]
    renamed: dict[str, str] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        *,
        field: str | None = None,
        tools: Sequence[str] | None = None,
    ) -> Selection:
        """Select the tools of ``field`` whose original or MCP name matches one of the ``tools`` globs."""
        chosen = catalog.filter(field=field) if field is not None else catalog
        globs = list(tools or [])
        claimed: dict[str, ToolSpec] = {}
        skipped: list[tuple[str, str]] = []
        unique: list[ToolSpec] = []
        seen: set[str] = set()
        for spec in chosen:
            if spec.name in seen:
                skipped.append((spec.name, "a tool with this name came earlier"))
                continue
            seen.add(spec.name)
            unique.append(spec)
            if is_legal_name(spec.name):
                claimed[spec.name] = spec
        renamed: dict[str, str] = {}
        exposed: dict[int, str] = {}
        for spec in unique:
            if is_legal_name(spec.name):
                exposed[id(spec)] = spec.name
                continue
            name = legal_name(spec.name)
            if name in claimed:
                name = legal_name(spec.name, salted=True)
            if name in claimed:  # a hash collision on top of a name collision: give up on this one
                skipped.append((spec.name, f"its sanitized name {name!r} is taken"))
                continue
            claimed[name] = spec
            renamed[spec.name] = name
            exposed[id(spec)] = name
        names: dict[str, ToolSpec] = {}
        for spec in unique:
            exposed_name = exposed.get(id(spec))
            if exposed_name is None:
                continue
            if globs and not any(fnmatch.fnmatchcase(spec.name, g) or fnmatch.fnmatchcase(exposed_name, g) for g in globs):
                continue
            names[exposed_name] = spec
        kept = {id(spec) for spec in names.values()}
        selection = cls(
            catalog=Catalog([spec for spec in unique if id(spec) in kept]),
            names=names,
            renamed={old: new for old, new in renamed.items() if new in names},
            skipped=skipped,
        )
        selection.log_changes()
        return selection

    def __len__(self) -> int:
        return len(self.names)

    def log_changes(self) -> None:
        """Warn once about sanitized and skipped names, with a few examples of each."""
        if self.renamed:
            examples = ", ".join(f"{old!r} -> {new!r}" for old, new in list(self.renamed.items())[:_EXAMPLES_LOGGED])
            more = f" and {len(self.renamed) - _EXAMPLES_LOGGED} more" if len(self.renamed) > _EXAMPLES_LOGGED else ""
            logger.warning(
                "%d tool names are not legal MCP names (1-64 of [A-Za-z0-9_-]) and are exposed sanitized: %s%s",
                len(self.renamed), examples, more,
            )  # fmt: skip
            for old, new in self.renamed.items():
                logger.debug("tool %r is exposed as %r", old, new)
        if self.skipped:
            examples = ", ".join(f"{name!r} ({why})" for name, why in self.skipped[:_EXAMPLES_LOGGED])
            more = f" and {len(self.skipped) - _EXAMPLES_LOGGED} more" if len(self.skipped) > _EXAMPLES_LOGGED else ""
            logger.warning("skipped %d tools: %s%s", len(self.skipped), examples, more)
            for name, why in self.skipped:
                logger.debug("skipped tool %r: %s", name, why)

    def resolve(self, name: str) -> tuple[str, ToolSpec] | None:
        """The exposed name and spec for an MCP name or an original catalog name."""
        spec = self.names.get(name)
        if spec is not None:
            return name, spec
        exposed = self.renamed.get(name)
        if exposed is not None:
            return exposed, self.names[exposed]
        return None

    def closest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` exposed names that look like ``name`` (for unknown-tool errors; cheap for any length)."""
        return closest_names(name, self.names, n)

    def wire_tools(self) -> list[dict[str, Any]]:
        """The tools/list entries (MCP wire form) of every exposed tool, in catalog order."""
        tools = []
        for name, spec in self.names.items():
            tool = spec_to_mcp(spec)
            tool["name"] = name
            if name != spec.name:
                tool.setdefault("_meta", {})["gtm/original_name"] = spec.name
            tools.append(tool)
        return tools


class InvalidCursorError(ValueError):
    """A tools/list cursor this server did not hand out (or handed out before a reload)."""


@dataclass(frozen=True)
class _Page:
    tools: list[dict[str, Any]]
    next_cursor: str | None


class ToolListing:
    """A fixed list of MCP tool dicts, served in pages with opaque cursors.

    The first page holds ``first_page_size`` tools, later pages ``page_size``. Cursors name
    the listing they came from, so a cursor from before a reload (or from another server)
    is refused instead of silently skipping or repeating tools.
    """

    def __init__(
        self,
        tools: Iterable[Mapping[str, Any]],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        first_page_size: int = DEFAULT_FIRST_PAGE_SIZE,
    ) -> None:
        if page_size < 1 or first_page_size < 1:
            raise ValueError(f"page sizes must be at least 1, got page_size={page_size}, first_page_size={first_page_size}")
        self.tools: list[dict[str, Any]] = [dict(t) for t in tools]
        self.page_size = page_size
        self.first_page_size = first_page_size
        self.generation = secrets.token_hex(4)
        self._schemas = {t["name"]: t.get("inputSchema") for t in self.tools}
        self._output = {t["name"] for t in self.tools if t.get("outputSchema") is not None}
        self.wire_cache: dict[tuple[str | None, str], dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self.tools)

    @property
    def pages(self) -> int:
        """How many pages a full listing takes."""
        rest = max(0, len(self.tools) - self.first_page_size)
        return 1 + -(-rest // self.page_size)

    def input_schema(self, name: str) -> Mapping[str, Any] | None:
        """The input schema of the tool listed as ``name`` (None when not listed)."""
        return self._schemas.get(name)

    def has_output_schema(self, name: str) -> bool:
        return name in self._output

    def remember(self, key: tuple[str | None, str], wire: dict[str, Any]) -> None:
        """Keep the finished wire form of a page (key: cursor, protocol version) for reuse.

        Tool dicts equal to this listing's own are stored as those (no second copy in memory).
        """
        tools = wire.get("tools")
        if isinstance(tools, list):
            own = {t["name"]: t for t in self.tools}
            shared = [own.get(t.get("name")) if isinstance(t, dict) else None for t in tools]
            if all(o is not None and o == t for o, t in zip(shared, tools)):
                wire = {**wire, "tools": shared}
        self.wire_cache[key] = wire

    def page(self, cursor: str | None) -> _Page:
        """The page a cursor points at (the first page for None)."""
        start = 0 if cursor is None else self._decode(cursor)
        size = self.first_page_size if start == 0 else self.page_size
        end = min(start + size, len(self.tools))
        next_cursor = self._encode(end) if end < len(self.tools) else None
        return _Page(self.tools[start:end], next_cursor)

    def _encode(self, offset: int) -> str:
        return base64.urlsafe_b64encode(f"gtm1:{self.generation}:{offset}".encode("ascii")).decode("ascii").rstrip("=")

    def _decode(self, cursor: str) -> int:
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
            tag, generation, offset_text = text.split(":")
            offset = int(offset_text)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidCursorError(f"invalid cursor {cursor[:80]!r}: it was not handed out by this server; list tools from the start (no cursor)") from None
        if tag != "gtm1" or not 0 < offset < len(self.tools) or generation != self.generation:
            if tag == "gtm1" and generation != self.generation:
                raise InvalidCursorError("stale cursor: the tool list changed since it was handed out; list tools again from the start (no cursor)")
            raise InvalidCursorError(f"invalid cursor {cursor[:80]!r}: it points outside the tool list; list tools from the start (no cursor)")
        return offset

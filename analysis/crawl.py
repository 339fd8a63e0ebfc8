"""Crawl a public MCP registry API into market rows (the format ``load_market`` reads).

The API shape accepted is the MCP registry's v0 list endpoint, as the official registry
(https://registry.modelcontextprotocol.io) and its sub-registries serve it::

    GET {base}/v0/servers?limit=N[&cursor=C]
    200 {"servers": [ENTRY, ...], "metadata": {"nextCursor": "...", "count": N}}

- ``ENTRY`` is the server object itself (``{"name", "description", ...}``), or, as the
  registry serves it since 2025-09, a wrapper ``{"server": {...}, "_meta": {...}}``.
- The next cursor is ``metadata.nextCursor`` (or ``metadata.next_cursor``, as older
  registries spell it); a missing, null or empty cursor ends the crawl.
- Tools are read from a ``tools`` list on the server object or on the wrapper, each an MCP
  ``Tool`` (``name``, ``description``, ``inputSchema``/``input_schema``). The official
  registry itself does not list tools (only packages and remotes); registries that do
  (sub-registries that have run ``tools/list``) give tool rows. Servers without tools are
  counted, and written as one row each with ``include_servers=True``.

``base`` may be the registry root or the full ``.../v0/servers`` URL. Failed requests (network
errors, HTTP 429 and 5xx) are retried with exponential backoff; any other HTTP error, a body that
is not JSON or a page without a ``servers`` list raises :class:`CrawlError` naming the URL.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtm_core.errors import GTMError
from gtm_core.files import write_jsonl

__all__ = ["CrawlError", "CrawlResult", "crawl_registry", "list_url", "rows_from_page", "write_rows"]

DEFAULT_PAGE_SIZE = 100
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubles each time
DEFAULT_TIMEOUT = 30.0
_USER_AGENT = "gtm-toolkit-scope-crawler/0.1"


class CrawlError(GTMError):
    """A registry page that cannot be fetched or understood."""


@dataclass
class CrawlResult:
    """Market rows (``server``, ``tool``, ``description``, ``input_schema``, ``source``,
    ``category``) and what the crawl met."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    servers: int = 0
    servers_without_tools: int = 0
    retries: int = 0
    complete: bool = False  # False when max_pages stopped it before the last page


def list_url(base: str) -> str:
    """The list endpoint for a registry root (``https://host`` -> ``https://host/v0/servers``)."""
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CrawlError(f"{base!r} is not an http(s) URL of an MCP registry")
    path = parts.path.rstrip("/")
    if not path.endswith("/servers"):
        path += "/v0/servers"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _page_url(endpoint: str, page_size: int, cursor: str | None) -> str:
    parts = urllib.parse.urlsplit(endpoint)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query["limit"] = str(page_size)
    if cursor:
        query["cursor"] = cursor
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, urllib.parse.urlencode(query), ""))


def _fetch(url: str, *, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) checked in list_url
        return response.read()


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError))


def _get_json(
    url: str, *, retries: int, backoff: float, timeout: float, sleep: Callable[[float], None], result: CrawlResult
) -> Any:
    for attempt in range(retries + 1):
        try:
            body = _fetch(url, timeout=timeout)
            break
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if not _retryable(exc) or attempt == retries:
                reason = f"HTTP {exc.code} {exc.reason}" if isinstance(exc, urllib.error.HTTPError) else str(exc)
                tried = f" after {attempt + 1} attempts" if attempt else ""
                raise CrawlError(f"{url}: {reason}{tried}") from exc
            result.retries += 1
            sleep(backoff * 2**attempt)
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CrawlError(f"{url}: the page is not JSON ({exc}); is this an MCP registry's /v0/servers endpoint?") from exc


def _server_of(entry: Any, url: str, index: int) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The server object of a list entry, and the entry (which may carry tools too)."""
    if not isinstance(entry, Mapping):
        raise CrawlError(f"{url}: servers[{index}] is a {type(entry).__name__}, not a server object")
    server = entry.get("server") if isinstance(entry.get("server"), Mapping) else entry
    if not isinstance(server.get("name"), str) or not server["name"].strip():
        raise CrawlError(f"{url}: servers[{index}] has no string 'name'")
    return server, entry


def rows_from_page(page: Any, *, url: str, source: str, include_servers: bool = False) -> tuple[list[dict[str, Any]], int, int]:
    """The market rows of one list page: ``(rows, servers, servers_without_tools)``."""
    if not isinstance(page, Mapping) or not isinstance(page.get("servers"), list):
        got = type(page).__name__ if not isinstance(page, Mapping) else f"keys {sorted(page)[:8]}"
        raise CrawlError(f"{url}: expected an object with a 'servers' list (MCP registry v0 shape), got {got}")
    rows: list[dict[str, Any]] = []
    without = 0
    for index, entry in enumerate(page["servers"]):
        server, wrapper = _server_of(entry, url, index)
        tools = server.get("tools", wrapper.get("tools"))
        name = server.get("title") or server["name"]
        description = str(server.get("description") or "")
        if not isinstance(tools, list) or not tools:
            without += 1
            if include_servers and description:
                rows.append(_row(name, server["name"], description, None, source))
            continue
        for tool in tools:
            if not isinstance(tool, Mapping) or not isinstance(tool.get("name"), str):
                continue  # a tool without a name cannot be analysed; the server's others still can
            schema = tool.get("inputSchema", tool.get("input_schema"))
            rows.append(
                _row(name, tool["name"], str(tool.get("description") or ""), schema if isinstance(schema, Mapping) else None, source)
            )
    return rows, len(page["servers"]), without


def _row(server: str, tool: str, description: str, schema: Mapping[str, Any] | None, source: str) -> dict[str, Any]:
    return {
        "server": server,
        "tool": tool,
        "description": description,
        "input_schema": dict(schema) if schema is not None else None,
        "source": source,
        "category": None,
    }


def _next_cursor(page: Mapping[str, Any]) -> str | None:
    metadata = page.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    cursor = metadata.get("nextCursor", metadata.get("next_cursor"))
    return str(cursor) if cursor else None


def crawl_registry(
    base: str,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_pages: int | None = None,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    timeout: float = DEFAULT_TIMEOUT,
    include_servers: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> CrawlResult:
    """Follow the registry's list pages from the first to the last (or ``max_pages``) and
    collect market rows. ``sleep`` waits between retries (tests pass a no-op)."""
    endpoint = list_url(base)
    source = urllib.parse.urlsplit(endpoint).netloc
    result = CrawlResult()
    cursor: str | None = None
    seen: set[str] = set()
    while max_pages is None or result.pages < max_pages:
        url = _page_url(endpoint, page_size, cursor)
        page = _get_json(url, retries=retries, backoff=backoff, timeout=timeout, sleep=sleep, result=result)
        rows, servers, without = rows_from_page(page, url=url, source=source, include_servers=include_servers)
        result.rows.extend(rows)
        result.servers += servers
        result.servers_without_tools += without
        result.pages += 1
        cursor = _next_cursor(page)
        if cursor is None:
            result.complete = True
            break
        if cursor in seen:
            raise CrawlError(f"{url}: the registry returned the cursor {cursor!r} twice; stopping to avoid a loop")
        seen.add(cursor)
    return result


def write_rows(rows: Iterable[Mapping[str, Any]], path: str | Path) -> Path:
    """Write market rows as JSONL (gzipped when the name ends in .gz), atomically."""
    return write_jsonl(rows, path)

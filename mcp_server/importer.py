"""Read the tools of an existing MCP server, so that any server can be simulated.

``read_server_tools`` starts a server from a command line (stdio) or connects to a
streamable HTTP URL, initializes, and reads every page of ``tools/list``. The tools come
back as ``tools/list`` dicts in their camelCase wire form (``name``, ``description``,
``inputSchema``, ``outputSchema``, ``annotations``, ``_meta``, ...), ready for
``gtm_core.convert.spec_from_mcp``. ``import_server`` and ``read_server_specs`` do that
conversion and record where the tools came from (``source="mcp:<command or url>"``).

Everything that can go wrong -- a command that does not exist, a server that exits at once,
a URL that refuses, a server that never answers, a cursor that loops -- raises
``MCPImportError`` with one line saying what failed and how to fix it. A started server is
always stopped (stdin closed, then the process group terminated) before the call returns.

    >>> tools = anyio.run(lambda: read_server_tools(command="mcp-server-memory"))  # doctest: +SKIP
    >>> specs = read_server_specs(url="http://127.0.0.1:8000/mcp")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import logging
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import anyio

from gtm_core.convert import spec_from_mcp
from gtm_core.errors import CatalogLineError, GTMError
from gtm_core.importers import ImportResult
from gtm_core.spec import ToolSpec

from .upstream_env import child_environment

__all__ = ["MAX_PAGES", "MCPImportError", "import_server", "read_server_specs", "read_server_tools", "server_label"]

MAX_PAGES = 10_000
"""Stop (with an error) after this many ``tools/list`` pages: a server that never ends its listing."""

_STDERR_TAIL_CHARS = 1_500
_STDERR_TAIL_LINES = 8


class MCPImportError(GTMError):
    """An MCP server whose tools could not be read; the message says what failed and what to do."""


def server_label(*, command: str | None = None, url: str | None = None) -> str:
    """``mcp:<command>`` or ``mcp:<url>`` (user and password removed from the URL)."""
    if command is not None:
        return f"mcp:{' '.join(command.split())}"
    assert url is not None
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port is not None else host
        parts = parts._replace(netloc=netloc)
    return f"mcp:{urlunsplit(parts)}"


def _check_target(command: str | None, url: str | None) -> tuple[str, list[str] | None]:
    """(what, argv): validates that exactly one of command / url is given."""
    if (command is None) == (url is None):
        raise MCPImportError("give exactly one MCP server: a command (stdio) or a URL (streamable HTTP)")
    if command is not None:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise MCPImportError(f"cannot parse the MCP server command {command!r} ({exc}); check its quotes") from None
        if not argv:
            raise MCPImportError("the MCP server command is empty; give the program and its arguments, e.g. 'mcp-server-memory'")
        return f"MCP server '{' '.join(command.split())}'", argv
    assert url is not None
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise MCPImportError(
            f"MCP server URL {url!r} is not http(s); give the streamable HTTP endpoint, e.g. http://127.0.0.1:8000/mcp"
        )
    return f"MCP server at {server_label(url=url)[4:]}", None


def _stderr_tail(errlog: IO[bytes] | None) -> str:
    """The last lines the server wrote on stderr, as one line (empty when none)."""
    if errlog is None:
        return ""
    try:
        errlog.flush()
        size = errlog.seek(0, os.SEEK_END)
        errlog.seek(max(0, size - _STDERR_TAIL_CHARS))
        text = errlog.read().decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-_STDERR_TAIL_LINES:])


class _SDKLog(logging.Handler):
    """Keeps what the SDK logs while reading a server (e.g. non-JSON lines on its stdout)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.stray_lines: list[str] = []
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        errors = getattr(error, "errors", None)
        if callable(errors) and "parse" in record.getMessage().lower():
            try:
                self.stray_lines.append(str(errors()[0].get("input", ""))[:120])
                return
            except Exception:  # noqa: BLE001 - a log record we do not understand is just kept as text
                pass
        self.messages.append(record.getMessage())


@contextmanager
def _quiet_sdk_log() -> Iterator[_SDKLog]:
    """Collect the SDK's log records; when logging is not configured they would print
    tracebacks through the last-resort handler, so they do not propagate then."""
    logger = logging.getLogger("mcp")
    handler = _SDKLog()
    unconfigured = not logging.getLogger().handlers
    previous = logger.propagate
    logger.addHandler(handler)
    if unconfigured:
        logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


def _leaves(exc: BaseException) -> list[BaseException]:
    """The non-group exceptions inside ``exc`` (itself when it is not a group)."""
    if isinstance(exc, BaseExceptionGroup):
        out: list[BaseException] = []
        for inner in exc.exceptions:
            out.extend(_leaves(inner))
        return out
    return [exc]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    return text or type(exc).__name__


def _explain(
    exc: BaseException, what: str, *, stdio: bool, timeout: float, stderr: str, started: bool, program: str = ""
) -> MCPImportError:
    """One clear MCPImportError for whatever the SDK raised."""
    from mcp.shared.exceptions import MCPError

    leaves = _leaves(exc)
    # The most telling leaf: our own error, then a protocol error, then anything but cancellation.
    leaf = next((e for e in leaves if isinstance(e, MCPImportError)), None)
    if leaf is not None:
        return leaf  # type: ignore[return-value]
    leaf = next((e for e in leaves if isinstance(e, MCPError)), None) or next(
        (e for e in leaves if not isinstance(e, anyio.get_cancelled_exc_class())), leaves[0]
    )
    said = f"; its stderr ended with: {stderr}" if stderr else ""
    if isinstance(leaf, TimeoutError):
        return MCPImportError(
            f"{what} did not finish initialize and tools/list within {timeout:g} s{said}; "
            "check that it speaks MCP on "
            + ("stdout" if stdio else "this URL")
            + " or allow more time with --timeout"
        )
    if stdio and not started and isinstance(leaf, OSError):
        if not isinstance(leaf, FileNotFoundError):
            hint = "check the program and its permissions"
        elif program and (shutil.which(program) or os.path.exists(program)):
            hint = f"{program} exists, so the interpreter named on its #! line (e.g. node) is probably missing"
        else:
            hint = "check the program name and that it is installed and on PATH"
        return MCPImportError(f"could not start {what}: {_describe(leaf)}; {hint}")
    if isinstance(leaf, MCPError):
        if stdio and "closed" in str(leaf).lower():
            return MCPImportError(
                f"{what} exited or closed its stdout before answering tools/list{said or '; it wrote nothing on stderr'}; "
                "run the command by hand to see why"
            )
        return MCPImportError(f"{what} answered with an error: {_describe(leaf)}{said}")
    if not stdio:
        name = type(leaf).__name__
        if "Connect" in name or isinstance(leaf, ConnectionError):
            return MCPImportError(
                f"could not connect to {what}: {_describe(leaf)}; check that the server is running and the URL is right"
            )
        return MCPImportError(f"{what} failed: {name}: {_describe(leaf)}; check the URL, headers and the server's log")
    return MCPImportError(f"{what} failed: {type(leaf).__name__}: {_describe(leaf)}{said}")


async def read_server_tools(
    *,
    command: str | None = None,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    max_pages: int = MAX_PAGES,
) -> list[dict[str, Any]]:
    """Every tool an MCP server lists, in order, as camelCase ``tools/list`` dicts.

    ``command`` is a shell-like command line (split with ``shlex``; no shell runs it) for a
    server that speaks MCP on stdio; it gets a minimal environment plus ``env`` (never this
    process's whole environment: see ``mcp_server.upstream_env``), and its stderr
    is kept aside (its last lines go into the error when it fails). ``url`` is a streamable
    HTTP endpoint; ``headers`` (e.g. ``{"Authorization": "Bearer ..."}``) go with every
    request. ``timeout`` bounds the whole exchange (start, initialize, every page) in
    seconds; stopping a stdio server afterwards takes at most a few seconds more.
    """
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client
    from mcp.client.streamable_http import (
        create_mcp_http_client,  # re-exported there; defaults as the SDK's own
        streamable_http_client,
    )

    what, argv = _check_target(command, url)
    if headers and url is None:
        raise MCPImportError("HTTP headers apply to a URL only; a stdio server takes its settings from its command line")
    if timeout <= 0:
        raise MCPImportError(f"timeout must be a positive number of seconds, got {timeout!r}")
    stdio = argv is not None
    tools: list[dict[str, Any]] = []
    started = False  # the server was spawned (stdio) and initialize answered
    statuses: list[str] = []  # HTTP error statuses seen, for the message
    with tempfile.TemporaryFile() if stdio else _nothing() as errlog, _quiet_sdk_log() as sdk_log:
        try:
            with anyio.fail_after(timeout):
                async with AsyncExitStack() as stack:
                    if argv is not None:
                        params = StdioServerParameters(command=argv[0], args=argv[1:], env=child_environment(env))
                        transport: Any = stdio_client(params, errlog=errlog)  # type: ignore[arg-type]
                    else:
                        assert url is not None
                        http = create_mcp_http_client(headers=dict(headers) if headers else None)
                        http.event_hooks["response"].append(functools.partial(_note_status, statuses))
                        await stack.enter_async_context(http)
                        transport = streamable_http_client(url, http_client=http)
                    client = Client(transport, read_timeout_seconds=timeout, cache=None)
                    try:
                        await stack.enter_async_context(client)
                    except OSError as exc:  # spawning the command failed
                        if stdio:
                            raise _explain(exc, what, stdio=True, timeout=timeout, stderr="", started=False, program=argv[0]) from None
                        raise
                    started = True
                    await _read_all_pages(client, tools, what, max_pages)
        except MCPImportError:
            raise
        except Exception as exc:  # noqa: BLE001 - everything the SDK raises becomes one clear line
            error = _explain(exc, what, stdio=stdio, timeout=timeout, stderr=_stderr_tail(errlog), started=started)
            if sdk_log.stray_lines:
                error = MCPImportError(
                    f"{error} (it wrote {len(sdk_log.stray_lines)} non-MCP lines on stdout, first {sdk_log.stray_lines[0]!r}; "
                    "a stdio server must keep stdout for MCP messages and log to stderr)"
                )
            if statuses and not stdio:
                hint = "; check the credentials sent as headers (--header)" if statuses[-1].startswith(("401", "403")) else ""
                error = MCPImportError(f"{error} (last HTTP error: {statuses[-1]}{hint})")
            raise error from None
    return tools


async def _note_status(statuses: list[str], response: Any) -> None:
    if response.status_code >= 400:
        statuses.append(f"{response.status_code} {response.reason_phrase}".strip())


class _nothing:
    """A context manager that gives None (stands in for the stderr file of a URL)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


async def _read_all_pages(client: Any, tools: list[dict[str, Any]], what: str, max_pages: int) -> None:
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        page = await client.list_tools(cursor=cursor)
        tools.extend(tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in page.tools)
        cursor = page.next_cursor
        if cursor is None:
            return
        if cursor in seen:
            raise MCPImportError(
                f"{what} returned the cursor {cursor[:40]!r} twice while listing tools (a cursor loop after "
                f"{len(tools)} tools); the server's pagination is broken"
            )
        seen.add(cursor)
    raise MCPImportError(
        f"{what} was still paging tools/list after {max_pages} pages ({len(tools)} tools); "
        "its pagination does not end"
    )


def import_server(
    *,
    command: str | None = None,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    strict: bool = False,
) -> ImportResult:
    """Read a server's tools into ToolSpecs, collecting tools that cannot be converted as problems.

    Each spec's ``source`` is ``mcp:<command or url>`` (unless the server's own ``_meta``
    names one) and its ``origin`` is ``<source>#<index>``. With ``strict=True`` the first
    tool that cannot be converted raises its CatalogLineError. Call it outside an event
    loop (it runs one); inside one, await ``read_server_tools`` and convert.
    """
    tools = anyio.run(functools.partial(read_server_tools, command=command, url=url, headers=headers, env=env, timeout=timeout))
    label = server_label(command=command, url=url)
    result = ImportResult()
    result.formats.add("mcp")
    for index, tool in enumerate(tools):
        try:
            spec = spec_from_mcp(tool, origin=f"{label}#{index}")
        except GTMError as exc:
            error = CatalogLineError(label, index, f"tools[{index}] {exc}")
            if strict:
                raise error from None
            result.problems.append(error)
            continue
        if spec.source is None:
            spec.source = label
        result.specs.append(spec)
    return result


def read_server_specs(
    *,
    command: str | None = None,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    strict: bool = False,
) -> list[ToolSpec]:
    """The server's tools as ToolSpecs (see ``import_server``; unconvertible tools are skipped unless strict)."""
    return import_server(command=command, url=url, headers=headers, env=env, timeout=timeout, strict=strict).specs

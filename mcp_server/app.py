"""GTMServer: the MCP face of a Simulator, built on the SDK's low-level ``Server``.

``tools/list`` pages the selected catalog tools (or the meta-tools); ``tools/call``
runs the Simulator. Every problem with a call — bad arguments, an unknown tool, arguments
over the size limit, an engine failure — comes back as a ``CallToolResult`` with
``is_error=True`` and the error as text, never as a protocol error, so an agent can read it
and correct itself. Results carry ``_meta`` with ``gtm/episode``, ``gtm/engine``,
``gtm/cached`` and, for errors, ``gtm/error_kind``.

Reloading swaps in a new Simulator that shares the old one's engine, cache, faults and
episodes (so running episodes keep their worlds), then tells clients the list changed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server import Server
from mcp.server.context import CallNext, HandlerResult
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.models import InitializationOptions
from mcp.shared.exceptions import MCPError
from mcp_types import methods as _methods

from gtm_core import Catalog, GTMError, Simulator, ToolResult, ToolSpec
from gtm_core.episodes import EpisodeExpiredError

from . import meta
from .defaults import DEFAULT_FIRST_PAGE_SIZE, DEFAULT_MAX_ARGUMENT_BYTES, DEFAULT_PAGE_SIZE
from .episodes import (
    EXPLICIT_SOURCES,
    SESSION_EPISODE_PREFIX,
    SESSION_HEADER,
    EpisodeHandle,
    InvalidEpisodeError,
    hidden_context,
    request_headers,
    resolve_episode,
)
from .notify import ListChangedNotifier
from .reload import CatalogWatcher
from .tools import InvalidCursorError, Selection, ToolListing

__all__ = ["DEFAULT_MAX_ARGUMENT_BYTES", "GTMServer", "IncomingCall", "NoToolsError", "call_result"]

logger = logging.getLogger(__name__)

SERVER_NAME = "gtm"
INSTRUCTIONS = (
    "Every tool here is simulated by a Generalist Tool Model from its specification. Calls that "
    "share an episode share a world: pass _meta {\"gtm/episode\": ID} (or the X-GTM-Episode header) "
    "to keep rollouts apart."
)

MISSING_EPISODE = (
    "this server requires an explicit episode (--require-episode): pass _meta {\"gtm/episode\": ID}, "
    "post to /mcp/episodes/ID (or /mcp?episode=ID), or send the X-GTM-Episode header"
)


_NOT_AN_OBJECT: ContextVar[tuple[Any, ...]] = ContextVar("gtm_non_object_arguments", default=())
"""The ``arguments`` of the tools/call being handled when they are no JSON object (see ``_non_object_arguments``)."""


class NoToolsError(GTMError):
    """A selection (--field, --tools) that leaves no tool to serve."""


def _version() -> str:
    try:
        return metadata.version("gtm-toolkit")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        return "0.0.0"


def _has_output_schema(spec: ToolSpec) -> bool:
    schema = spec.response_schema
    return schema is not None and schema.get("type") == "object"


class _Server(Server[Any]):
    """The low-level Server, advertising ``tools.listChanged`` in the handshake era.

    (In the 2026-07-28 era the SDK derives listChanged from ``subscriptions/listen`` being
    served, which it is.)
    """

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True), experimental_capabilities, extensions
        )


@dataclass(frozen=True)
class _State:
    """What a reload replaces, swapped in one assignment."""

    simulator: Simulator
    selection: Selection
    listing: ToolListing


@dataclass(frozen=True)
class IncomingCall:
    """One call of a served tool as the server received it, with the server's state at its start.

    ``name`` is the name the client used; ``meta`` the request's ``_meta`` (empty when none);
    ``simulator`` and ``selection`` stay those of the call's start even if a reload swaps them.
    """

    name: str
    arguments: Any
    episode: EpisodeHandle
    meta: Mapping[str, Any]
    simulator: Simulator
    selection: Selection


class GTMServer:
    """An MCP server whose tools are simulated.

    ``simulator`` is a Simulator, or a Catalog (the shipped one when None) to build one
    with ``engine``, ``seed``, ``cache`` and ``faults``. ``field`` and ``tools`` (name globs)
    select what is exposed; ``meta_tools`` exposes ``search_tools`` and ``call_tool``
    instead. ``catalog_paths`` are the files a reload reads; ``reload_interval`` (seconds,
    0 = off) polls them while the server runs. ``require_episode`` refuses calls that name no
    episode (in ``_meta``, the URL or the X-GTM-Episode header) instead of giving them the
    session's or the process's. The SDK server is ``self.server``.
    """

    def __init__(
        self,
        simulator: Simulator | Catalog | None = None,
        *,
        engine: str = "schema",
        seed: int = 0,
        cache: str | os.PathLike[str] | None = None,
        faults: float | None = None,
        field: str | None = None,
        tools: Sequence[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        first_page_size: int = DEFAULT_FIRST_PAGE_SIZE,
        meta_tools: bool = False,
        max_argument_bytes: int = DEFAULT_MAX_ARGUMENT_BYTES,
        catalog_paths: Sequence[str | os.PathLike[str]] = (),
        reload_interval: float = 0.0,
        require_episode: bool = False,
        name: str = SERVER_NAME,
    ) -> None:
        if max_argument_bytes < 1:
            raise ValueError(f"max_argument_bytes must be at least 1, got {max_argument_bytes}")
        if reload_interval < 0:
            raise ValueError(f"reload_interval must be 0 (off) or positive seconds, got {reload_interval}")
        if not isinstance(simulator, Simulator):
            simulator = Simulator(simulator, engine=engine, seed=seed, cache=cache, faults=faults or None)
        self.field = field
        self.tools = list(tools or [])
        self.page_size = page_size
        self.first_page_size = first_page_size
        self.meta_tools = meta_tools
        self.max_argument_bytes = max_argument_bytes
        self.reload_interval = reload_interval
        self.require_episode = require_episode
        self.watcher = CatalogWatcher(list(catalog_paths)) if catalog_paths else None
        self.process_episode = f"process:{uuid.uuid4().hex[:12]}"
        self.notifier = ListChangedNotifier()
        self._state = self._prepare(simulator, simulator.catalog)
        self._reload_lock = anyio.Lock()
        self._watching = False
        self.server = _Server(
            name,
            version=_version(),
            instructions=INSTRUCTIONS,
            lifespan=self._lifespan,
            get_tool_input_schema=self.input_schema,
            on_list_tools=self._list_tools,  # type: ignore[arg-type]  # a dict page, validated by the SDK per version
            on_call_tool=self._call_tool,
            on_subscriptions_listen=self.notifier.listen_handler,
        )
        self.server.add_notification_handler("notifications/initialized", types.NotificationParams, self._on_initialized)
        self.server.middleware.append(self._list_cache)
        self.server.middleware.append(self._non_object_arguments)

    def __repr__(self) -> str:
        mode = "meta-tools" if self.meta_tools else f"{len(self.listing)} tools"
        return f"GTMServer({mode} of {len(self.selection)} selected, engine={self.simulator.engine.name!r})"

    def close(self) -> None:
        """End open listen streams and close the Simulator (its engine and cache)."""
        self.notifier.close()
        self.simulator.close()

    # ---- state ---------------------------------------------------------------------------
    @property
    def simulator(self) -> Simulator:
        return self._state.simulator

    @property
    def selection(self) -> Selection:
        return self._state.selection

    @property
    def listing(self) -> ToolListing:
        return self._state.listing

    def _prepare(self, base: Simulator, catalog: Catalog) -> _State:
        selection = Selection.build(catalog, field=self.field, tools=self.tools)
        if not len(selection):
            raise NoToolsError(self._empty_reason(catalog))
        if base.catalog is catalog:
            simulator = base
        else:  # a new Simulator (fresh memos) around the same engine, cache, faults and episodes
            simulator = Simulator(catalog, engine=base.engine, cache=base.cache, seed=base.seed, faults=base.faults, check=base.check)
            simulator.episodes = base.episodes
        if self.meta_tools:
            wire = [_meta_wire(spec) for spec in meta.META_TOOLS.values()]
        else:
            wire = self.wire_tools(selection)
        listing = ToolListing(wire, page_size=self.page_size, first_page_size=self.first_page_size)
        return _State(simulator, selection, listing)

    def wire_tools(self, selection: Selection) -> list[dict[str, Any]]:
        """The ``tools/list`` entries of a selection (a hook: the proxy lists its upstreams' own entries)."""
        return selection.wire_tools()

    def _empty_reason(self, catalog: Catalog) -> str:
        if not len(catalog):
            return "the catalog holds no tools"
        parts = []
        if self.field is not None:
            fields = sorted({s.field for s in catalog if s.field})
            in_field = [s for s in catalog if (s.field or "").lower() == self.field.lower()]
            if not in_field:
                shown = ", ".join(repr(f) for f in fields[:12]) + (", ..." if len(fields) > 12 else "")
                return f"no tool of the catalog is in field {self.field!r}; fields: {shown or '(none)'}"
            parts.append(f"field {self.field!r}")
        if self.tools:
            parts.append(f"--tools {' '.join(self.tools)}")
        return f"no tool of the catalog matches {' and '.join(parts)}"

    # ---- reload --------------------------------------------------------------------------
    async def reload(self, catalog: Catalog | None = None) -> bool:
        """Load the catalog again (or install ``catalog``), then notify clients.

        Returns False, keeping the current tools, when the files cannot be read or the
        selection would be empty.
        """
        async with self._reload_lock:
            if catalog is None:
                if self.watcher is None:
                    raise ValueError("this server was built without catalog_paths, so there is nothing to reload from")
                catalog = await anyio.to_thread.run_sync(self.watcher.load)
                if catalog is None:
                    return False
            try:
                state = await anyio.to_thread.run_sync(self._prepare, self.simulator, catalog)
            except NoToolsError as exc:
                logger.error("catalog reload ignored, keeping the tools loaded before: %s", exc)
                return False
            self._state = state
            logger.info("reloaded the catalog: %d tools exposed", len(state.selection))
        await self.notifier.tools_changed()
        return True

    async def reload_if_changed(self) -> bool:
        """Reload when a catalog file changed since the last load; whether it reloaded."""
        if self.watcher is None or not await anyio.to_thread.run_sync(self.watcher.changed):
            return False
        return await self.reload()

    async def watch(self, interval: float) -> None:
        """Poll the catalog files every ``interval`` seconds, reloading on change (runs until cancelled)."""
        while True:
            await anyio.sleep(interval)
            try:
                await self.reload_if_changed()
            except Exception:  # the watcher must outlive one bad reload
                logger.exception("catalog reload failed")

    async def watch_sighup(self) -> None:
        """Reload on every SIGHUP (runs until cancelled; main thread, POSIX only)."""
        with anyio.open_signal_receiver(signal.SIGHUP) as signals:
            async for _ in signals:
                logger.info("SIGHUP: reloading the catalog")
                try:
                    await self.reload()
                except Exception:
                    logger.exception("catalog reload failed")

    @asynccontextmanager
    async def _lifespan(self, server: Server[Any]) -> AsyncIterator[dict[str, Any]]:
        start = self.reload_interval > 0 and self.watcher is not None and not self._watching
        if not start:
            yield {}
            return
        self._watching = True
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self.watch, self.reload_interval)
                try:
                    yield {}
                finally:
                    tg.cancel_scope.cancel()
        finally:
            self._watching = False

    # ---- handlers ------------------------------------------------------------------------
    def input_schema(self, name: str) -> Mapping[str, Any] | None:
        """The input schema of a listed tool (the SDK checks ``Mcp-Param-*`` headers with it)."""
        return self.listing.input_schema(name)

    async def _on_initialized(self, ctx: Any, params: types.NotificationParams) -> None:
        # A handshake-era connection: remember it for list_changed, and when it was an HTTP
        # session, free the session's episode when the session ends.
        headers = request_headers(ctx)
        session_id = headers.get(SESSION_HEADER) if headers is not None else None
        episode = f"{SESSION_EPISODE_PREFIX}{session_id}" if session_id else None
        self.notifier.register(ctx.session, on_close=(lambda: self.simulator.close_episode(episode)) if episode else None)

    async def _list_cache(self, ctx: Any, call_next: CallNext) -> HandlerResult:
        """Serve repeated HTTP ``tools/list`` pages from their finished wire form.

        The SDK validates every page against the negotiated version's schema and dumps it
        again on each request (about half the server's time on a listing of 10,000 tools).
        The pages of a listing never change, so the first answer for (cursor, version) is
        kept on the listing (a reload builds a new one) and reused. Only for HTTP (the body
        is serialized, so no client shares the cached objects), only after the request
        passes the SDK's params validation, and only for a connection past the handshake
        gate (client info present); anything else takes the full path.
        """
        if ctx.method != "tools/list" or ctx.request is None or ctx.request_id is None:
            return await call_next(ctx)
        params = ctx.params
        cursor = params.get("cursor") if params is not None else None
        version = ctx.protocol_version
        if (cursor is not None and not isinstance(cursor, str)) or ctx.session.client_params is None:
            return await call_next(ctx)
        listing = self.listing
        key = (cursor, version)
        hit = listing.wire_cache.get(key)
        if hit is not None:
            try:
                _methods.validate_client_request("tools/list", version, params)
                types.PaginatedRequestParams.model_validate({} if params is None else params, by_name=False)
            except Exception:  # let the SDK answer exactly as it does uncached
                return await call_next(ctx)
            meta_ = hit.get("_meta")
            return {**hit, "_meta": dict(meta_)} if isinstance(meta_, dict) else dict(hit)
        result = await call_next(ctx)
        if isinstance(result, dict) and self.listing is listing:
            listing.remember(key, result)
        return result

    async def _non_object_arguments(self, ctx: Any, call_next: CallNext) -> HandlerResult:
        """Let ``tools/call`` arguments that are no object (a string, an array, a number) reach the tool.

        The SDK would refuse them with a bare -32602 before any handler runs; here they are
        set aside, the request goes on with ``{}``, and ``_call_tool`` hands the original
        value to the Simulator, which answers with the tool's own ``arguments_not_object``
        error result saying what to send.
        """
        params = ctx.params
        if ctx.method != "tools/call" or not isinstance(params, Mapping):
            return await call_next(ctx)
        arguments = params.get("arguments")
        if arguments is None or isinstance(arguments, Mapping):
            return await call_next(ctx)
        token = _NOT_AN_OBJECT.set((arguments,))
        try:
            return await call_next(dataclasses.replace(ctx, params={**params, "arguments": {}}))
        finally:
            _NOT_AN_OBJECT.reset(token)

    async def _list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None) -> dict[str, Any]:
        try:
            page = self.listing.page(params.cursor if params is not None else None)
        except InvalidCursorError as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        # A dict, not a ListToolsResult: the tools are wire dicts built once; the SDK validates
        # the page against the negotiated version (the legacy surface drops the 2026 fields).
        result: dict[str, Any] = {"tools": page.tools, "resultType": "complete", "ttlMs": 0, "cacheScope": "private"}
        if page.next_cursor is not None:
            result["nextCursor"] = page.next_cursor
        return result

    async def _call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        state = self._state  # one reload-consistent view for the whole call
        try:
            episode = resolve_episode(ctx, process_episode=self.process_episode)
            context = hidden_context(ctx)
        except InvalidEpisodeError as exc:
            return call_result(state.simulator.refuse(params.name, "invalid_episode", 400, "INVALID_ARGUMENT", str(exc)))
        if self.require_episode and episode.source not in EXPLICIT_SOURCES:
            return call_result(state.simulator.refuse(params.name, "missing_episode", 400, "INVALID_ARGUMENT", MISSING_EPISODE))
        if context is not None:
            try:
                state.simulator.episode(episode.id, hidden_context=context)
            except EpisodeExpiredError:
                pass  # the call itself answers episode_expired
        arguments: Any = params.arguments if params.arguments is not None else {}
        set_aside = _NOT_AN_OBJECT.get()
        if set_aside:
            arguments = set_aside[0]
        request_meta = getattr(ctx, "meta", None)
        call = IncomingCall(params.name, arguments, episode, request_meta if isinstance(request_meta, Mapping) else {}, state.simulator, state.selection)
        too_large = self._too_large(call)  # once: call_tool's inner arguments are inside these
        if too_large is not None:
            return too_large
        if self.meta_tools:
            return await self._call_meta(call)
        if call.name == meta.EPISODE_SNAPSHOT.name and call.selection.resolve(call.name) is None:
            return self._episode_snapshot(call)
        return await self.answer(call)

    def _episode_snapshot(self, call: IncomingCall) -> types.CallToolResult:
        """The ``episode_snapshot`` meta-tool: the calling episode's world and its diff since opening."""
        refused = call.simulator.check_call(meta.EPISODE_SNAPSHOT, call.arguments, episode=call.episode.id)
        if refused is not None:
            return call_result(refused)
        try:
            world = meta.episode_world(call.simulator, call.episode.id)
        except EpisodeExpiredError as exc:
            return self.refuse(call, "episode_expired", 410, "EPISODE_EXPIRED", str(exc))
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(world, ensure_ascii=False))],
            structured_content=world,
            _meta={"gtm/episode": call.episode.id},
        )

    async def answer(self, call: IncomingCall) -> types.CallToolResult:
        """Answer a call of a served tool (a hook: the default simulates it; the proxy routes it)."""
        return await self.simulate(call)

    async def simulate(self, call: IncomingCall) -> types.CallToolResult:
        """Simulate a call in its episode; an unknown name gets the Simulator's error with the closest names."""
        simulator = call.simulator
        resolved = call.selection.resolve(call.name)
        if resolved is None:
            suggestions = await anyio.to_thread.run_sync(call.selection.closest, call.name)
            return call_result(simulator.unknown_tool(call.name, suggestions, episode=call.episode.id))
        _, spec = resolved
        try:
            result = await simulator.asimulate(spec.name, call.arguments, episode=call.episode.id)
        except Exception as exc:  # a bug below must reach the agent as a readable error, not -32603
            logger.exception("simulating %s failed", spec.name)
            message = f"the simulator failed on {call.name}: {type(exc).__name__}: {exc}"
            return self.refuse(call, "internal_error", 500, "INTERNAL", message)
        return call_result(result, structured=_has_output_schema(spec))

    def refuse(self, call: IncomingCall, kind: str, code: int, status: str, message: str) -> types.CallToolResult:
        """An error result for a call that was not simulated (its body built by the Simulator, like every error body)."""
        return call_result(call.simulator.refuse(call.name, kind, code, status, message, episode=call.episode.id))

    async def _call_meta(self, call: IncomingCall) -> types.CallToolResult:
        simulator, name, arguments, episode = call.simulator, call.name, call.arguments, call.episode
        spec = meta.META_TOOLS.get(name)
        if spec is None:
            return call_result(simulator.unknown_tool(name, [n for n in meta.META_TOOLS if n != name], episode=episode.id))
        refused = simulator.check_call(spec, arguments, episode=episode.id)
        if refused is not None:
            return call_result(refused)
        if spec is meta.EPISODE_SNAPSHOT:
            return self._episode_snapshot(call)
        if spec is meta.SEARCH_TOOLS:
            # A keyword search over every tool takes ~0.2 s for 10,000 tools: off the event loop.
            limit = arguments.get("limit", meta.DEFAULT_SEARCH_LIMIT)
            found = await anyio.to_thread.run_sync(lambda: meta.search(call.selection, arguments["query"], field=arguments.get("field"), limit=limit))
            text = json.dumps(found, ensure_ascii=False)
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=text)],
                structured_content=found,
                _meta={"gtm/episode": episode.id},
            )
        inner = dataclasses.replace(call, name=arguments["name"], arguments=arguments.get("arguments", {}))
        return await self.answer(inner)

    def _too_large(self, call: IncomingCall) -> types.CallToolResult | None:
        try:  # a lone surrogate counts as its 3 bytes here; the checks answer it as an invalid value
            size = len(json.dumps(call.arguments, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
        except (ValueError, RecursionError):  # nested too deeply to measure: the checks answer it
            return None
        if size <= self.max_argument_bytes:
            return None
        message = f"the arguments are {size} bytes as JSON, over this server's limit of {self.max_argument_bytes} bytes (--max-argument-bytes)"
        return self.refuse(call, "arguments_too_large", 413, "PAYLOAD_TOO_LARGE", message)


# ---- results ---------------------------------------------------------------------------------
def _meta_wire(spec: ToolSpec) -> dict[str, Any]:
    tool: dict[str, Any] = {"name": spec.name, "description": spec.description, "inputSchema": spec.input_schema}
    if _has_output_schema(spec):
        tool["outputSchema"] = spec.response_schema
    return tool


def call_result(result: ToolResult, *, structured: bool = False) -> types.CallToolResult:
    """The MCP form of a ToolResult: text always, structured content for a schema'd object answer (``structured``)."""
    content: Any = None
    if structured and not result.is_error and isinstance(result.structured, dict):
        content = result.structured
    result_meta: dict[str, Any] = {"gtm/engine": result.engine, "gtm/cached": result.cached}
    if result.episode:
        result_meta["gtm/episode"] = result.episode
    if result.error_kind is not None:
        result_meta["gtm/error_kind"] = result.error_kind
    if result.fallback is not None:
        result_meta["gtm/fallback"] = result.fallback
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=result.content)],
        structured_content=content,
        is_error=result.is_error,
        _meta=result_meta,
    )

"""The proxy: real MCP servers behind a GTM server, each call routed by a policy.

``ProxyServer`` is a GTMServer whose catalog is the tools of its upstream servers (read from
their ``tools/list``; the simulated side plays each tool from the upstream's own schemas) and
whose ``tools/list`` advertises those tools as the upstreams wrote them. A tool name that
two upstreams share is exposed as ``<server>__<tool>`` for both (``memory__read_graph``).
Each call is routed by its policy (``mcp_server.policy``):

- ``sim`` simulates (in the call's episode, like any GTM call);
- ``real`` forwards; an upstream that gives no answer yields an error result
  (``gtm/error_kind`` ``upstream_unavailable``, ``upstream_crashed``, ``upstream_timeout`` or
  ``upstream_protocol``), never a hang;
- ``warmup:N`` simulates, then forwards once the count is reached;
- ``fallback`` forwards and, when no answer comes, simulates, with ``gtm/fallback`` naming why;
- ``shadow`` forwards and, in parallel, simulates the same call on a copy of the episode;
  it returns the real answer once both are in and records both (``gtm/shadow`` holds how
  they agree).

Only answers count as real: ``fallback`` does not replace the real tool's own error results
or a live server's JSON-RPC errors, and no call is retried (a call that was sent may have
had its effect). Real answers join the episode's history, so later simulated calls see
them; with a ``Recorder`` each real answer is also written as a training record, in the
recorder's thread after the answer went out. Results carry ``gtm/source`` ("simulated" or
"real"), ``gtm/policy`` and, for real ones, ``gtm/upstream`` (the server's short name) and
``gtm/latency_ms``. A request may give its training step as ``_meta["gtm/step"]`` for
``warmup:N/step``.

    async with open_proxy([UpstreamTarget(command="mcp-server-memory")], policies="warmup:10") as proxy:
        async with Client(proxy.server) as client:
            await client.call_tool("read_graph", {})
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import mcp_types as types

from gtm_core import Catalog, GTMError, Simulator, ToolResult, ToolSpec
from gtm_core.convert import spec_from_mcp
from gtm_core.engines.base import Engine
from gtm_core.episodes import EpisodeLimits
from gtm_core.generation import HistoryItem

from .app import GTMServer, IncomingCall
from .policy import CallCounter, Policy, PolicyFile, PolicyTable, choose, parse_step
from .recording import Recorder, call_record
from .report import compare
from .tools import MAX_NAME_LENGTH, Selection, legal_name
from .upstream import Upstream, UpstreamError, UpstreamTarget

__all__ = ["STEP_META_KEY", "ProxyServer", "Route", "open_proxy"]

logger = logging.getLogger(__name__)

STEP_META_KEY = "gtm/step"
PREFIX_SEPARATOR = "__"
INSTRUCTIONS = (
    "These tools belong to real MCP servers behind a GTM proxy: each call is answered by the real tool or "
    "simulated by a Generalist Tool Model, as the proxy's policy says (see _meta gtm/source). Pass _meta "
    '{"gtm/episode": ID} to keep rollouts apart.'
)

@dataclass(frozen=True)
class Route:
    """Where an exposed tool really lives: its upstream and its name there."""

    upstream: Upstream
    tool: str
    wire: dict[str, Any]


def exposed_names(upstreams: Sequence[Upstream]) -> list[tuple[str, Upstream, dict[str, Any]]]:
    """(exposed name, upstream, tools/list entry) for every upstream tool, clashing names prefixed."""
    owners: dict[str, set[int]] = {}
    for index, upstream in enumerate(upstreams):
        for tool in upstream.tools:
            owners.setdefault(tool["name"], set()).add(index)
    keys = _unique_keys(upstreams)
    out = []
    for index, upstream in enumerate(upstreams):
        for tool in upstream.tools:
            name = tool["name"]
            if len(owners[name]) > 1:
                name = f"{keys[index]}{PREFIX_SEPARATOR}{name}"
                if len(name) > MAX_NAME_LENGTH:
                    name = legal_name(name)
            out.append((name, upstream, tool))
    return out


def _unique_keys(upstreams: Sequence[Upstream]) -> list[str]:
    keys: list[str] = []
    for upstream in upstreams:
        key, n = upstream.target.key, 2
        while key in keys:
            key, n = f"{upstream.target.key}{n}", n + 1
        keys.append(key)
    return keys


def _blocks_text(result: types.CallToolResult) -> str:
    """The text an agent reads from a result: text blocks as they are, other blocks described."""
    parts = []
    for block in result.content:
        data = block.model_dump(mode="json", by_alias=True, exclude_none=True)
        kind = data.get("type")
        if kind == "text":
            parts.append(data.get("text", ""))
        elif kind in ("image", "audio"):
            parts.append(f"[{kind} {data.get('mimeType', '')}, {len(data.get('data', ''))} characters of base64]")
        elif kind == "resource":
            resource = data.get("resource", {})
            parts.append(resource.get("text") if isinstance(resource.get("text"), str) else f"[resource {resource.get('uri', '')}]")
        elif kind == "resource_link":
            parts.append(f"[resource link {data.get('uri', '')}]")
        else:
            parts.append(json.dumps(data, ensure_ascii=False))
    return "\n".join(parts)


def answer_of(result: types.CallToolResult) -> tuple[str, Any]:
    """(text, value) of a real result: the value is its structured content, else its text as JSON, else the text."""
    text = _blocks_text(result)
    if result.structured_content is not None:
        return text, result.structured_content
    try:
        return text, json.loads(text)
    except json.JSONDecodeError:
        return text, text


class ProxyServer(GTMServer):
    """A GTMServer in front of real MCP servers (see the module docstring).

    ``upstreams`` are open ``Upstream`` sessions. ``policies`` is a PolicyTable, a sequence of
    ``POLICY``/``GLOB=POLICY`` strings, or one such string; ``policy_file`` (a PolicyFile) lays
    its rules over them and is read again when it changes. ``recorder`` receives a training
    record for every real answer. ``engine``, ``seed``, ``cache`` and ``faults`` set up the
    simulated side (with ``episode_limits``); the other keyword arguments are GTMServer's.
    """

    def __init__(
        self,
        upstreams: Sequence[Upstream],
        *,
        policies: PolicyTable | Sequence[str] | str = (),
        policy_file: PolicyFile | None = None,
        recorder: Recorder | None = None,
        engine: Engine | str = "schema",
        seed: int = 0,
        cache: Any = None,
        episodes: Any = None,
        faults: float | None = None,
        episode_limits: EpisodeLimits | None = None,
        **options: Any,
    ) -> None:
        if not upstreams:
            raise ValueError("a ProxyServer needs at least one upstream server")
        self.upstreams = list(upstreams)
        self.routes: dict[str, Route] = {}
        specs = []
        for name, upstream, tool in exposed_names(self.upstreams):
            wire = {**tool, "name": name}
            try:
                spec = spec_from_mcp(wire, origin=f"mcp:{upstream.target.key}:{tool['name']}")
            except GTMError as exc:
                logger.warning("not exposing %s of %s: %s", tool["name"], upstream.label, exc)
                continue
            spec.source = spec.source or f"mcp:{upstream.target.key}"
            specs.append(spec)
            self.routes[name] = Route(upstream, tool["name"], wire)
        self.counter = CallCounter()
        self.policy_file = policy_file
        self._policies = _as_table(policies)
        if policy_file is not None:
            policy_file.base = self._policies
            policy_file.refresh(force=True)
        self.recorder = recorder
        simulator = Simulator(Catalog(specs), engine=engine, seed=seed, cache=cache, episodes=episodes, faults=faults or None, episode_limits=episode_limits)
        super().__init__(simulator, **options)
        self.server.instructions = INSTRUCTIONS

    def close(self) -> None:
        """Close the simulator; wait until the recorder has written every submitted record."""
        if self.recorder is not None:
            self.recorder.drain()
        super().close()

    def __repr__(self) -> str:
        return f"ProxyServer({len(self.routes)} tools of {len(self.upstreams)} upstreams, policies {self.policies})"

    # ---- policies ------------------------------------------------------------------------
    @property
    def policies(self) -> PolicyTable:
        """The policies in force now (the policy file's, read again when it changed, over the given ones)."""
        if self.policy_file is None:
            return self._policies
        self.policy_file.refresh()
        return self.policy_file.table

    def set_policies(self, policies: PolicyTable | Sequence[str] | str) -> None:
        """Replace the given policies while the server runs (a policy file's rules still come first)."""
        self._policies = _as_table(policies)
        if self.policy_file is not None:
            self.policy_file.base = self._policies
            self.policy_file.refresh(force=True)
        logger.info("policies now: %s", self.policies)

    def policy_of(self, name: str) -> Policy:
        """The policy of an exposed tool now."""
        route = self.routes.get(name)
        return self.policies.policy_for(name, *([route.tool] if route else []))

    async def watch_sighup(self) -> None:
        """Read the policy file again on every SIGHUP (runs until cancelled)."""
        import signal

        with anyio.open_signal_receiver(signal.SIGHUP) as signals:
            async for _ in signals:
                if self.policy_file is not None:
                    logger.info("SIGHUP: reading the policy file %s again", self.policy_file.path)
                    self.policy_file.refresh(force=True)

    # ---- listing -------------------------------------------------------------------------
    def wire_tools(self, selection: Selection) -> list[dict[str, Any]]:
        """The upstreams' own ``tools/list`` entries, under the exposed names."""
        return [{**self.routes[spec.name].wire, "name": name} for name, spec in selection.names.items()]

    # ---- calls ---------------------------------------------------------------------------
    async def answer(self, call: IncomingCall) -> types.CallToolResult:
        """Route a call by its tool's policy: simulate it, forward it, or both."""
        resolved = call.selection.resolve(call.name)
        route = self.routes.get(resolved[1].name) if resolved is not None else None
        if resolved is None or route is None:
            return await self.simulate(call)
        exposed, spec = resolved
        policy = self.policies.policy_for(exposed, route.tool)
        before_tool, before_episode = self.counter.count(spec.name, call.episode.id)
        decision = choose(policy, before_tool=before_tool, before_episode=before_episode, step=parse_step(call.meta.get(STEP_META_KEY)))
        if decision == "sim":
            return _tagged(await self.simulate(call), source="simulated", policy=policy)
        return await self._forward(call, route, spec, policy, decision)

    async def _forward(self, call: IncomingCall, route: Route, spec: ToolSpec, policy: Policy, decision: str) -> types.CallToolResult:
        simulator, name, arguments, episode = call.simulator, call.name, call.arguments, call.episode
        history, hidden = simulator.episode(episode.id).context()
        simulated: ToolResult | None = None
        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            if decision == "shadow":
                scratch = simulator.fork_episode(episode.id, f"gtm-shadow:{uuid.uuid4().hex}").id  # before the real call changes anything

                async def shadow() -> None:
                    nonlocal simulated
                    simulated = await self._simulate_aside(simulator, spec, arguments, scratch)

                tg.start_soon(shadow)
            try:
                result = await route.upstream.call(route.tool, arguments if isinstance(arguments, Mapping) else {})
                failure: UpstreamError | None = None
            except UpstreamError as exc:
                result, failure = None, exc
            latency_ms = (time.perf_counter() - started) * 1000.0
        if failure is not None:
            logger.warning("%s (%s): %s", name, decision, failure)
            if decision == "fallback":
                fallback = await self.simulate(call)
                return _tagged(fallback, source="simulated", policy=policy, fallback=failure.kind, upstream_error=str(failure))
            code, status = (504 if failure.kind == "timeout" else 502), "UPSTREAM_" + failure.kind.upper()
            error = self.refuse(call, f"upstream_{failure.kind}", code, status, str(failure))
            return _tagged(error, source="real", policy=policy, upstream=route.upstream.target.key)
        assert result is not None
        text, value = answer_of(result)
        simulator.record_external(episode.id, spec.name, arguments if isinstance(arguments, Mapping) else {}, value, is_error=bool(result.is_error), size=len(text))
        extra: dict[str, Any] = {}
        if simulated is not None:
            agreement = compare(text, bool(result.is_error), simulated.content, simulated.is_error)
            extra["shadow"] = agreement.to_dict()
            logger.debug("shadow %s: %s", name, agreement)
        if self.recorder is not None:
            self._record(spec, route, name, arguments, value, result, history, hidden, policy, decision, episode.id, latency_ms, simulated)
        return _tagged(result, source="real", policy=policy, upstream=route.upstream.target.key, latency_ms=round(latency_ms, 3), episode=episode.id, **extra)

    async def _simulate_aside(self, simulator: Simulator, spec: ToolSpec, arguments: Any, scratch: str) -> ToolResult | None:
        """Simulate a call in a fork of its episode that is thrown away after."""
        try:
            return await simulator.asimulate(spec.name, arguments, episode=scratch)
        except Exception:  # a shadow simulation must never disturb the real call
            logger.exception("shadow simulation of %s failed", spec.name)
            return None
        finally:
            simulator.close_episode(scratch)

    def _record(
        self, spec: ToolSpec, route: Route, name: str, arguments: Any, value: Any, result: types.CallToolResult,
        history: tuple[HistoryItem, ...], hidden: Mapping[str, Any] | None, policy: Policy, decision: str,
        episode: str, latency_ms: float, simulated: ToolResult | None,
    ) -> None:  # fmt: skip
        recorder = self.recorder
        assert recorder is not None
        if isinstance(value, str) and not value.strip():
            logger.info("the empty answer of %s is not recorded: a training example needs an answer to learn", name)
            return
        extra: dict[str, Any] = {
            "server": route.upstream.target.key,
            "exposed_name": name,
            "policy": str(policy),
            "route": decision,
            "episode": episode,
            "latency_ms": round(latency_ms, 3),
        }
        if simulated is not None:
            extra["simulated"] = {"content": simulated.content, "is_error": simulated.is_error, "engine": simulated.engine}

        def make() -> dict[str, Any]:  # in the recorder's thread: the prompt is built off the event loop
            return call_record(
                _named(spec, route.tool), arguments if isinstance(arguments, Mapping) else {}, value,
                is_error=bool(result.is_error), history=history, hidden_context=hidden, **extra,
            )  # fmt: skip

        try:
            recorder.submit(make)
        except ValueError:  # closed under a late call
            logger.warning("the call of %s was not recorded: %s is closed", name, recorder.path)


def _named(spec: ToolSpec, name: str) -> ToolSpec:
    return spec if spec.name == name else dataclasses.replace(spec, name=name)


def _as_table(policies: PolicyTable | Sequence[str] | str) -> PolicyTable:
    if isinstance(policies, PolicyTable):
        return policies
    if isinstance(policies, str):
        policies = [policies]
    return PolicyTable.parse(policies)


def _tagged(result: types.CallToolResult, **tags: Any) -> types.CallToolResult:
    """The result with ``gtm/<key>`` entries added to its ``_meta``."""
    meta = dict(result.meta or {})
    for key, value in tags.items():
        if value is not None:
            meta[f"gtm/{key}"] = str(value) if isinstance(value, Policy) else value
    return result.model_copy(update={"meta": meta})


@asynccontextmanager
async def open_proxy(
    targets: Iterable[UpstreamTarget | Upstream],
    *,
    call_timeout: float | None = None,
    connect_timeout: float | None = None,
    **options: Any,
) -> AsyncIterator[ProxyServer]:
    """Connect to every target (in order; the first that fails raises UpstreamError), then yield the ProxyServer.

    ``options`` go to ProxyServer. Leaving the block closes the server and the upstream sessions.
    """
    timeouts = {k: v for k, v in (("call_timeout", call_timeout), ("connect_timeout", connect_timeout)) if v is not None}
    async with AsyncExitStack() as stack:
        upstreams = []
        for target in targets:
            upstream = target if isinstance(target, Upstream) else Upstream(target, **timeouts)
            upstreams.append(await stack.enter_async_context(upstream))
            logger.info("upstream %s: %d tools (%s)", upstream.target.key, len(upstream.tools), upstream.label)
        proxy = ProxyServer(upstreams, **options)
        try:
            yield proxy
        finally:
            proxy.close()

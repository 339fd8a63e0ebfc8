"""The Simulator: the path of one call, from a ToolCall to a ToolResult.

    1. resolve the tool in the catalog        unknown tool -> an error result with suggestions
    2. check the arguments                    the four error kinds -> an error result, flagged
    3. the episode's world                    a deleted entity -> not found; inject faults
    4. cache lookup, else engine.generate     batched: one generate call per batch
    5. parse, make consistent with the world, record in the episode and the cache

Calls of a batch are prepared in order, generated together and finished in order, so calls
of one episode inside a batch see each other's effects as if made one after another.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import error_bodies
from .answers import is_error_answer
from .cache import AnswerCache, cache_key, canonical_json
from .catalog import Catalog
from .checks import check_parsed, parse_arguments, primary_kind
from .engines import get_engine
from .engines.base import Engine
from .episodes import Episode, EpisodeExpiredError, EpisodeLimits, EpisodeStore
from .errors import StoreUnavailableError, UnknownEpisodeError, UnknownToolError
from .faults import FaultInjector
from .generation import Answer, GenerationRequest, HistoryItem
from .resources import Operation, ResourceModel, model_for
from .resources import calls as world_calls
from .resources.world import UNKNOWN_KEY_RULES
from .results import ToolCall, ToolResult
from .snapshots import EMPTY_SNAPSHOT, episode_snapshot, snapshot_diff
from .spec import ToolSpec
from .stores import open_cache, open_episode_store
from .stores.shared_episodes import SharedEpisodeStore
from .sync import run_sync

__all__ = ["Simulator"]

logger = logging.getLogger(__name__)

CallLike = ToolCall | Mapping[str, Any] | Sequence[Any]


@dataclass
class _Pending:
    """A call between preparation and finishing."""

    call: ToolCall
    started: float
    episode: Episode  # None only for a call answered before it reached an episode (one that expired)
    spec: ToolSpec | None = None
    arguments: dict[str, Any] | None = None
    operation: Operation | None = None
    request: GenerationRequest | None = None
    key: str | None = None
    text: str | None = None
    cached: bool = False
    answered_by: str | None = None
    fallback: str | None = None
    result: ToolResult | None = None
    call_bytes: int = 0  # the call's canonical JSON size, counted in the episode's history bytes


class Simulator:
    """Simulates the tools of a catalog.

    ``engine`` is an Engine or a registered name ("schema", the default). ``cache`` is an
    AnswerCache, a path to a SQLite file or a ``redis://HOST:PORT/DB`` URL (shared by
    replicas; ``gtm_core.stores.redis_client`` lists its options). A shared cache that does
    not answer makes a call answer a ``store_unavailable`` error result (a put that fails is
    logged and the answer still returned). ``episodes`` is where episodes live: this
    process's memory (the default), ``redis://HOST:PORT/DB`` (shared by replicas) or
    ``sqlite:PATH`` (kept across processes on one machine); ``episode_limits`` bound them.
    ``seed`` makes runs reproducible; ``faults`` is a FaultInjector or a rate of transient
    failures (off by default). ``unknown_keys`` is the world rule for keys an episode never
    made ("auto", "closed" or "open"; see ``gtm_core.resources.world``); an episode may set
    its own.
    """

    def __init__(
        self,
        catalog: Catalog | Iterable[ToolSpec] | str | Path | None = None,
        *,
        engine: Engine | str = "schema",
        cache: AnswerCache | str | os.PathLike[str] | None = None,
        seed: int = 0,
        faults: FaultInjector | float | None = None,
        check: bool = True,
        episode_limits: EpisodeLimits | None = None,
        unknown_keys: str = "auto",
        episodes: EpisodeStore | SharedEpisodeStore | str | None = None,
    ) -> None:
        if unknown_keys not in UNKNOWN_KEY_RULES:
            raise ValueError(f"unknown_keys must be one of {', '.join(UNKNOWN_KEY_RULES)}; got {unknown_keys!r}")
        if catalog is None:
            catalog = Catalog.shipped()
        elif isinstance(catalog, (str, Path)):
            catalog = Catalog.load(catalog)
        elif not isinstance(catalog, Catalog):
            catalog = Catalog(catalog)
        self.catalog = catalog
        self.engine = get_engine(engine) if isinstance(engine, str) else engine
        self.cache = open_cache(cache)
        self.seed = seed
        self.faults = FaultInjector(rate=faults, seed=seed) if isinstance(faults, (int, float)) else faults
        self.check = check
        self.episodes = open_episode_store(episodes, episode_limits)
        self.unknown_keys = unknown_keys
        self._model: tuple[Catalog, int, ResourceModel] | None = None
        self._fingerprints: dict[int, tuple[ToolSpec, str]] = {}
        self._memo_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Simulator({len(self.catalog)} tools, engine={self.engine.name!r}, seed={self.seed})"

    # ---- public API ----------------------------------------------------------------------
    def simulate(self, call: CallLike | str, arguments: Any = None, *, episode: str | None = None) -> ToolResult:
        """Simulate one call: ``simulate(ToolCall(...))`` or ``simulate("tool", {...}, episode="e1")``."""
        return self.simulate_batch([self._as_call(call, arguments, episode)])[0]

    async def asimulate(self, call: CallLike | str, arguments: Any = None, *, episode: str | None = None) -> ToolResult:
        """Simulate one call without blocking the event loop."""
        return (await self.asimulate_batch([self._as_call(call, arguments, episode)]))[0]

    def simulate_batch(self, calls: Iterable[CallLike]) -> list[ToolResult]:
        """Simulate many calls together (one engine batch); results come back in order."""
        pending = self._prepare_all(calls)
        todo = [p for p in pending if p.result is None and p.text is None]
        if todo:
            texts = self._generate_sync(todo)
            self._fill(todo, texts if texts is not None else run_sync(self._generate_async(todo)))
        return self._finish_all(pending)

    async def asimulate_batch(self, calls: Iterable[CallLike]) -> list[ToolResult]:
        """Simulate many calls concurrently (one engine batch); results come back in order.

        With a shared store (Redis), preparing and finishing wait on the network, so they run
        in a worker thread and the event loop keeps serving other calls meanwhile.
        """
        offload = self._uses_network()
        calls = list(calls)
        pending = await asyncio.to_thread(self._prepare_all, calls) if offload else self._prepare_all(calls)
        todo = [p for p in pending if p.result is None and p.text is None]
        if todo:
            self._fill(todo, await self._generate_async(todo))
        return await asyncio.to_thread(self._finish_all, pending) if offload else self._finish_all(pending)

    def _uses_network(self) -> bool:
        return bool(getattr(self.cache, "remote", False) or self.episodes.remote)

    def episode(self, episode_id: str, *, hidden_context: Mapping[str, Any] | None = None,
                seed: Mapping[str, Any] | None = None, unknown_keys: str | None = None) -> Episode:  # fmt: skip
        """The episode with this id (created on first use), optionally setting its hidden context,
        seeding its world (``{resource: [records]}``, or ``hidden_context["gtm/seed"]``; each seed
        once) and its own unknown-key rule.

        Raises EpisodeExpiredError for an episode that was dropped; ``reset_episode`` starts it afresh.
        With a shared store the episode returned is a copy as saved: change it through the Simulator.
        """
        return self.episodes.update(episode_id, functools.partial(self._set_up, seed, unknown_keys), hidden_context=hidden_context)

    def open_episode(self, episode_id: str | None = None, *, seed: Mapping[str, Any] | None = None,
                     hidden_context: Mapping[str, Any] | None = None, unknown_keys: str | None = None) -> Episode:  # fmt: skip
        """Start an episode afresh under ``episode_id`` (a new random id when None), replacing any live one.

        ``seed`` is the world it starts with (``{resource: [records]}``) and ``hidden_context`` the
        task information engines may use; both are kept for ``reset_episode``. ``unknown_keys`` is
        the episode's own unknown-key rule. The world as opened is the baseline of ``episode_diff``.
        """
        episode_id = episode_id or f"ep-{uuid.uuid4().hex}"
        opening = {"seed": copy.deepcopy(dict(seed)) if seed else None, "hidden_context": dict(hidden_context) if hidden_context else None}

        def opened(episode: Episode) -> Episode:
            self._set_up(seed, unknown_keys, episode)
            episode.opening = copy.deepcopy(opening)
            episode.baseline = episode_snapshot(episode)
            return episode

        self.episodes.close(episode_id)
        return self.episodes.update(episode_id, opened, hidden_context=hidden_context)

    def reset_episode(self, episode_id: str, *, seed: Mapping[str, Any] | None = None, hidden_context: Mapping[str, Any] | None = None,
                      unknown_keys: str | None = None) -> Episode:  # fmt: skip
        """Start an episode afresh: no history, the world it was opened with (its seed's records), the same hidden context (unless given anew).

        An expired episode's id may be reset too: it starts with what is given.
        """
        try:
            live = self.episodes.peek(episode_id)
        except EpisodeExpiredError:
            live = None
        opening = live.opening if live is not None else {}
        return self.open_episode(
            episode_id,
            seed=seed if seed is not None else opening.get("seed"),
            hidden_context=hidden_context if hidden_context is not None else opening.get("hidden_context"),
            unknown_keys=unknown_keys,
        )

    def episode_snapshot(self, episode_id: str) -> dict[str, Any]:
        """The live episode's world as JSON (see ``gtm_core.snapshots``).

        UnknownEpisodeError when there is none; EpisodeExpiredError when it was dropped for the limits.
        """
        return episode_snapshot(self._live(episode_id))

    def episode_diff(self, episode_id: str) -> dict[str, list[dict[str, Any]]]:
        """What changed in the episode's world since it was opened (records created, changed, deleted)."""
        episode = self._live(episode_id)
        return snapshot_diff(episode.baseline or EMPTY_SNAPSHOT, episode_snapshot(episode))

    def _live(self, episode_id: str) -> Episode:
        episode = self.episodes.peek(episode_id)
        if episode is None:
            raise UnknownEpisodeError(episode_id)
        return episode

    @property
    def resource_model(self) -> ResourceModel:
        """The catalog's resource model (inferred on first use, again when the catalog changes)."""
        entry = self._model
        if entry is None or entry[0] is not self.catalog or entry[1] != len(self.catalog):
            entry = self._model = (self.catalog, len(self.catalog), model_for(self.catalog))
        return entry[2]

    def _set_up(self, seed: Mapping[str, Any] | None, unknown_keys: str | None, episode: Episode) -> Episode:
        """``episode`` with its own unknown-key rule and its seeds applied (each once); the change a store's ``update`` makes."""
        with episode.lock:
            if unknown_keys is not None:
                if unknown_keys not in UNKNOWN_KEY_RULES:
                    raise ValueError(f"unknown_keys must be one of {', '.join(UNKNOWN_KEY_RULES)}; got {unknown_keys!r}")
                episode.world.unknown_keys = unknown_keys
            for given in (episode.hidden_context.get(world_calls.SEED_CONTEXT_KEY), seed):
                if given is not None and canonical_json(given) not in episode.world.seeds:
                    world_calls.seed_world(episode.world, self.resource_model, given)
                    episode.world.seeds.add(canonical_json(given))
        return episode

    def close_episode(self, episode_id: str) -> bool:
        """Forget an episode and free what it held."""
        return self.episodes.close(episode_id)

    def fork_episode(self, episode_id: str, into: str) -> Episode:
        """A new episode ``into`` that starts as a copy of ``episode_id`` (history, world, hidden context).

        Calls in the fork never reach the original; close the fork when done with it.
        """
        return self.episodes.fork(episode_id, into)

    def record_external(self, episode_id: str, tool: str, arguments: Mapping[str, Any], answer: Any, *, is_error: bool, size: int) -> None:
        """Add a call answered elsewhere (a real tool) to an episode's history, so later simulated calls see it.

        ``size`` is the answer's length in characters, counted against the episode's history bound.
        """
        self.episodes.update(episode_id, lambda episode: episode.record(HistoryItem(tool, dict(arguments), answer, is_error), size))

    # ---- refusals: error results built here, so every error body has one owner -----------
    def unknown_tool(self, name: str, suggestions: Sequence[str] = (), *, episode: str | None = None) -> ToolResult:
        """The error result for a call to a tool that is not served (recorded in the episode like any call)."""
        shown = error_bodies.shown_name(name)  # a 1 MB name is neither echoed nor kept in the episode
        return self._refusal(ToolCall(shown, {}, episode), error_bodies.unknown_tool(name, suggestions), "unknown_tool", record=True)

    def check_call(self, spec: ToolSpec, arguments: Any, *, episode: str | None = None) -> ToolResult | None:
        """The error result when ``arguments`` break ``spec`` (which need not be in the catalog), else None."""
        parsed, problems = parse_arguments(arguments)
        if parsed is not None:
            problems = check_parsed(spec, parsed)
        if not problems:
            return None
        kind = primary_kind(problems)
        body = error_bodies.invalid_arguments(spec.name, problems)
        return self._refusal(ToolCall(spec.name, parsed or {}, episode), body, kind.value if kind is not None else "invalid_value", record=True)

    def refuse(self, tool: str, kind: str, code: int, status: str, message: str, *, episode: str | None = None) -> ToolResult:
        """An error result for a call refused before simulation (too large, a bad episode id, an upstream failure).

        Not recorded in the episode: the call never reached the tool.
        """
        return self._refusal(ToolCall(tool, {}, episode), error_bodies.error_body(kind, code, status, message), kind, record=False)

    def _refusal(self, call: ToolCall, body: dict[str, Any], kind: str, *, record: bool) -> ToolResult:
        if record:
            started = time.perf_counter()
            try:
                return self.episodes.update(call.episode, lambda episode: self._error(_Pending(call, started, episode), body, kind, "checks"))
            except StoreUnavailableError as exc:
                return self._unavailable(_Pending(call, started, None), exc)  # type: ignore[arg-type]
        return ToolResult(
            content=json.dumps(body, ensure_ascii=False), structured=body, is_error=True, error_kind=kind,
            engine="checks", cached=False, latency_ms=0.0, tool=call.tool, episode=call.episode or "",
        )  # fmt: skip

    def close(self) -> None:
        """Close the cache and the engine."""
        if self.cache is not None:
            self.cache.close()
        if self.episodes.remote:
            self.episodes.shutdown()  # type: ignore[union-attr]
        run_sync(self.engine.aclose())

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the path of a call ------------------------------------------------------------
    @staticmethod
    def _as_call(call: CallLike | str, arguments: Any, episode: str | None) -> ToolCall:
        if isinstance(call, str):
            return ToolCall(call, {} if arguments is None else arguments, episode)
        if arguments is not None or episode is not None:
            raise TypeError("pass arguments and episode inside the ToolCall, or pass the tool's name first")
        return ToolCall.coerce(call)

    def _prepare_all(self, calls: Iterable[CallLike]) -> list[_Pending]:
        pending = []
        for raw in calls:
            call = ToolCall.coerce(raw)
            started = time.perf_counter()
            try:
                item = self.episodes.update(call.episode, functools.partial(self._prepared, call, started))
            except EpisodeExpiredError as exc:  # its world is gone: say so, never invent a new one
                item = _Pending(call, started, None, result=self._expired(call, exc, started))  # type: ignore[arg-type]
            except StoreUnavailableError as exc:
                item = _Pending(call, started, None)  # type: ignore[arg-type]
                item.result = self._unavailable(item, exc)
            pending.append(item)
        return pending

    def _prepared(self, call: ToolCall, started: float, episode: Episode) -> _Pending:
        """A call prepared in ``episode`` (a fresh try each time a shared store retries the update)."""
        item = _Pending(call, started, episode)
        try:
            self._prepare(item)
        except Exception as exc:  # one broken call must not cost the batch its other results
            item.result = self._internal_failure(item, exc)
        return item

    def _prepare(self, item: _Pending) -> None:
        call, episode = item.call, item.episode
        try:
            spec = self.catalog.get(call.tool)
        except UnknownToolError as exc:
            item.result = self._error(item, error_bodies.unknown_tool(call.tool, exc.suggestions), "unknown_tool", "checks")
            return
        item.spec = spec
        arguments, problems = parse_arguments(call.arguments)
        if arguments is not None and self.check:
            problems = check_parsed(spec, arguments)
        if problems:
            item.result = self._error(item, error_bodies.invalid_arguments(spec.name, problems), primary_kind(problems).value, "checks")  # type: ignore[union-attr]
            return
        assert arguments is not None
        arguments = dict(arguments)  # the caller's dict is not changed by the episode's world
        item.arguments = arguments
        call_text = canonical_json([spec.name, arguments])
        item.call_bytes = len(call_text)
        occurrence = episode.occurrence(call_text)
        operation = item.operation = self._operation(spec)
        entity: Any = None
        if operation is not None:
            refusal, entity = world_calls.gate(episode.world, spec, operation, arguments, self.unknown_keys)
            if refusal is not None:
                item.result = self._error(item, refusal, "not_found", "world")
                return
        if self.faults is not None:
            fault = self.faults.fault_for(spec.name, call_text, occurrence)
            if fault is not None:
                item.result = self._error(item, fault, fault["error"]["type"], "faults")
                return
        repeat = occurrence if operation is not None and operation.kind == "create" else 0
        seed = _derive_seed(self.seed, call_text, repeat)
        item.request = GenerationRequest(
            spec=spec,
            arguments=arguments,
            seed=seed,
            history=tuple(episode.history),
            entity=entity,
            hidden_context=episode.hidden_context or None,
        )
        if self.cache is not None:
            context = [entity, episode.hidden_context, _history_digest(episode) if self.engine.uses_history else None]
            item.key = cache_key(self._fingerprint(spec), call_text, self.engine.cache_id, seed, context)
            try:
                text = self.cache.get(item.key)
            except StoreUnavailableError as exc:
                item.result = self._unavailable(item, exc)
                return
            if text is not None:
                item.text, item.cached = text, True

    def _generate_sync(self, todo: list[_Pending]) -> list[str | Answer] | Exception | None:
        try:
            return self.engine.generate_sync([p.request for p in todo])  # type: ignore[misc]
        except Exception as exc:  # a dead engine must not take the simulator down
            logger.exception("engine %s failed on a batch of %d calls", self.engine.name, len(todo))
            return exc

    async def _generate_async(self, todo: list[_Pending]) -> list[str | Answer] | Exception:
        try:
            return await self.engine.generate([p.request for p in todo])  # type: ignore[misc]
        except Exception as exc:  # a dead engine must not take the simulator down
            logger.exception("engine %s failed on a batch of %d calls", self.engine.name, len(todo))
            return exc

    def _fill(self, todo: list[_Pending], texts: list[str | Answer] | Exception) -> None:
        if isinstance(texts, Exception) or len(texts) != len(todo):
            reason = texts if isinstance(texts, Exception) else f"returned {len(texts)} answers for {len(todo)} calls"
            for item in todo:
                item.result = self._engine_failure(item, str(reason))
            return
        for item, text in zip(todo, texts):
            if isinstance(text, Answer):
                if text.failure is not None:
                    item.result = self._engine_failure(item, text.failure)
                    continue
                item.text, item.answered_by, item.fallback = text.text, text.engine, text.fallback
            else:
                item.text = text

    def _engine_failure(self, item: _Pending, reason: str) -> ToolResult:
        return self._error(item, error_bodies.engine_failure(self.engine.name, reason), "engine_error", self.engine.name)

    def _finish_all(self, pending: list[_Pending]) -> list[ToolResult]:
        results = []
        for item in pending:
            if item.result is None:
                try:
                    item.result = self.episodes.update(item.episode.id, functools.partial(self._finished, item), held=item.episode)
                except EpisodeExpiredError as exc:  # dropped while its answer was being generated
                    item.result = self._expired(item.call, exc, item.started)
                except StoreUnavailableError as exc:  # answered, but the episode could not keep it: say so
                    item.result = self._unavailable(item, exc)
            results.append(item.result)
        return results

    def _finished(self, item: _Pending, episode: Episode) -> ToolResult:
        """The call finished in ``episode`` (the latest state: a shared store retries this on a conflicting update)."""
        item.episode = episode
        try:
            return self._finish(item)
        except Exception as exc:  # one broken call must not cost the batch its other results
            return self._internal_failure(item, exc)

    def _finish(self, item: _Pending) -> ToolResult:
        assert item.spec is not None and item.arguments is not None and item.text is not None
        text = item.text
        try:
            structured: Any = json.loads(text)
        except json.JSONDecodeError:
            structured = None
        operation, episode = item.operation, item.episode
        if operation is not None:  # deleted (or ruled out) by an earlier call of the same batch
            refusal, _ = world_calls.gate(episode.world, item.spec, operation, item.arguments, self.unknown_keys, record_wanted=False)
            if refusal is not None:
                return self._error(item, refusal, "not_found", "world")
        if self.cache is not None and item.key is not None and not item.cached and item.fallback is None:
            try:
                self.cache.put(item.key, text)
            except StoreUnavailableError as exc:  # the answer is good; only its reuse is lost
                logger.warning("answer not cached: %s", exc)
        if self.engine.answers_errors and is_error_answer(structured, item.spec):
            return self._error(item, structured, "tool_error", item.answered_by or self.engine.name)
        if operation is not None and structured is not None:
            answer = json.loads(text)  # a second parse is the world's to change (cheaper than a deep copy)
            merged = world_calls.merge(episode.world, self.resource_model, item.spec, operation, item.arguments, answer, self.unknown_keys)
            if merged != structured:
                structured, text = merged, json.dumps(merged, ensure_ascii=False)
        episode.record(HistoryItem(item.spec.name, item.arguments, structured if structured is not None else text), len(text) + item.call_bytes)
        return ToolResult(
            content=text,
            structured=structured,
            is_error=False,
            error_kind=None,
            engine=item.answered_by or self.engine.name,
            cached=item.cached,
            latency_ms=(time.perf_counter() - item.started) * 1000.0,
            tool=item.call.tool,
            episode=episode.id,
            fallback=item.fallback,
        )

    @staticmethod
    def _expired(call: ToolCall, exc: EpisodeExpiredError, started: float) -> ToolResult:
        body = {"error": {"code": 410, "status": "EPISODE_EXPIRED", "type": "episode_expired", "message": str(exc), "episode": exc.episode_id}}
        return _unrecorded(call, body, "episode_expired", "episodes", started, exc.episode_id)

    @staticmethod
    def _unavailable(item: _Pending, exc: StoreUnavailableError) -> ToolResult:
        """A call that could not reach a shared store: answered, not recorded (the call never reached the tool)."""
        logger.warning("call of %r refused: %s", item.call.tool, exc)
        body = error_bodies.store_unavailable(str(exc))
        return _unrecorded(item.call, body, "store_unavailable", "stores", item.started, item.call.episode or "")

    def _internal_failure(self, item: _Pending, exc: Exception) -> ToolResult:
        logger.exception("simulating a call of %r failed", item.call.tool)
        body = {"error": {"code": 500, "status": "INTERNAL", "type": "internal_error",
                          "message": f"the simulator failed on this call: {type(exc).__name__}: {exc}"}}  # fmt: skip
        try:
            return self._error(item, body, "internal_error", "simulator")
        except Exception:  # noqa: BLE001 - not even recordable: answer without recording
            return ToolResult(json.dumps(body, ensure_ascii=False), body, True, "internal_error", "simulator", False,
                              (time.perf_counter() - item.started) * 1000.0, item.call.tool, item.episode.id)  # fmt: skip

    def _error(self, item: _Pending, body: dict[str, Any], kind: str, engine: str) -> ToolResult:
        text = json.dumps(body, ensure_ascii=False)
        arguments = item.arguments if item.arguments is not None else item.call.arguments
        kept = arguments if isinstance(arguments, dict) else {}
        item.episode.record(HistoryItem(item.call.tool, kept, body, True), len(text) + (item.call_bytes or _size(kept)))
        return ToolResult(
            content=text,
            structured=body,
            is_error=True,
            error_kind=kind,
            engine=engine,
            cached=False,
            latency_ms=(time.perf_counter() - item.started) * 1000.0,
            tool=item.call.tool,
            episode=item.episode.id,
        )

    # ---- memos ---------------------------------------------------------------------------
    # Memos are keyed by id(spec) and hold the spec itself, so an id is never reused for
    # another spec while its entry lives (specs of a replaced catalog stay valid keys).
    def _operation(self, spec: ToolSpec) -> Operation | None:
        return self.resource_model.operation(spec.name)

    def _fingerprint(self, spec: ToolSpec) -> str:
        entry = self._fingerprints.get(id(spec))
        if entry is None or entry[0] is not spec:
            entry = (spec, cache_key(spec.to_dict()))
            with self._memo_lock:
                self._fingerprints[id(spec)] = entry
        return entry[1]


def _unrecorded(call: ToolCall, body: dict[str, Any], kind: str, engine: str, started: float, episode: str) -> ToolResult:
    return ToolResult(json.dumps(body, ensure_ascii=False), body, True, kind, engine, False, (time.perf_counter() - started) * 1000.0, call.tool, episode)


def _derive_seed(seed: int, call_text: str, repeat: int) -> int:
    digest = hashlib.blake2b(f"{seed}|{repeat}|{call_text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _size(value: Any) -> int:
    """The size of a value as JSON text (what it costs to keep in a history)."""
    try:
        return len(json.dumps(value, ensure_ascii=False, default=str))
    except (ValueError, RecursionError):
        return 0


def _history_digest(episode: Episode) -> str:
    return cache_key([(h.tool, h.arguments, h.response) for h in episode.history])

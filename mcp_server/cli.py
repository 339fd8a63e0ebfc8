"""``gtm serve``: serve a catalog's tools over MCP (stdio or streamable HTTP), simulated."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

import click

from gtm_core.cli.engine_flags import engine_config_from_flags, engine_flags
from gtm_core.cli.store_flags import cache_option, episodes_option
from gtm_core.episodes import EpisodeLimits

from .defaults import (
    DEFAULT_FIRST_PAGE_SIZE,
    DEFAULT_HOST,
    DEFAULT_MAX_ARGUMENT_BYTES,
    DEFAULT_MAX_REQUEST_BYTES,
    DEFAULT_PAGE_SIZE,
    DEFAULT_PORT,
)

__all__ = ["serve"]

logger = logging.getLogger("mcp_server")


def _setup_logging(level: str) -> None:
    """Logs go to stderr only: under stdio, stdout carries the protocol.

    A process that configured logging already (an embedding program, pytest) keeps its handlers.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        worker = os.environ.get("GTM_WORKER")  # set by --workers for each of its workers
        name = f"gtm serve[worker {worker}]" if worker else "gtm serve"
        handler.setFormatter(logging.Formatter(f"{name}: %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    for name in ("mcp_server", "gtm_core"):
        logging.getLogger(name).setLevel(level.upper())


@click.command()
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(), metavar="PATH",
              help="Catalog file or folder (repeatable), in any format `gtm catalog import` reads; default: the shipped catalog.")
@engine_flags
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True,
              help="stdio (the client starts this command) or streamable HTTP at http://HOST:PORT/mcp.")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="HTTP: address to bind; anything but loopback is logged as a warning.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True, help="HTTP: port to bind.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="HTTP: run N server processes on one port (SO_REUSEPORT), restarted when they die; needs shared --episodes "
                   "(redis:// or sqlite:) for N > 1, and turns on --stateless-http.")
@click.option("--stateless-http", "stateless_http", is_flag=True,
              help="HTTP: answer handshake-era clients without MCP sessions, so any replica answers any request "
                   "(no server-sent notifications then; episodes by _meta or X-GTM-Episode).")
@click.option("--reuse-port", "reuse_port", is_flag=True, hidden=True, help="HTTP: bind with SO_REUSEPORT (what --workers starts its workers with).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME:PORT",
              help="HTTP: another Host header value clients may use (repeatable); DNS-rebinding protection refuses others.")
@click.option("--field", default=None, metavar="F", help="Expose only the tools of this field (case-insensitive).")
@click.option("--tools", "tool_globs", multiple=True, metavar="GLOB", help="Expose only tools whose name matches a glob (repeatable).")
@click.option("--page-size", type=click.IntRange(min=1), default=DEFAULT_PAGE_SIZE, show_default=True, help="Tools per tools/list page after the first.")
@click.option("--first-page-size", type=click.IntRange(min=1), default=DEFAULT_FIRST_PAGE_SIZE, show_default=True, help="Tools on the first tools/list page.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: same call, same episode, same seed, same answer.")
@cache_option
@episodes_option
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="Share of calls that fail transiently (rate limit, timeout, server error).")
@click.option("--max-episodes", type=click.IntRange(min=1), default=EpisodeLimits.max_episodes, show_default=True,
              help="Episodes kept live; beyond it the least recently used is dropped, and its next calls answer episode_expired.")
@click.option("--episode-idle", type=click.FloatRange(min=0, min_open=True), default=EpisodeLimits.idle_seconds, show_default=True, metavar="S",
              help="Seconds an episode may stay idle before it is dropped (its next calls answer episode_expired).")
@click.option("--meta-tools", is_flag=True, help="List only search_tools and call_tool, which reach every selected tool (for huge catalogs), and episode_snapshot.")
@click.option("--reload-interval", type=click.FloatRange(min=0), default=0.0, show_default=True, metavar="S",
              help="Poll the --catalog files every S seconds and reload on change (0: off); SIGHUP reloads them too.")
@click.option("--token-env", default=None, metavar="VAR", help="HTTP: require 'Authorization: Bearer <token>', the token read from environment variable VAR.")
@click.option("--max-argument-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_ARGUMENT_BYTES, show_default=True,
              help="Largest tool arguments (as JSON); larger calls get an error result.")
@click.option("--max-request-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_REQUEST_BYTES, show_default=True,
              help="HTTP: largest request body; larger requests get 413.")
@click.option("--upstream", "upstreams", multiple=True, metavar="'COMMAND ARGS'",
              help="Proxy mode: a real MCP server to start (stdio) and front (repeatable); its tools replace the catalog.")
@click.option("--upstream-url", "upstream_urls", multiple=True, metavar="URL", help="Proxy mode: a real MCP server at a streamable HTTP URL (repeatable).")
@click.option("--upstream-env", "upstream_env", multiple=True, metavar="NAME[=VALUE]",
              help="Proxy mode: an environment variable for the --upstream servers, this process's value or VALUE (repeatable). "
                   "They get only PATH, HOME, the locale and the like otherwise; the --token-env variable is never passed.")
@click.option("--policy", "policies", multiple=True, metavar="[GLOB=]POLICY",
              help="Proxy mode: sim, real, warmup:N[/episode|/step], fallback or shadow; for all tools, or GLOB=POLICY for some (repeatable, first match wins). Default: sim.")
@click.option("--policy-file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Proxy mode: more [GLOB=]POLICY lines (they come first), read again whenever the file changes and on SIGHUP.")
@click.option("--record", "record", type=click.Path(dir_okay=False), default=None, metavar="FILE.jsonl",
              help="Proxy mode: append every real call and answer as a chat-format training record (synced per record, secrets redacted).")
@click.option("--upstream-timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True, metavar="S",
              help="Proxy mode: seconds a real call may take before it fails (or falls back).")
@click.option("--require-episode", is_flag=True,
              help="Refuse calls that name no episode (in _meta, the URL /mcp/episodes/ID or the X-GTM-Episode header) instead of sharing the session's or the process's.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True, help="Logging on stderr.")
def serve(
    catalogs: tuple[str, ...],
    engine: str | None,
    model: str | None,
    engine_options: tuple[str, ...],
    engine_config: str | None,
    transport: str,
    host: str,
    port: int,
    workers: int,
    stateless_http: bool,
    reuse_port: bool,
    allowed_hosts: tuple[str, ...],
    field: str | None,
    tool_globs: tuple[str, ...],
    page_size: int,
    first_page_size: int,
    seed: int,
    cache_path: str | None,
    episodes: str,
    fault_rate: float,
    max_episodes: int,
    episode_idle: float,
    meta_tools: bool,
    reload_interval: float,
    token_env: str | None,
    max_argument_bytes: int,
    max_request_bytes: int,
    upstreams: tuple[str, ...],
    upstream_urls: tuple[str, ...],
    upstream_env: tuple[str, ...],
    policies: tuple[str, ...],
    policy_file: str | None,
    record: str | None,
    upstream_timeout: float,
    require_episode: bool,
    log_level: str,
) -> None:
    """Serve the tools of a catalog over MCP; every call is simulated.

    Calls share an episode (a world of created entities) by the request's
    _meta["gtm/episode"], else the URL (/mcp/episodes/ID or /mcp?episode=ID), else the
    X-GTM-Episode header, else the MCP session, else the process. Over HTTP, /episodes opens,
    resets, snapshots, diffs and closes episodes. Logs go to stderr.

    With --upstream / --upstream-url it is a proxy in front of real MCP servers: their tools
    are listed, and each call is simulated or forwarded as --policy says (see `mcp_server.proxy`).
    """
    from gtm_core import Catalog, Simulator

    from .app import GTMServer
    from .run import closing, run_until_stopped

    _setup_logging(log_level)
    if workers > 1:
        if episodes == "memory":
            raise click.UsageError("--workers N needs episodes the workers share: add --episodes redis://HOST:PORT/DB (or sqlite:PATH on one machine)")
        _run_workers(workers, transport, host, port)
        return
    config = engine_config_from_flags(engine, model, engine_options, engine_config)
    engine_instance = config.build()
    engine_instance.check()  # refuse to start with a model that does not exist (every call would fail)
    logger.info("engine: %s", engine_instance.description)
    _load_in_background(engine_instance)
    token: str | None = None
    if token_env is not None:
        if transport != "http":
            raise click.UsageError("--token-env only applies to --transport http")
        token = os.environ.get(token_env)
        if not token:
            raise click.ClickException(f"--token-env {token_env}: the environment variable {token_env} is not set or empty")
    if transport == "stdio" and (host != DEFAULT_HOST or port != DEFAULT_PORT or allowed_hosts):
        logger.warning("--host, --port and --allowed-host only apply to --transport http; ignored")
    if reload_interval and not catalogs:
        logger.warning("--reload-interval watches the --catalog files; the shipped catalog is not watched")

    if upstreams or upstream_urls:
        if catalogs or reload_interval:
            raise click.UsageError("--catalog and --reload-interval do not apply with --upstream/--upstream-url: the tools are the real servers'")
        from .proxy_cli import serve_proxy

        serve_proxy(
            commands=upstreams, urls=upstream_urls, env=upstream_env, token_env=token_env, policies=policies, policy_file=policy_file, record=record,
            upstream_timeout=upstream_timeout, transport=transport,
            http={"host": host, "port": port, "token": token, "max_request_bytes": max_request_bytes, "allowed_hosts": allowed_hosts,
                  "stateless": stateless_http or reuse_port, "reuse_port": reuse_port},
            engine=engine_instance, seed=seed, cache=cache_path, episodes=episodes, faults=fault_rate or None, field=field, tools=tool_globs,
            episode_limits=EpisodeLimits(max_episodes=max_episodes, idle_seconds=episode_idle),
            page_size=page_size, first_page_size=first_page_size, meta_tools=meta_tools, max_argument_bytes=max_argument_bytes,
            require_episode=require_episode,
        )  # fmt: skip
        return
    if policies or policy_file or record or upstream_env:
        raise click.UsageError("--policy, --policy-file, --record and --upstream-env apply to proxy mode only: add --upstream or --upstream-url")
    catalog = Catalog.load(*catalogs) if catalogs else Catalog.shipped()
    if catalog.problems:
        shown = "; ".join(str(p) for p in catalog.problems[:3])
        more = f" (and {len(catalog.problems) - 3} more)" if len(catalog.problems) > 3 else ""
        logger.warning("skipped %d unreadable catalog lines: %s%s", len(catalog.problems), shown, more)
    limits = EpisodeLimits(max_episodes=max_episodes, idle_seconds=episode_idle)
    simulator = Simulator(catalog, engine=engine_instance, cache=cache_path, episodes=episodes, seed=seed, faults=fault_rate or None, episode_limits=limits)
    gtm = GTMServer(
        simulator,
        field=field,
        tools=tool_globs,
        page_size=page_size,
        first_page_size=first_page_size,
        meta_tools=meta_tools,
        max_argument_bytes=max_argument_bytes,
        catalog_paths=catalogs,
        reload_interval=reload_interval,
        require_episode=require_episode,
    )
    exposed = "search_tools and call_tool over" if meta_tools else "exposing"
    logger.info("%s %d tools (engine %s, %s)", exposed, len(gtm.selection), simulator.engine.name, transport)
    sock = None
    if transport == "http":  # bound now, so the block below names the real port (--port 0) and a busy port fails first
        from .http import listen_socket

        sock = listen_socket(host, port, reuse_port=reuse_port)
        port = sock.getsockname()[1]
    if logger.isEnabledFor(logging.INFO):
        from .banner import startup_banner

        click.echo(startup_banner(
            catalog=", ".join(catalogs) or "the shipped catalog", tools=len(gtm.selection), engine=engine_instance.description,
            transport=transport, url=f"http://{host}:{port}/mcp", max_episodes=max_episodes, idle_seconds=episode_idle,
            meta_tools=meta_tools, token_env=token_env,
        ), err=True)  # fmt: skip
    http = {"host": host, "port": port, "token": token, "max_request_bytes": max_request_bytes, "allowed_hosts": allowed_hosts,
            "stateless": stateless_http or reuse_port, "reuse_port": reuse_port, "sock": sock}
    run_until_stopped(lambda: closing(gtm), transport=transport, http=http, sighup=bool(catalogs))


def _run_workers(workers: int, transport: str, host: str, port: int) -> None:
    """The parent of ``--workers N``: start N copies of this command on one port and keep them running."""
    from .workers import run_workers, worker_command

    if transport != "http":
        raise click.UsageError("--workers applies to --transport http only")
    if port == 0:
        raise click.UsageError("--workers needs a fixed --port (the workers all bind it); 0 would give each its own")
    code = run_workers(workers, worker_command(sys.argv), describe=f"http://{host}:{port}/mcp")
    if code:
        raise SystemExit(code)


def _load_in_background(engine: Any) -> None:
    """Start loading a local model now, so the first call does not pay for it (calls wait for it)."""
    load = getattr(engine, "load", None)
    if not callable(load):
        return

    def target() -> None:
        started = time.perf_counter()
        try:
            load()
        except Exception as exc:  # calls will report it (and try again) as engine errors
            logger.error("the %s engine could not load its model: %s", engine.name, exc)
        else:
            logger.info("engine ready: %s (loaded in %.1f s)", engine.description, time.perf_counter() - started)

    threading.Thread(target=target, name="gtm-engine-load", daemon=True).start()

"""``gtm proxy report`` and the proxy mode of ``gtm serve`` (``--upstream`` / ``--upstream-url``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import click

__all__ = ["proxy", "serve_proxy"]

logger = logging.getLogger("mcp_server")


@click.group()
def proxy() -> None:
    """Hybrid real/simulated tools: what the proxy of `gtm serve --upstream` recorded."""


@proxy.command()
@click.argument("record", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def report(record: str, as_json: bool) -> None:
    """Per tool, how often simulated answers agree with the real ones recorded in RECORD.

    Shadow calls (policy `shadow`) hold both answers. Agreement on format: both JSON or
    both text; on fields: the same top-level keys, and the Jaccard index of the key sets
    (JSON objects only); on errors: both errors or neither.
    """
    from .recording import read_records
    from .report import divergence, render_table

    records, bad = read_records(record)
    rows = divergence(records)
    if as_json:
        click.echo(json.dumps({"record": record, "records": len(records), "unreadable_lines": bad, "tools": [r.to_dict() for r in rows]}, indent=2))
        return
    if not rows:
        click.echo(f"{record}: no recorded real calls" + (f" ({bad} unreadable lines)" if bad else ""))
        return
    click.echo(render_table(rows))
    shadowed = sum(r.shadowed for r in rows)
    click.echo(f"\n{len(records)} records, {shadowed} shadowed" + (f", {bad} unreadable lines skipped" if bad else ""))
    if not shadowed:
        click.echo("no shadow calls: run the proxy with --policy shadow (or GLOB=shadow) to compare simulated and real answers")


def serve_proxy(
    *,
    commands: Sequence[str],
    urls: Sequence[str],
    env: Sequence[str] = (),
    token_env: str | None = None,
    policies: Sequence[str],
    policy_file: str | None,
    record: str | None,
    upstream_timeout: float,
    transport: str,
    http: dict[str, Any],
    **options: Any,
) -> None:
    """Run ``gtm serve`` in front of real servers until interrupted (the CLI's proxy mode)."""
    from .policy import PolicyError, PolicyFile, PolicyTable
    from .proxy import open_proxy
    from .recording import Recorder
    from .run import run_until_stopped
    from .upstream import UpstreamTarget
    from .upstream_env import UpstreamEnvError, passed_variables

    try:
        table = PolicyTable.parse(policies)
    except PolicyError as exc:
        raise click.BadParameter(str(exc).removeprefix("--policy: "), param_hint="--policy") from None
    try:
        passed = passed_variables(env, token_env=token_env)
    except UpstreamEnvError as exc:
        raise click.BadParameter(str(exc), param_hint="--upstream-env") from None
    targets = [UpstreamTarget(command=c, env=passed) for c in commands] + [UpstreamTarget(url=u) for u in urls]
    watched = PolicyFile(policy_file, base=table) if policy_file else None
    recorder = Recorder(record) if record else None

    def opened(gtm: Any) -> None:
        logger.info("proxy: %d tools of %d servers, policies %s%s", len(gtm.selection), len(targets), gtm.policies,
                    f", recording real calls to {record}" if record else "")  # fmt: skip

    def open_server() -> Any:
        return open_proxy(targets, call_timeout=upstream_timeout, policies=table, policy_file=watched, recorder=recorder, **options)

    try:
        run_until_stopped(open_server, transport=transport, http=http, sighup=watched is not None, on_start=opened)
    finally:
        if recorder is not None:
            recorder.close()

"""``gtm integrations``: configs that plug simulated tools into RL trainers."""

from __future__ import annotations

import click

__all__ = ["integrations"]


@click.group()
def integrations() -> None:
    """Configs that plug simulated tools into RL trainers (verl, OpenEnv)."""


@integrations.command("verl-config")
@click.option("--catalog", "catalog_path", type=click.Path(exists=True), default=None, metavar="PATH", help="Catalog file or folder; default: the shipped catalog.")
@click.option("--tools", "tool_globs", multiple=True, metavar="GLOB", help="Only tools whose name matches a glob (repeatable; quote it: --tools 'get_*').")
@click.option("--engine", default=None, help="Engine the rollout workers simulate with (default: schema).")
@click.option("--seed", type=int, default=None, help="Simulator seed (default: 0).")
@click.option("--server-url", default=None, metavar="URL", help="Call a running `gtm serve --transport http` at this MCP URL (http://HOST:PORT/mcp) instead of simulating in the workers.")
@click.option("--token-env", default=None, metavar="VAR", help="With --server-url: the environment variable holding the server's bearer token.")
@click.option("--reward", default=None, metavar="MODULE:FUNCTION", help="Reward function of the episode's world (see gtm_core.rewards); step rewards add up to it.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="-", show_default=True, help="Where to write the YAML ('-': stdout).")
def verl_config(
    catalog_path: str | None,
    tool_globs: tuple[str, ...],
    engine: str | None,
    seed: int | None,
    server_url: str | None,
    token_env: str | None,
    reward: str | None,
    output: str,
) -> None:
    """Write verl's tool YAML (actor_rollout_ref.rollout.multi_turn.tool_config_path) for a catalog's tools.

    Each tool becomes a gtm_core.integrations.verl.GTMTool; the tools of one rollout share one
    episode (keyed by verl's request id), so what one call creates the next one finds.
    """
    from ..catalog import Catalog
    from ..integrations.verl_config import verl_tool_config

    if token_env and not server_url:
        raise click.UsageError("--token-env only applies with --server-url")
    catalog = Catalog.load(catalog_path) if catalog_path else Catalog.shipped()
    options = {"engine": engine, "seed": seed, "server_url": server_url, "token_env": token_env, "reward": reward}
    try:
        text = verl_tool_config(catalog, catalog_path=catalog_path, tools=tool_globs, options=options)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tools") from None
    with click.open_file(output, "w", encoding="utf-8") as out:
        out.write(text)
    if output != "-":
        click.echo(f"wrote {text.count('class_name:')} tools to {output}", err=True)

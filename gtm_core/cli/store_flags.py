"""The --cache and --episodes options of the commands that simulate (``gtm simulate``, ``gtm serve``): a SQLite file or a Redis URL."""

from __future__ import annotations

import click

__all__ = ["cache_option", "episodes_option"]

cache_option = click.option(
    "--cache", "cache_path", default=None, metavar="FILE|URL",
    help="Cache of answers: a SQLite FILE, or redis://HOST:PORT/DB[?timeout=S&prefix=NAME] that replicas share (needs gtm-toolkit[scale]).",
)  # fmt: skip

episodes_option = click.option(
    "--episodes", "episodes", default="memory", show_default=True, metavar="memory|URL|sqlite:PATH",
    help="Where episodes live: this process's memory, redis://HOST:PORT/DB[?timeout=S&prefix=NAME] (replicas share them; "
         "idle ones expire by Redis TTL), or sqlite:PATH (kept across commands on one machine).",
)  # fmt: skip

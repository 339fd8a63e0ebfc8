"""The --cache option of the commands that simulate (``gtm simulate``, ``gtm serve``): a SQLite file or a Redis URL."""

from __future__ import annotations

import click

__all__ = ["cache_option"]

cache_option = click.option(
    "--cache", "cache_path", default=None, metavar="FILE|URL",
    help="Cache of answers: a SQLite FILE, or redis://HOST:PORT/DB[?timeout=S&prefix=NAME] that replicas share (needs gtm-toolkit[scale]).",
)  # fmt: skip

"""A click group whose subcommands live in other modules and are imported only when used.

``gtm`` and ``gtm scope`` are such groups: each names its lazy subcommands in a table,
``{name: (module, one-line help)}``, where the module defines a click command of that name::

    @click.group(cls=LazyGroup, lazy_commands={"check": ("analysis.cli_check", "Can these tools be simulated?")})
    def scope() -> None: ...

Running ``gtm scope check`` (or ``gtm scope check --help``) imports ``analysis.cli_check``;
``gtm scope --help`` lists ``check`` from its one-line help and imports nothing. A subcommand
whose module is not installed is not listed, and asking for it is click's usual "No such
command"; an import error inside an installed module is not hidden.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from typing import Any

import click

__all__ = ["LazyGroup", "load_attribute"]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def load_attribute(module_name: str, attribute: str) -> Any:
    """``module_name.attribute``, imported now; a ClickException that names the package when it is not installed."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            package = module_name.split(".")[0]
            raise click.ClickException(f"this needs the {package} package, which is not installed: pip install -e . in the checkout") from None
        raise
    return getattr(module, attribute)


class LazyGroup(click.Group):
    """A group whose ``lazy_commands`` are imported only when they are invoked (or asked for help).

    ``lazy_commands`` maps a subcommand name to ``(module, one-line help)``; the table is kept
    as given (not copied), so entries added to it later are seen too. Commands added with
    ``@group.command()`` work as in any click group.
    """

    def __init__(self, *args: Any, lazy_commands: Mapping[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: Mapping[str, tuple[str, str]] = lazy_commands if lazy_commands is not None else {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = {name for name, (module, _) in self.lazy_commands.items() if _installed(module)}
        return sorted(set(super().list_commands(ctx)) | lazy)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.lazy_commands:
            return super().get_command(ctx, name)
        module_name = self.lazy_commands[name][0]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                return None  # the module itself (or its package) is not installed
            raise
        command = getattr(module, name, None)
        if not isinstance(command, click.Command):
            raise RuntimeError(f"{module_name} defines no click command named {name!r}; fix the lazy command table of {self.name!r}")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click's own, except that lazy commands show their one-line help and are not imported.
        names = self.list_commands(ctx)
        eager = {name: self.commands[name] for name in names if name not in self.lazy_commands and not self.commands[name].hidden}
        shown = [name for name in names if name in self.lazy_commands or name in eager]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name in shown)
        rows = [(name, self.lazy_commands[name][1] if name in self.lazy_commands else eager[name].get_short_help_str(limit)) for name in shown]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

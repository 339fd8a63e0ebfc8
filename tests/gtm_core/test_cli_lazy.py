"""LazyGroup: subcommands from other modules, imported only when used (gtm and gtm scope are such groups)."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from gtm_core.cli.lazy import LazyGroup

HELLO = '''import click

@click.command()
def hello():
    """Say hello."""
    click.echo("hello from the lazy module")
'''


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """Importable modules: ``lazyhello`` (defines ``hello``), ``brokenhello`` (needs a package that is missing)."""
    (tmp_path / "lazyhello.py").write_text(HELLO, encoding="utf-8")
    (tmp_path / "brokenhello.py").write_text("import no_such_dependency_xyz\n" + HELLO, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazyhello", "brokenhello"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return tmp_path


def group(table):
    @click.group(cls=LazyGroup, lazy_commands=table)
    def top():
        """A group."""

    @top.command()
    def plain():
        """An ordinary command."""

    return top


def test_help_lists_lazy_commands_from_their_one_line_help_without_importing_them(modules):
    """The group's help shows the lazy command beside the ordinary one, and the module stays unimported."""
    result = CliRunner().invoke(group({"hello": ("lazyhello", "Say hello, lazily.")}), ["--help"])
    assert result.exit_code == 0
    assert "hello  Say hello, lazily." in result.output and "plain  An ordinary command." in result.output
    assert "lazyhello" not in sys.modules


def test_a_lazy_command_is_imported_when_it_runs(modules):
    """Invoking it imports its module and runs the command the module defines under that name."""
    result = CliRunner().invoke(group({"hello": ("lazyhello", "Say hello.")}), ["hello"])
    assert result.exit_code == 0 and result.output == "hello from the lazy module\n"
    assert "lazyhello" in sys.modules


def test_a_command_whose_module_is_not_installed_is_not_listed_and_is_no_such_command(modules):
    """A part that is not installed is left out of the list; asking for it is click's usage error."""
    top = group({"gone": ("no_such_package_xyz.cli", "Not here.")})
    assert "gone" not in CliRunner().invoke(top, ["--help"]).output
    result = CliRunner().invoke(top, ["gone"])
    assert result.exit_code == 2 and "No such command 'gone'" in result.output


def test_an_import_error_inside_an_installed_module_is_not_hidden(modules):
    """A missing dependency of the module itself surfaces as the ModuleNotFoundError it is."""
    result = CliRunner().invoke(group({"hello": ("brokenhello", "Say hello.")}), ["hello"])
    assert isinstance(result.exception, ModuleNotFoundError) and result.exception.name == "no_such_dependency_xyz"


def test_a_table_entry_that_names_no_command_says_what_to_fix(modules):
    """A module without a click command of the subcommand's name is a clear error, not an AttributeError."""
    result = CliRunner().invoke(group({"hullo": ("lazyhello", "Typo.")}), ["hullo"])
    assert isinstance(result.exception, RuntimeError) and "lazyhello defines no click command named 'hullo'" in str(result.exception)


def test_gtm_help_and_gtm_scope_help_import_neither_the_server_nor_the_analysis_commands():
    """Both groups use LazyGroup: listing their commands imports none of the modules behind them."""
    code = (
        "import sys; from click.testing import CliRunner; from gtm_core.cli import cli;"
        "r1 = CliRunner().invoke(cli, ['--help']); r2 = CliRunner().invoke(cli, ['scope', '--help']);"
        "print(r1.exit_code, r2.exit_code, 'check' in r2.output, 'serve' in r1.output);"
        "print(sorted(m for m in ('mcp_server.cli', 'analysis.cli_check', 'gtm_core.cli.synth', 'mcp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["0 0 True True", "[]"]

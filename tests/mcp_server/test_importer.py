"""Importing the tools of an existing MCP server (``mcp_server.importer`` and
``gtm catalog import --mcp-stdio/--mcp-url``): real npm servers we did not write, paging,
and the errors a user meets."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from mcp_helpers import free_port, stop, wait_until_listening

from gtm_core import Catalog
from gtm_core.cli import cli
from gtm_core.sampler import sample_arguments
from gtm_core.simulator import Simulator
from gtm_core.validate import validate_catalog
from mcp_server.importer import MCPImportError, read_server_specs, read_server_tools

NODE_BIN = Path(sys.prefix) / "node" / "node_modules" / ".bin"
PAGED_SERVER = Path(__file__).with_name("paged_server.py")
PYTHON = shlex.quote(sys.executable)


def paged_command(*args: str) -> str:
    return " ".join([PYTHON, shlex.quote(str(PAGED_SERVER)), "stdio", *args])


def npm_server(name: str) -> Path:
    path = NODE_BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed at {path}; run .ci/setup (npm install @modelcontextprotocol/server-*)")
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def http_server():
    """The paged test server over streamable HTTP on an ephemeral 127.0.0.1 port (needs X-Test-Token: s3cret)."""
    process = subprocess.Popen(
        [sys.executable, str(PAGED_SERVER), "http", "2001", "100", "--token", "s3cret"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = int(process.stdout.readline())  # the server binds, listens, then prints its port
        wait_until_listening(process, port, timeout=20)  # and answers once uvicorn serves
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(process)


# ---- real servers from npm ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("server, count", [("mcp-server-memory", 9), ("mcp-server-everything", 13)])
def test_a_real_npm_server_imports_into_a_valid_catalog_that_simulates(server, count, tmp_path):
    """--mcp-stdio on a server we did not write: names and input schemas as advertised,
    no validation errors, and every imported tool simulates without an error result."""
    import anyio

    command = shlex.quote(str(npm_server(server)))
    advertised = anyio.run(lambda: read_server_tools(command=command))
    assert len(advertised) == count

    out = tmp_path / f"{server}.jsonl"
    result = run("catalog", "import", "--mcp-stdio", command, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"imported {count} tools (mcp)" in result.output

    catalog = Catalog.load(out)
    assert catalog.names == [tool["name"] for tool in advertised]
    for spec, tool in zip(catalog, advertised):
        assert spec.input_schema == tool["inputSchema"], spec.name
        assert spec.source == f"mcp:{command}"
    errors = [p for p in validate_catalog(catalog) if p.severity == "error"]
    assert errors == []

    simulator = Simulator(catalog)
    for spec in catalog:
        outcome = simulator.simulate(spec.name, sample_arguments(spec, rng=0))
        assert not outcome.is_error, (spec.name, outcome)


@pytest.mark.slow
def test_the_everything_server_keeps_names_with_dashes_and_its_annotations():
    """'-' names survive, and the wire form carries camelCase keys (inputSchema, annotations)."""
    import anyio

    tools = anyio.run(lambda: read_server_tools(command=shlex.quote(str(npm_server("mcp-server-everything")))))
    names = [tool["name"] for tool in tools]
    assert "get-sum" in names and any("-" in name for name in names)
    assert all("inputSchema" in tool and "input_schema" not in tool for tool in tools)
    assert any("annotations" in tool for tool in tools)


# ---- pagination -----------------------------------------------------------------------


def test_all_pages_of_a_stdio_server_are_read_in_order_without_duplicates():
    """2,001 tools in pages of 100 with opaque cursors: every one, once, in order."""
    specs = read_server_specs(command=paged_command("2001", "100"))
    assert [spec.name for spec in specs] == [f"tool_{i:05d}" for i in range(2001)]
    assert specs[0].required == ["n"] and specs[0].source.startswith("mcp:")


def test_all_pages_over_streamable_http_are_imported_by_the_cli(http_server, tmp_path):
    """--mcp-url with --header reads every page of an HTTP server into a valid catalog."""
    out = tmp_path / "http.jsonl"
    result = run("catalog", "import", "--mcp-url", http_server, "--header", "X-Test-Token: s3cret", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "imported 2001 tools (mcp)" in result.output
    catalog = Catalog.load(out)
    assert catalog.names == [f"tool_{i:05d}" for i in range(2001)]
    assert not [p for p in validate_catalog(catalog) if p.severity == "error"]


def test_an_http_server_that_refuses_the_credentials_says_so(http_server, tmp_path):
    """Without the header the server answers 401, and the error names it."""
    result = run("catalog", "import", "--mcp-url", http_server, "-o", str(tmp_path / "o.jsonl"))
    assert result.exit_code == 1
    assert "401" in result.output and "Traceback" not in result.output


def test_a_server_whose_cursor_loops_is_stopped_with_a_clear_error():
    """A server that hands back the same cursor forever is an error, not a hang."""
    with pytest.raises(MCPImportError, match="cursor loop"):
        read_server_specs(command=paged_command("50", "10", "--loop"))


# ---- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (("--mcp-stdio", "no-such-mcp-server-xyz --flag"), "could not start MCP server 'no-such-mcp-server-xyz --flag': No such file or directory"),
        (("--mcp-stdio", f"{PYTHON} -c 'import sys; print(\"bad config\", file=sys.stderr); sys.exit(3)'"), "bad config"),
        (("--mcp-url", "http://127.0.0.1:{port}/mcp"), "could not connect to MCP server at http://127.0.0.1:"),
        (("--mcp-stdio", f"{PYTHON} -c 'import time; time.sleep(60)'", "--timeout", "1"), "within 1 s"),
    ],
    ids=["missing-command", "exits-at-once", "refused-url", "silent-server"],
)
def test_a_server_that_cannot_be_read_is_one_clear_line_and_a_fast_non_zero_exit(args, words, tmp_path):
    """Missing command, a server that exits, a refused URL, a silent server: exit 1, one line, no traceback."""
    port = free_port()  # nothing listens there
    args = tuple(a.replace("{port}", str(port)) for a in args)
    started = time.monotonic()
    result = run("catalog", "import", *args, "-o", str(tmp_path / "o.jsonl"))
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert words in result.output
    assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert elapsed < 15
    assert not (tmp_path / "o.jsonl").exists()


def test_a_url_that_is_not_http_is_refused_before_connecting(tmp_path):
    """--mcp-url takes the streamable HTTP endpoint; another scheme is one clear line."""
    result = run("catalog", "import", "--mcp-url", "ftp://host/mcp", "-o", str(tmp_path / "o.jsonl"))
    assert result.exit_code == 1 and "not http(s)" in result.output and "Traceback" not in result.output


def test_a_stdio_server_that_prints_on_stdout_is_named_in_the_error_without_sdk_tracebacks(capfd):
    """Non-JSON lines on stdout are the usual mistake: the error quotes them; no SDK traceback leaks."""
    command = PYTHON + " -c " + shlex.quote("print('hello banner', flush=True); import time; time.sleep(60)")
    with pytest.raises(MCPImportError, match="non-MCP lines on stdout, first 'hello banner'"):
        read_server_specs(command=command, timeout=1)
    assert "Traceback" not in capfd.readouterr().err


def test_the_library_raises_one_gtm_error_for_a_missing_command():
    """read_server_specs raises MCPImportError (a GTMError) naming the command and the fix."""
    from gtm_core.errors import GTMError

    with pytest.raises(GTMError, match="could not start MCP server 'no-such-mcp-server-xyz'.*PATH"):
        read_server_specs(command="no-such-mcp-server-xyz")

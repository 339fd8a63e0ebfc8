"""The registry crawler against a local HTTP server that serves recorded v0 list pages."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.crawl import CrawlError, crawl_registry
from analysis.market import load_market
from gtm_core.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
PAGES = {None: "page1.json", "io.github.example/slack:0.3.1": "page2.json", "com.example/units:2.0.0": "page3.json"}


class _Registry:
    """What the fake registry serves: page files by cursor, and failures to inject."""

    def __init__(self, pages: dict[str | None, str]) -> None:
        self.pages = pages
        self.failures: dict[str | None, list[int]] = {}  # cursor -> status codes to answer first
        self.requests: list[str] = []


@contextmanager
def serve(registry: _Registry) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = urllib.parse.urlsplit(self.path)
            registry.requests.append(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            cursor = query.get("cursor")
            if parts.path != "/v0/servers" or cursor not in registry.pages:
                self._send(404, b'{"error": "not found"}')
                return
            pending = registry.failures.get(cursor)
            if pending:
                self._send(pending.pop(0), b'{"error": "try again"}')
                return
            self._send(200, (FIXTURES / registry.pages[cursor]).read_bytes())

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _no_sleep(seconds: float) -> None:
    pass


def test_the_crawler_follows_every_page_and_reads_both_entry_shapes():
    """Three pages (wrapped and flat entries, nextCursor and next_cursor) give all four tools."""
    registry = _Registry(PAGES)
    with serve(registry) as url:
        result = crawl_registry(url, page_size=2, sleep=_no_sleep)
    assert [(r["server"], r["tool"]) for r in result.rows] == [
        ("Weather", "get_forecast"),
        ("Weather", "get_current_weather"),
        ("io.github.example/slack", "post_message"),
        ("com.example/units", "convert_units"),
    ]
    assert result.pages == 3 and result.complete
    assert result.servers == 4 and result.servers_without_tools == 1
    assert result.rows[3]["input_schema"]["properties"]["to_unit"] == {"type": "string"}
    assert all("limit=2" in path for path in registry.requests)


def test_a_server_error_is_retried_and_the_crawl_goes_on():
    """A 500 then a 503 on the second page are retried; the crawl still completes."""
    registry = _Registry(PAGES)
    registry.failures["io.github.example/slack:0.3.1"] = [500, 503]
    waits: list[float] = []
    with serve(registry) as url:
        result = crawl_registry(url, backoff=0.5, sleep=waits.append)
    assert result.complete and len(result.rows) == 4
    assert result.retries == 2 and waits == [0.5, 1.0]


def test_a_server_that_keeps_failing_ends_with_a_clear_error():
    """When retries run out the error names the URL, the status and the attempts."""
    registry = _Registry(PAGES)
    registry.failures[None] = [502, 502, 502]
    with serve(registry) as url, pytest.raises(CrawlError, match=r"HTTP 502.*after 3 attempts"):
        crawl_registry(url, retries=2, sleep=_no_sleep)


def test_a_malformed_page_is_a_clear_error():
    """A page without a 'servers' list raises CrawlError that names the expected shape."""
    registry = _Registry({None: "malformed.json"})
    with serve(registry) as url, pytest.raises(CrawlError, match=r"'servers' list \(MCP registry v0 shape\)"):
        crawl_registry(url, sleep=_no_sleep)


def test_a_not_found_is_not_retried():
    """A 404 (a wrong base URL) fails at once."""
    registry = _Registry(PAGES)
    with serve(registry) as url, pytest.raises(CrawlError, match="HTTP 404"):
        crawl_registry(url + "/wrong/servers", sleep=_no_sleep)
    assert len(registry.requests) == 1


def test_max_pages_stops_early():
    """With max_pages=1 only the first page is read and the result says it is incomplete."""
    with serve(_Registry(PAGES)) as url:
        result = crawl_registry(url, max_pages=1, sleep=_no_sleep)
    assert result.pages == 1 and not result.complete and len(result.rows) == 3


def test_gtm_scope_crawl_writes_rows_that_load_as_a_market(tmp_path):
    """The CLI writes JSONL market rows; load_market reads them back, servers included."""
    out = tmp_path / "crawl.jsonl"
    with serve(_Registry(PAGES)) as url:
        result = CliRunner().invoke(cli, ["scope", "crawl", url, "-o", str(out), "--include-servers"])
    assert result.exit_code == 0, result.output
    assert "5 tools from 4 servers" in result.output
    records = load_market(out)
    assert [r.name for r in records][-1] == "com.example/github-admin"
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["source"].startswith("127.0.0.1:")

"""Malformed and colliding protocol traffic against a real `gtm serve` process (issue 15 items 1 and 8).

Duplicate in-flight JSON-RPC ids in one HTTP session must be refused, never orphaned; and
stdio must answer what it cannot parse as HTTP does, then keep serving.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hostile_helpers import HttpSession, StdioServer, http_server, log

PAIRS = 200


def _pair(session: HttpSession, request_id: Any) -> list[tuple[int, Any]]:
    """Two tools/call with the same ``request_id``, sent at the same moment; both (status, body)."""
    barrier = threading.Barrier(2)
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def one(city: str) -> None:
        barrier.wait()
        try:
            answer = session.call("get_current_weather", {"city": city}, request_id=request_id, timeout=10)
        except OSError as exc:  # timed out: the request was orphaned
            answer = (0, repr(exc))
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=one, args=(city,)) for city in ("Oslo", "Lima")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_duplicate_in_flight_ids_in_one_http_session_are_refused_none_orphaned_and_sigterm_still_stops():
    """200 pairs of concurrent calls sharing an id: every request is answered (a result or a -32600 naming the id), then SIGTERM stops the server within seconds."""
    with http_server() as (process, port):
        session = HttpSession(port)
        ids: list[Any] = [i if i % 2 else f"req-{i}" for i in range(PAIRS)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            pairs = list(pool.map(lambda i: _pair(session, i), ids))
        orphaned = [(request_id, a) for request_id, pair in zip(ids, pairs, strict=True) for a in pair if a[0] == 0]
        refused = []
        for request_id, pair in zip(ids, pairs, strict=True):
            for status, body in pair:
                if status == 0:
                    continue
                assert isinstance(body, dict) and body.get("id") == request_id, (request_id, status, body)
                if "error" in body:
                    assert status == 409 and body["error"]["code"] == -32600, body
                    assert f"id {json.dumps(request_id)} is already in flight" in body["error"]["message"]
                    refused.append(request_id)
                else:
                    assert status == 200 and body["result"]["isError"] is False, body
        assert orphaned == []
        assert refused  # the pairs did overlap
        _, after = session.call("get_current_weather", {"city": "Oslo"}, request_id=ids[0])  # the id is free again
        assert after["result"]["isError"] is False
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=15)
        stopped_in = time.monotonic() - started
        stderr = log(process)
    assert status == 0 and stopped_in < 5, (status, stopped_in)
    assert "Traceback" not in stderr


def test_the_same_id_in_two_sessions_is_no_collision():
    """Ids are per session: two sessions may use the same id at the same moment."""
    with http_server() as (_, port):
        first, second = HttpSession(port), HttpSession(port)
        barrier = threading.Barrier(2)
        answers: list[Any] = [None, None]

        def one(index: int, session: HttpSession) -> None:
            barrier.wait()
            answers[index] = session.call("get_current_weather", {"city": "Oslo"}, request_id=1)

        threads = [threading.Thread(target=one, args=pair) for pair in enumerate((first, second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [a[0] for a in answers] == [200, 200]
    assert all(a[1]["result"]["isError"] is False for a in answers)


UNREADABLE = [
    pytest.param(b"{not json", -32700, None, id="invalid-json"),
    pytest.param(b"[" * 100_000, -32700, None, id="deep-nesting"),
    pytest.param(b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":' + b"[" * 3000 + b"]" * 3000 + b"}", -32700, None, id="deep-params"),
    pytest.param(b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600, None, id="batch"),
    pytest.param(b'"hello"', -32600, None, id="bare-string"),
    pytest.param(b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', -32600, None, id="object-id"),
    pytest.param(b'{"jsonrpc":"2.0","id":[1],"method":"tools/list"}', -32600, None, id="array-id"),
    pytest.param(b'{"jsonrpc":"2.0","id":true,"method":"ping"}', -32600, None, id="boolean-id"),
    pytest.param(b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', -32600, None, id="fraction-id"),
    pytest.param(b'{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600, None, id="null-id"),
    pytest.param(b'{"jsonrpc":"2.0","id":5}', -32600, 5, id="no-method"),
    pytest.param(b'{"jsonrpc":"1.0","id":"six","method":"ping"}', -32600, "six", id="wrong-version"),
]


@pytest.fixture(scope="module")
def stdio_server():
    server = StdioServer()
    server.initialize()
    yield server
    server.close()


@pytest.mark.parametrize(("line", "code", "request_id"), UNREADABLE)
def test_stdio_answers_a_line_it_cannot_read_as_http_does_and_keeps_serving(stdio_server, line, code, request_id):
    """Each unreadable line gets one JSON-RPC error (-32700 parse, -32600 invalid request, with the id when usable) and a log line; the next request is served."""
    logged = len(stdio_server.stderr)
    stdio_server.write(line)
    answer = stdio_server.read(timeout=10)
    assert answer["id"] == request_id and answer["error"]["code"] == code, answer
    assert len(answer["error"]["message"]) < 600
    assert stdio_server.request("ping", 99, {}, timeout=10) == {"jsonrpc": "2.0", "id": 99, "result": {}}
    said = b"".join(stdio_server.stderr[logged:]).decode()
    assert f"answered an unreadable message with {code}" in said and "Traceback" not in said


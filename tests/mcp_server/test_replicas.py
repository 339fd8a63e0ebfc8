"""The replicas recipe, for real: gtm serve replicas on a shared Redis behind HAProxy; any replica answers any call of any episode."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hostile_helpers import _message, gtm, post
from mcp_helpers import free_port, stop, wait_until_listening
from redis_server import RedisServer, require_redis

pytestmark = pytest.mark.slow
HAPROXY = shutil.which("haproxy")
TICKET = {"subject": "Printer on fire", "description": "It is on fire.", "requester_email": "a@example.com"}
HEADERS = {"MCP-Protocol-Version": "2025-11-25"}


def haproxy_config(listen: int, ports: list[int]) -> str:
    """The recipe's HAProxy configuration (README, "More than one process"), on test ports."""
    servers = "\n".join(f"    server r{i} 127.0.0.1:{port} check inter 500ms fall 2 rise 1" for i, port in enumerate(ports))
    return f"""global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 2
    option redispatch
    option http-server-close
    http-reuse never
frontend mcp
    bind 127.0.0.1:{listen}
    default_backend gtm
backend gtm
    balance roundrobin
    http-request set-header Host 127.0.0.1
    http-response set-header X-Served-By %s
{servers}
"""


def _replica(port: int, redis_url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        gtm("serve", "--transport", "http", "--port", str(port), "--episodes", redis_url, "--stateless-http", "--allowed-host", "127.0.0.1",
            "--log-level", "warning"), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_until_listening(process, port)
    return process


def _call(port: int, tool: str, arguments: dict, episode: str) -> tuple[dict, str]:
    status, body, headers = post(port, _message("tools/call", 1, {"name": tool, "arguments": arguments, "_meta": {"gtm/episode": episode}}), HEADERS)
    assert status == 200, (status, body)
    return body["result"], headers.get("x-served-by", "")


@pytest.fixture
def cluster(tmp_path: Path):
    """Redis, two replicas and HAProxy in front: yields (the HAProxy port, the replica processes)."""
    require_redis()
    if HAPROXY is None:
        pytest.skip("haproxy not found: apt-get install haproxy (or run .ci/setup)")
    with RedisServer(tmp_path / "redis") as redis:
        ports = [free_port(), free_port()]
        replicas = [_replica(port, redis.url) for port in ports]
        listen = free_port()
        (tmp_path / "haproxy.cfg").write_text(haproxy_config(listen, ports), encoding="utf-8")
        balancer = subprocess.Popen([HAPROXY, "-f", str(tmp_path / "haproxy.cfg"), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until_listening(balancer, listen)
            yield listen, replicas
        finally:
            stop(balancer)
            for replica in replicas:
                stop(replica)


def test_a_ticket_created_through_one_replica_is_read_through_the_other(cluster):
    """HAProxy sends the create to one replica and the read to the other; the read finds the ticket with its subject."""
    listen, _ = cluster
    created, first = _call(listen, "create_support_ticket", TICKET, "ep-1")
    ticket = json.loads(created["content"][0]["text"])["support_ticket_id"]
    read, second = _call(listen, "get_support_ticket", {"support_ticket_id": ticket}, "ep-1")
    assert {first, second} == {"r0", "r1"}
    assert not read.get("isError") and json.loads(read["content"][0]["text"])["subject"] == "Printer on fire"


def test_sigkill_of_a_replica_during_a_load_run_loses_no_episode_and_no_completed_call(cluster):
    """40 episodes make calls in 4 threads through HAProxy; one replica is SIGKILLed midway. Every call answered OK is in its episode afterwards."""
    listen, replicas = cluster
    answered: dict[str, list[str]] = {f"ep-{n}": [] for n in range(40)}
    lock = threading.Lock()

    def run(episodes: list[str]) -> None:
        for round_ in range(6):
            for episode in episodes:
                subject = f"{episode}-{round_}"
                try:
                    result, _ = _call(listen, "create_support_ticket", {**TICKET, "subject": subject}, episode)
                except (AssertionError, OSError):
                    continue  # a request cut by the kill: not answered, so not counted
                if not result.get("isError"):
                    with lock:
                        answered[episode].append(subject)

    names = list(answered)
    threads = [threading.Thread(target=run, args=(names[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    os.kill(replicas[0].pid, signal.SIGKILL)
    for thread in threads:
        thread.join()
    assert sum(map(len, answered.values())) > 120  # the survivor kept answering
    time.sleep(2.5)  # HAProxy's health check (every 0.5 s, down after 2 failures) takes the dead replica out
    lost = {}
    for episode, subjects in answered.items():
        listed, _ = _call(listen, "list_support_tickets", {"limit": 100}, episode)
        text = listed["content"][0]["text"]
        missing = [s for s in subjects if s not in text]
        if missing:
            lost[episode] = missing
    assert lost == {}

"""Helpers for the MCP server tests: protocol eras, small specs, generated catalogs, listing."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from typing import Any

import pytest
from mcp import Client

from gtm_core import ToolSpec

LEGACY = "legacy"  # the initialize handshake (2025-11-25)
MODERN = "auto"  # server/discover, then the 2026-07-28 per-request envelope
ERAS = [pytest.param(LEGACY, id="2025-11-25"), pytest.param(MODERN, id="2026-07-28")]

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    field="Weather",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 1},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "additionalProperties": False,
    },
    required=["city"],
    response={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "temperature": {"type": "number", "minimum": -60, "maximum": 60},
            "conditions": {"type": "string", "enum": ["sunny", "cloudy", "rain", "snow"]},
        },
        "required": ["city", "temperature", "conditions"],
    },
)

QUOTE = ToolSpec(
    "get_quote",
    "A famous quote about a topic.",
    field="Culture",
    parameters={"type": "object", "properties": {"topic": {"type": "string"}}},
    response="A quote as plain text.",
)


def varied_specs(count: int, *, seed: int = 0) -> list[ToolSpec]:
    """``count`` tool specs with varied parameter and response schemas, in 12 fields."""
    rng = random.Random(seed)
    verbs = ["get", "list", "create", "update", "search", "convert", "check", "send"]
    nouns = ["invoice", "flight", "weather", "stock", "recipe", "ticket", "playlist", "sensor", "user", "route"]
    kinds: list[dict[str, Any]] = [
        {"type": "string", "minLength": 1},
        {"type": "string", "enum": ["low", "medium", "high"]},
        {"type": "integer", "minimum": 0, "maximum": 1000},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}, "required": ["lat"]},
        {"type": "string", "format": "date"},
    ]
    specs = []
    for i in range(count):
        verb, noun = rng.choice(verbs), rng.choice(nouns)
        properties = {f"p{j}_{noun}": dict(rng.choice(kinds)) for j in range(rng.randint(0, 5))}
        required = [p for p in properties if rng.random() < 0.4]
        shape = i % 3
        if shape == 0:
            response: Any = {"type": "object", "properties": {"id": {"type": "string"}, "value": {"type": "number"}}, "required": ["id"]}
        elif shape == 1:
            response = f"The {noun} as text."
        else:
            response = None
        specs.append(
            ToolSpec(
                f"{verb}_{noun}_{i:05d}",
                f"{verb.title()} a {noun} (tool {i}).",
                field=f"Field{i % 12}",
                parameters={"type": "object", "properties": properties},
                required=required,
                response=response,
            )
        )
    return specs


async def list_all(client: Client) -> list[Any]:
    """Every tool of every tools/list page."""
    tools: list[Any] = []
    cursor = None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools += page.tools
        cursor = page.next_cursor
        if cursor is None:
            return tools


# ---- server processes ------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(process: subprocess.Popen[Any], port: int, timeout: float = 60.0) -> None:
    """Return once ``port`` accepts connections; fail if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"the server did not listen on port {port} within {timeout} s")


def stop(process: subprocess.Popen[Any]) -> None:
    """Terminate a server process (kill it if it lingers) and close its pipes."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()

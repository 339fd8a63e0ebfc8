"""Helpers for the MCP server tests: protocol eras, small specs, generated catalogs, listing."""

from __future__ import annotations

import random
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

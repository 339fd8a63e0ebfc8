"""Hostile values against a real `gtm serve` process: NaN, lone surrogates, non-object arguments.

Regression tests for items 4, 7 and 10 of issue 15. One HTTP server (the shipped catalog)
serves the module; the Python API cases run in process.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator

import pytest
from hostile_helpers import HttpSession, StdioServer, http_server, run_cli, text_of

from gtm_core import Catalog, Simulator
from gtm_core.checks import check_arguments
from gtm_core.sampler import sample_arguments

TRANSFER = {"from_account_id": "acc_y0cq65", "to_iban": "CQ41Z7T5JGB7CEC88", "recipient_name": "Wei Chen", "amount": math.nan, "currency": "BRL"}


@pytest.fixture(scope="module")
def session() -> Iterator[HttpSession]:
    with http_server() as (_, port):
        yield HttpSession(port)


def _bounded_numbers(catalog: Catalog) -> list[tuple[str, str]]:
    """(tool, parameter) for every top-level numeric parameter with a bound."""
    found = []
    for spec in catalog:
        for name, schema in spec.properties.items():
            if isinstance(schema, dict) and schema.get("type") in ("number", "integer") and any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
                found.append((spec.name, name))
    return found


def test_nan_in_a_bounded_number_is_an_invalid_value_over_http(session):
    """The issue's transfer_funds call with amount NaN (sent as the JSON token NaN) is an invalid_value error result."""
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "transfer_funds", "arguments": TRANSFER}}).encode()
    assert b"NaN" in body
    status, answer = session.send(body)
    assert status == 200 and answer["result"]["isError"] is True
    error = text_of(answer)["error"]
    assert error["type"] == "invalid_value" and error["details"][0]["parameter"] == "amount"
    assert "finite number" in error["message"]


def test_no_bounded_number_of_the_shipped_catalog_accepts_nan_or_infinity(session):
    """Every bounded numeric parameter of the shipped catalog refuses NaN, Infinity and -Infinity."""
    catalog = Catalog.shipped()
    cases = _bounded_numbers(catalog)
    assert len(cases) > 50
    rng = random.Random(4)
    accepted = []
    for index, (tool, parameter) in enumerate(cases):
        arguments = sample_arguments(catalog.get(tool), rng=rng, optional=0.0)
        arguments[parameter] = [math.nan, math.inf, -math.inf][index % 3]
        _, answer = session.call(tool, arguments, episode=f"nan-{index}")
        if not answer["result"].get("isError") or text_of(answer)["error"]["type"] != "invalid_value":
            accepted.append((tool, parameter))
    assert accepted == []


def test_check_arguments_refuses_nan_where_a_bound_would_let_it_through():
    """The checks themselves (fast predicate and jsonschema path) call NaN and infinities invalid values."""
    spec = Catalog.shipped().get("transfer_funds")
    for value in (math.nan, math.inf, -math.inf):
        problems = check_arguments(spec, {**TRANSFER, "amount": value})
        assert [(p.kind.value, p.parameter) for p in problems] == [("invalid_value", "amount")]


def test_a_lone_surrogate_is_an_invalid_value_and_the_batch_keeps_its_other_results():
    """simulate_batch answers a lone surrogate (in a value or a key) with invalid_value and still answers the rest."""
    with Simulator() as simulator:
        results = simulator.simulate_batch(
            [("get_current_weather", {"city": "\ud800"}), ("get_current_weather", {"city": "Oslo"}), ("get_current_weather", {"city": "Oslo", "\udfff": 1})]
        )
    assert [r.is_error for r in results] == [True, False, True]
    assert results[0].error_kind == "invalid_value" and "lone UTF-16 surrogate" in results[0].content
    assert results[2].error_kind == "invalid_value"
    results[0].content.encode("utf-8")  # the answer itself is valid text


@pytest.mark.anyio
async def test_the_in_process_mcp_client_survives_a_lone_surrogate():
    """The README's in-process client gets an invalid_value result, and the next call still works."""
    from mcp import Client

    from mcp_server import GTMServer

    async with Client(GTMServer().server) as client:
        bad = await client.call_tool("get_current_weather", {"city": "\ud800"})
        good = await client.call_tool("get_current_weather", {"city": "Oslo"})
    assert bad.is_error and bad.meta["gtm/error_kind"] == "invalid_value"
    assert not good.is_error


def test_gtm_simulate_answers_a_lone_surrogate_with_an_error_not_a_traceback():
    """`gtm simulate --args '{"city":"\\ud800"}'` prints the invalid_value error, no traceback."""
    done = run_cli(["simulate", "get_current_weather", "--args", '{"city":"\\ud800"}', "--json"])
    assert "Traceback" not in done.stderr
    assert "invalid_value" in done.stdout


@pytest.mark.parametrize("arguments", ["hello", [1, 2], 3, 2.5, True], ids=["string", "array", "integer", "number", "boolean"])
def test_non_object_arguments_get_the_tools_own_error_result_over_http(session, arguments):
    """A string, array, number or boolean as arguments is an isError arguments_not_object result, not a bare -32602."""
    status, answer = session.call("get_current_weather", arguments)
    assert status == 200 and "error" not in answer
    assert answer["result"]["isError"] is True
    error = text_of(answer)["error"]
    assert error["type"] == "arguments_not_object" and error["tool"] == "get_current_weather"
    assert "JSON object" in error["message"]


def test_non_object_arguments_get_an_error_result_over_stdio():
    """Over stdio too, an array as arguments is answered with the tool's own error result."""
    server = StdioServer()
    try:
        server.initialize()
        answer = server.request("tools/call", 5, {"name": "get_current_weather", "arguments": ["Oslo"]})
    finally:
        server.close()
    assert answer["id"] == 5 and answer["result"]["isError"] is True
    assert text_of(answer)["error"]["type"] == "arguments_not_object"

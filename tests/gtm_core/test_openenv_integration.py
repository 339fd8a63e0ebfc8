"""The OpenEnv adapter against the real openenv-core: its own FastAPI server hosts GTMEnvironment, and its own
websocket client (GenericEnvClient) runs reset / step / state."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator

import pytest

pytest.importorskip("openenv.core.env_server", reason="openenv-core is not installed: pip install -e '.[rl]' (see .ci/setup)")
pytestmark = pytest.mark.slow  # a real server and websocket client

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import uvicorn
    from openenv.core.env_server import create_app
    from openenv.core.env_server.mcp_types import CallToolAction, CallToolObservation
    from openenv.core.generic_client import GenericEnvClient

from gtm_core import Simulator  # noqa: E402
from gtm_core.integrations.openenv import GTMEnvironment  # noqa: E402
from gtm_core.rewards import EpisodeState  # noqa: E402

ORDER = {"customer_email": "ann@example.com", "currency": "EUR", "items": [{"product_id": "SKU-1001", "quantity": 2}]}


def shipped(state: EpisodeState) -> float:
    made = state.created("order")
    return 1.0 if len(made) == 1 and made[0]["record"].get("status") == "shipped" else 0.0


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Simulator]]:
    simulator = Simulator()
    app = create_app(lambda: GTMEnvironment(simulator, reward=shipped), CallToolAction, CallToolObservation, max_concurrent_envs=8)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", simulator
    uv.should_exit = True
    thread.join(timeout=10)


def test_reset_step_and_state_through_openenvs_own_client(server):
    """reset opens an episode with hidden context; call_tool steps create and ship an order (reward 0 then 1);
    state is the snapshot and the diff; the end of the client's session closes the episode."""
    url, simulator = server
    with GenericEnvClient(base_url=url).sync() as env:
        first = env.reset(episode_id="oe-1", hidden_context={"goal": "ship"})
        created = env.step({"type": "call_tool", "tool_name": "create_order", "arguments": ORDER})
        order_id = created.observation["result"]["order_id"]
        shipped_step = env.step({"type": "call_tool", "tool_name": "update_order", "arguments": {"order_id": order_id, "status": "shipped"}})
        state = env.state()
        context = simulator.episode("oe-1").hidden_context
    assert simulator.episodes.peek("oe-1") is None  # the session ended: its environment closed the episode
    assert context == {"goal": "ship"}
    assert "create_order" in {t["name"] for t in first.observation["tools"]}
    assert created.reward == 0.0 and shipped_step.reward == 1.0
    assert state["episode_id"] == "oe-1" and state["step_count"] == 2
    assert list(state["snapshot"]["resources"]["order"]["records"]) == [order_id]
    assert [c["key"] for c in state["diff"]["created"]] == [order_id]


def test_a_bad_call_is_an_error_observation_and_reset_starts_a_fresh_world(server):
    """Missing arguments: the tool's error as the result (is_error in metadata); after reset the world is empty."""
    url, _ = server
    with GenericEnvClient(base_url=url).sync() as env:
        env.reset(episode_id="oe-2")
        env.step({"type": "call_tool", "tool_name": "create_order", "arguments": ORDER})
        bad = env.step({"type": "call_tool", "tool_name": "create_order", "arguments": {"currency": "EUR"}})
        env.reset(episode_id="oe-3")
        state = env.state()
    assert "missing" in str(bad.observation["result"]).lower()
    assert state["snapshot"]["resources"] == {} and state["snapshot"]["episode"] == "oe-3"

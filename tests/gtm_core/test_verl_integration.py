"""The verl adapter, against the real verl package: its tool registry loads our YAML, and its agent loop's own
``_call_tool`` drives GTMTool (create, execute, release around every call), so episodes must follow the rollout."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("verl.tools.tool_registry", reason="verl is not installed: pip install -e '.[rl]' (see .ci/setup)")
pytestmark = pytest.mark.slow  # importing verl's agent loop (ray, datasets) takes about 20 s

with warnings.catch_warnings():  # verl imports ray's deprecated state API
    warnings.simplefilter("ignore", DeprecationWarning)
    from verl.experimental.agent_loop.tool_agent_loop import AgentData, ToolAgentLoop  # noqa: E402
    from verl.experimental.agent_loop.tool_parser import FunctionCall  # noqa: E402
from verl.tools.tool_registry import initialize_tools_from_config  # noqa: E402

from gtm_core.cli import main  # noqa: E402

ORDER = {"customer_email": "ann@example.com", "currency": "EUR", "items": [{"product_id": "SKU-1001", "quantity": 2}]}
REWARD = '''
def shipped(state):
    made = state.created("order")
    return 1.0 if len(made) == 1 and made[0]["record"].get("status") == "shipped" else 0.0
'''


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _tools(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    (tmp_path / "reward.py").write_text(REWARD, encoding="utf-8")
    config = tmp_path / "tools.yaml"
    with pytest.raises(SystemExit) as done:
        main(["integrations", "verl-config", "--tools", "*_order", "--tools", "list_orders", "--seed", "7",
              "--reward", f"{tmp_path / 'reward.py'}:shipped", "-o", str(config), *extra])  # fmt: skip
    assert done.value.code == 0
    tools = initialize_tools_from_config(str(config))
    capsys.readouterr()  # verl prints every schema it loads
    return {tool.name: tool for tool in tools}


def _loop(tools: dict[str, Any]) -> Any:
    """What ToolAgentLoop._call_tool reads from its instance."""
    return SimpleNamespace(tools=tools, max_tool_response_length=100_000, tool_response_truncate_side="middle")


def _rollout(request_id: str, tools_kwargs: dict[str, Any] | None = None) -> AgentData:
    return AgentData(messages=[], image_data=None, video_data=None, audio_data=None, mm_processor_kwargs=None, metrics={}, request_id=request_id, tools_kwargs=tools_kwargs or {})


async def _call(loop: Any, rollout: AgentData, name: str, arguments: dict[str, Any]) -> tuple[Any, float, dict]:
    call = FunctionCall(name=name, arguments=json.dumps(arguments))
    return await ToolAgentLoop._call_tool(loop, call, rollout.tools_kwargs, rollout)


def test_verl_loads_the_generated_yaml_as_gtm_tools_with_their_schemas(tmp_path, capsys):
    """One GTMTool per selected tool; verl's schema model holds each parameter's type and the required list."""
    tools = _tools(tmp_path, capsys)
    assert sorted(tools) == ["create_order", "delete_order", "get_order", "list_orders", "update_order"]
    schema = tools["create_order"].tool_schema.function
    assert {"customer_email", "items", "currency"} <= set(schema.parameters.required)
    assert schema.parameters.properties["items"].type == "array"
    assert type(tools["get_order"]).__name__ == "GTMTool"


@pytest.mark.anyio
async def test_the_tools_of_one_rollout_share_its_episode_across_create_and_release(tmp_path, capsys):
    """verl creates and releases an instance around every call: what create_order made, get_order (another tool,
    another instance) finds in the same rollout, and a second rollout does not; step rewards add up to the final one."""
    tools = _tools(tmp_path, capsys)
    loop = _loop(tools)
    a = _rollout("rollout-a", {"create_order": {"create_kwargs": {"hidden_context": {"goal": "ship it"}}}})
    b = _rollout("rollout-b")
    created, r1, metrics = await _call(loop, a, "create_order", ORDER)
    order_id = json.loads(created.text)["order_id"]
    in_b, _, _ = await _call(loop, b, "get_order", {"order_id": order_id})
    in_a, _, _ = await _call(loop, a, "get_order", {"order_id": order_id})
    shipped, r2, _ = await _call(loop, a, "update_order", {"order_id": order_id, "status": "shipped"})
    assert json.loads(in_a.text)["customer_email"] == "ann@example.com"
    assert json.loads(in_b.text).get("customer_email") != "ann@example.com"
    assert metrics["gtm_episode"] == "verl:rollout-a" and a.extra_fields["gtm"] == {"episode": "verl:rollout-a", "reward": 1.0}
    assert (r1, r2) == (0.0, 1.0)
    backend = tools["get_order"].backend
    assert backend is tools["create_order"].backend
    assert backend.simulator.episode("verl:rollout-a").hidden_context == {"goal": "ship it"}
    assert await tools["get_order"].end_rollout("rollout-a") and not backend.is_open("verl:rollout-a")
    assert backend.is_open("verl:rollout-b")


@pytest.mark.anyio
async def test_an_instance_used_without_a_rollout_owns_its_episode_and_release_closes_it(tmp_path, capsys):
    """create → execute → calc_reward → release by hand: the episode is the instance's, and release frees it."""
    tool = _tools(tmp_path, capsys)["create_order"]
    instance, _ = await tool.create()
    response, _, metrics = await tool.execute(instance, ORDER)
    bad, _, bad_metrics = await tool.execute(instance, {"currency": "EUR"})
    assert "order_id" in json.loads(response.text)
    assert bad_metrics["gtm_is_error"] and bad_metrics["gtm_error_kind"] == "missing_required"
    assert await tool.calc_reward(instance) == 0.0  # created, not shipped
    episode = metrics["gtm_episode"]
    assert tool.backend.is_open(episode)
    await tool.release(instance)
    assert not tool.backend.is_open(episode)


def test_verl_config_refuses_a_selection_that_matches_nothing(tmp_path):
    """--tools that match no tool: a usage error naming the globs, no file written."""
    with pytest.raises(SystemExit) as done:
        main(["integrations", "verl-config", "--tools", "no_such_*", "-o", str(tmp_path / "t.yaml")])
    assert done.value.code == 2 and not (tmp_path / "t.yaml").exists()

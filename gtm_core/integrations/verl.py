"""verl: simulated tools as verl ``BaseTool`` subclasses (``pip install 'gtm-toolkit[rl]'``).

``gtm integrations verl-config`` writes the tool YAML that verl's ``tool_config_path`` reads;
each entry is a ``GTMTool`` whose config names where the episodes live (a catalog simulated in
the rollout worker, or a ``gtm serve`` at ``server_url``) and an optional reward.

How verl calls tools, and so how episodes follow rollouts: verl's ``ToolAgentLoop`` (0.9)
creates a tool instance before *every* call, executes it with ``agent_data=`` (the rollout),
and releases it right after. An episode tied to the instance would lose its world between the
calls of one trajectory, so the episode follows the rollout: ``verl:<agent_data.request_id>``,
shared by every GTM tool of that rollout. Only an instance used without ``agent_data`` (a
caller that does create → execute… → release itself) owns an episode of its own, which
``release`` closes. Rollout episodes end when ``GTMTool.end_rollout(request_id)`` is called or,
failing that, by the store's limits (least recently used beyond ``max_episodes``, idle beyond
``idle_seconds``).

``create_kwargs`` (verl's per-sample ``tools_kwargs[tool]["create_kwargs"]``) may carry
``seed`` (the world the episode starts with) and ``hidden_context`` (task information for the
engine); they apply when the rollout's episode is opened, by its first tool call.

Rewards: with ``reward: "module:function"`` in the config (see ``gtm_core.rewards``), every
``execute`` returns as its step reward the change of the reward since the previous step, so
the step rewards of a trajectory add up to the reward of its final state; ``calc_reward``
returns that reward, and ``agent_data.extra_fields["gtm"]`` holds the episode id and the
latest reward for verl's reward functions to read.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from verl.tools.base_tool import BaseTool
from verl.tools.schemas import OpenAIFunctionToolSchema, ToolResponse

from ..rewards import RewardFn, load_reward, score
from .episodes import EpisodeBackend, IntegrationError, backend_from_config
from .verl_config import verl_tool_schema

__all__ = ["GTMTool"]

logger = logging.getLogger(__name__)

ROLLOUT_PREFIX = "verl:"
_MAX_TRACKED = 100_000  # last rewards remembered per process (rollout episodes have no end hook)


@dataclass
class _Instance:
    episode: str | None  # None until the first execute decides (rollout or own)
    create_kwargs: dict[str, Any]
    owns_episode: bool = False


class GTMTool(BaseTool):  # type: ignore[misc]  # verl is untyped
    """One simulated tool for verl; ``config`` comes from the YAML ``gtm integrations verl-config`` writes."""

    _last_reward: OrderedDict[str, float] = OrderedDict()

    def __init__(self, config: dict[str, Any], tool_schema: OpenAIFunctionToolSchema | None) -> None:
        self.backend: EpisodeBackend = backend_from_config(config)
        if tool_schema is None:
            name = config.get("tool")
            spec = next((s for s in self.backend.specs if s.name == name), None)
            if spec is None:
                raise IntegrationError(f"GTMTool: config 'tool' {name!r} is not a tool of the catalog; write the YAML with gtm integrations verl-config")
            tool_schema = OpenAIFunctionToolSchema.model_validate(verl_tool_schema(spec))
        self.reward_fn: RewardFn | None = load_reward(config["reward"]) if config.get("reward") else None
        self._instances: dict[str, _Instance] = {}
        super().__init__(config, tool_schema)

    async def create(self, instance_id: str | None = None, **kwargs: Any) -> tuple[str, ToolResponse]:
        instance_id = instance_id or uuid4().hex
        self._instances[instance_id] = _Instance(None, dict(kwargs.get("create_kwargs") or {}))
        return instance_id, ToolResponse()

    async def execute(self, instance_id: str, parameters: dict[str, Any], **kwargs: Any) -> tuple[ToolResponse, float, dict[str, Any]]:
        instance = self._instances.get(instance_id)
        if instance is None:  # execute without create: behave as a one-call instance
            instance = self._instances[instance_id] = _Instance(None, {})
        agent_data = kwargs.get("agent_data")
        if instance.episode is None:
            request_id = getattr(agent_data, "request_id", None)
            instance.episode = f"{ROLLOUT_PREFIX}{request_id}" if request_id else f"{ROLLOUT_PREFIX}instance:{instance_id}"
            instance.owns_episode = not request_id
        episode = instance.episode
        if not self.backend.is_open(episode):
            await self.backend.open(episode, seed=instance.create_kwargs.get("seed"), hidden_context=instance.create_kwargs.get("hidden_context"))
        answer = await self.backend.call(episode, self.name, parameters)
        metrics: dict[str, Any] = {"gtm_episode": episode, "gtm_is_error": answer.is_error}
        if answer.error_kind:
            metrics["gtm_error_kind"] = answer.error_kind
        step_reward = 0.0
        if self.reward_fn is not None:
            reward = score(self.reward_fn, await self.backend.state(episode))
            step_reward = reward - self._last_reward.get(episode, 0.0)
            self._remember(episode, reward)
            metrics["gtm_reward"] = reward
        extra = getattr(agent_data, "extra_fields", None)
        if isinstance(extra, dict):
            extra["gtm"] = {"episode": episode, "reward": self._last_reward.get(episode)}
        return ToolResponse(text=answer.text), step_reward, metrics

    async def calc_reward(self, instance_id: str, **kwargs: Any) -> float:
        """The reward of the instance's episode as it is now (0.0 without a reward function or an episode)."""
        instance = self._instances.get(instance_id)
        if self.reward_fn is None or instance is None or instance.episode is None:
            return 0.0
        return score(self.reward_fn, await self.backend.state(instance.episode))

    async def release(self, instance_id: str, **kwargs: Any) -> None:
        """Forget the instance; close its episode only when it owned one (no rollout shares it)."""
        instance = self._instances.pop(instance_id, None)
        if instance is not None and instance.owns_episode and instance.episode is not None:
            await self.end_episode(instance.episode)

    async def end_rollout(self, request_id: str) -> bool:
        """Close the episode of a rollout (``agent_data.request_id``) and free what it held."""
        return await self.end_episode(f"{ROLLOUT_PREFIX}{request_id}")

    async def end_episode(self, episode: str) -> bool:
        self._last_reward.pop(episode, None)
        return await self.backend.close(episode)

    def _remember(self, episode: str, reward: float) -> None:
        last = self._last_reward
        last[episode] = reward
        last.move_to_end(episode)
        while len(last) > _MAX_TRACKED:
            last.popitem(last=False)

"""OpenEnv: simulated tools as an OpenEnv ``Environment`` (``pip install 'gtm-toolkit[rl]'``).

``GTMEnvironment(simulator)`` answers OpenEnv's MCP actions: ``ListToolsAction`` lists the
catalog's tools, ``CallToolAction(tool_name, arguments)`` simulates a call in the current
episode. ``reset(seed, episode_id, hidden_context=..., world=...)`` opens a fresh episode
(``episode_id``, or a new random one; ``world`` is the seed records it starts with); ``state``
is the episode's id, its step count, its world snapshot and the diff since reset. With
``reward`` (a function of ``gtm_core.rewards.EpisodeState``), every call observation carries
the reward of the world as it is after the call.

Serve it with OpenEnv's own server, one environment per client session sharing one Simulator::

    from openenv.core.env_server import create_app
    from openenv.core.env_server.mcp_types import CallToolAction, CallToolObservation
    app = create_app(lambda: GTMEnvironment(simulator), CallToolAction, CallToolObservation, max_concurrent_envs=64)

Each environment closes its episode when it is reset again or closed.
"""

from __future__ import annotations

from typing import Any

from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.mcp_types import (
    CallToolAction,
    CallToolObservation,
    ListToolsAction,
    ListToolsObservation,
    Tool,
    ToolError,
    ToolErrorType,
)
from openenv.core.env_server.types import Action, Observation, State

from ..rewards import EpisodeState, RewardFn, score
from ..simulator import Simulator

__all__ = ["GTMEnvironment"]


class GTMEnvironment(Environment):  # type: ignore[misc]  # openenv is untyped
    """An OpenEnv environment over a Simulator's tools; one episode at a time per environment."""

    SUPPORTS_CONCURRENT_SESSIONS = True  # each environment keeps its own episode; the Simulator is thread-safe

    def __init__(self, simulator: Simulator, *, reward: RewardFn | None = None) -> None:
        super().__init__()
        self.simulator = simulator
        self.reward_fn = reward
        self._episode: str | None = None
        self._steps = 0

    def reset(
        self,
        seed: int | None = None,
        episode_id: str | None = None,
        hidden_context: dict[str, Any] | None = None,
        world: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Observation:
        """Open a fresh episode; the observation lists the tools (``metadata`` names the episode).

        (OpenEnv's server passes only the keyword arguments this signature names.)
        """
        self.close()
        episode = self.simulator.open_episode(episode_id, seed=world, hidden_context=hidden_context)
        self._episode, self._steps = episode.id, 0
        return ListToolsObservation(tools=self._tools(), metadata={"episode": episode.id, "seed": seed})

    def step(self, action: Action, timeout_s: float | None = None, **kwargs: Any) -> Observation:
        if isinstance(action, ListToolsAction):
            return ListToolsObservation(tools=self._tools())
        if not isinstance(action, CallToolAction):
            message = f"GTMEnvironment takes ListToolsAction or CallToolAction, not {type(action).__name__}"
            return CallToolObservation(tool_name="", error=ToolError(error_type=ToolErrorType.INVALID_ARGS, message=message))
        if self._episode is None:
            self.reset()
        episode = self._episode
        assert episode is not None
        self._steps += 1
        result = self.simulator.simulate(action.tool_name, action.arguments, episode=episode)
        reward = score(self.reward_fn, self._state()) if self.reward_fn is not None else None
        metadata = {"episode": episode, "is_error": result.is_error, "error_kind": result.error_kind}
        return CallToolObservation(tool_name=action.tool_name, result=result.structured if result.structured is not None else result.content, reward=reward, metadata=metadata)

    @property
    def state(self) -> State:
        """The episode id, steps taken, and the world: ``snapshot`` and ``diff`` since reset."""
        if self._episode is None:
            return State(episode_id=None, step_count=0)
        current = self._state()
        return State(episode_id=self._episode, step_count=self._steps, snapshot=dict(current.snapshot), diff=dict(current.diff))

    def close(self) -> None:
        """Close the current episode, freeing its world."""
        if self._episode is not None:
            self.simulator.close_episode(self._episode)
            self._episode = None

    def _state(self) -> EpisodeState:
        episode = self._episode
        assert episode is not None
        live = self.simulator.episode(episode)
        return EpisodeState(episode, self.simulator.episode_snapshot(episode), self.simulator.episode_diff(episode), dict(live.hidden_context), live.calls)

    def _tools(self) -> list[Tool]:
        return [Tool(name=s.name, description=s.description, input_schema=s.input_schema) for s in self.simulator.catalog]

"""Episodes under hostile load (issue 15 items 3 and 6): a dropped episode is told, never re-invented; memory is bounded in bytes."""

from __future__ import annotations

import json
import sys

from hostile_helpers import HttpSession, http_server, log, text_of

from gtm_core import Catalog, Simulator
from gtm_core.episodes import EpisodeLimits
from gtm_core.sampler import sample_arguments


def test_an_evicted_episode_answers_episode_expired_over_http_never_an_invented_order():
    """With --max-episodes 3, the least recently used episode's next get_order is an episode_expired error, not a new world."""
    with http_server("--max-episodes", "3") as (process, port):
        session = HttpSession(port)
        arguments = sample_arguments(Catalog.shipped().get("create_order"), rng=1)
        _, created = session.call("create_order", arguments, episode="first")
        assert not created["result"].get("isError"), created
        order = text_of(created)
        order_id = order.get("order_id") or order.get("id")
        for name in ("second", "third", "fourth"):  # the fourth evicts "first"
            session.call("get_current_weather", {"city": "Oslo"}, episode=name)
        _, again = session.call("get_order", {"order_id": order_id}, episode="first")
        _, still = session.call("get_order", {"order_id": order_id}, episode="first")
        stderr = log(process)
    result = again["result"]
    assert result["isError"] is True and result["_meta"]["gtm/error_kind"] == "episode_expired"
    error = text_of(again)["error"]
    assert error["type"] == "episode_expired" and "first" in error["message"] and "new episode id" in error["message"]
    assert still["result"]["_meta"]["gtm/error_kind"] == "episode_expired"  # not a fresh world on the second try either
    assert "episode 'first' dropped" in stderr


def test_an_idle_episode_expires_with_a_counted_and_clear_error():
    """An episode idle past idle_seconds answers episode_expired; the store counts it; reset starts it afresh."""
    with Simulator(episode_limits=EpisodeLimits(idle_seconds=60)) as simulator:
        assert not simulator.simulate("get_current_weather", {"city": "Oslo"}, episode="idle").is_error
        simulator.episodes.get("idle").last_used -= 120
        expired = simulator.simulate("get_current_weather", {"city": "Oslo"}, episode="idle")
        assert expired.is_error and expired.error_kind == "episode_expired" and "idle for more than 60 s" in expired.content
        assert simulator.episodes.expired == 1
        simulator.reset_episode("idle")
        assert not simulator.simulate("get_current_weather", {"city": "Oslo"}, episode="idle").is_error


def _retained_bytes(simulator: Simulator, episode_id: str) -> int:
    """What an episode holds, measured as the JSON of its history, call keys and tombstones."""
    episode = simulator.episodes.get(episode_id)
    history = sum(len(json.dumps([h.arguments, h.response], default=str)) for h in episode.history)
    keys = sum(sys.getsizeof(k) + 8 for k in episode._occurrences)
    tombstones = sum(len(i) for ids in episode.world._deleted.values() for i in ids)
    return history + keys + tombstones


def test_distinct_large_calls_keep_an_episode_within_its_byte_limits():
    """1,000 distinct 100 KB calls leave an episode holding at most its history bytes plus small call digests."""
    limits = EpisodeLimits(max_history_bytes=2_000_000)
    with Simulator(episode_limits=limits) as simulator:
        spec_args = {"city": "Oslo"}
        for i in range(1000):
            simulator.simulate("get_current_weather", {**spec_args, "city": f"{i}-" + "x" * 100_000}, episode="big")
        held = _retained_bytes(simulator, "big")
    assert held < limits.max_history_bytes + limits.max_call_keys * 64


def test_tombstones_of_deleted_ids_are_bounded():
    """20,000 deletes of distinct ids keep at most max_entities tombstones."""
    limits = EpisodeLimits(max_entities=500)
    with Simulator(episode_limits=limits) as simulator:
        results = simulator.simulate_batch([("delete_order", {"order_id": f"ord_{i}"}, "del") for i in range(20_000)])
        episode = simulator.episodes.get("del")
        kept = sum(len(ids) for ids in episode.world._deleted.values())
    assert all(not r.is_error for r in results[:10])
    assert kept <= 500

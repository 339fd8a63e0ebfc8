"""Episodes in a shared store (a real Redis, a SQLite file): any Simulator sharing the store continues any episode, no update is lost, the limits hold."""

from __future__ import annotations

import threading
import time

import pytest
from redis_server import RedisServer, free_port, require_redis

from gtm_core import Catalog, Simulator, ToolSpec, UnknownEpisodeError
from gtm_core.episode_codec import episode_from_json, episode_to_json
from gtm_core.episodes import EpisodeExpiredError, EpisodeLimits
from gtm_core.errors import StoreError
from gtm_core.stores import open_episode_store

TICKET = {"subject": "Printer on fire", "description": "It is on fire.", "requester_email": "a@example.com"}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    require_redis()
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture(params=["redis", "sqlite"])
def store_url(request, tmp_path):
    """A fresh store of each kind (its own key prefix on the shared Redis)."""
    if request.param == "redis":
        return f"{request.getfixturevalue('redis_url')}?prefix=t{time.monotonic_ns()}"
    return f"sqlite:{tmp_path / 'episodes.sqlite3'}"


@pytest.fixture(params=["memory", "redis", "sqlite"])
def any_store(request, tmp_path):
    """Every episode store: this process's memory, a fresh Redis prefix, a fresh SQLite file."""
    if request.param == "memory":
        return "memory"
    if request.param == "redis":
        return f"{request.getfixturevalue('redis_url')}?prefix=t{time.monotonic_ns()}"
    return f"sqlite:{tmp_path / 'lifecycle.sqlite3'}"


def _obj(props, required=None):
    return {"type": "object", "properties": props, "required": list(required or props)}


_S = {"type": "string"}
_TICKET = _obj({"ticket_id": {"type": "string", "pattern": "^TCK-[0-9]{4}$"}, "subject": _S, "status": {"type": "string", "enum": ["closed", "open", "pending"]}})


def _tickets() -> Catalog:
    """Tickets with a key, an initial state and a transition (ticket_close), in the resource model's terms."""
    return Catalog([
        ToolSpec("create_support_ticket", "Open a ticket.", parameters=_obj({"subject": _S}), response=_TICKET),
        ToolSpec("get_support_ticket", "Read a ticket.", parameters=_obj({"ticket_id": _S}), response=_TICKET),
        ToolSpec("ticket_close", "Close a ticket.", parameters=_obj({"ticket_id": _S}), response=_TICKET),
        ToolSpec("delete_support_ticket", "Delete a ticket.", parameters=_obj({"ticket_id": _S}), response=_obj({"deleted": {"type": "boolean"}})),
        ToolSpec("list_support_tickets", "List tickets.", parameters=_obj({"status": _S}, []),
                 response=_obj({"tickets": {"type": "array", "items": _TICKET}, "count": {"type": "integer"}})),
    ])  # fmt: skip


SEED = {"support_ticket": [{"ticket_id": "TCK-0001", "subject": "Seeded"}, {"ticket_id": "TCK-0002", "subject": "Also seeded"}]}


def _ticket_id(result) -> str:
    assert not result.is_error, result.content
    return str(result.structured["support_ticket_id"] if "support_ticket_id" in result.structured else result.structured["id"])


def test_an_episode_created_by_one_simulator_is_read_by_another_sharing_the_store(store_url):
    """Two Simulators (two replicas) on one store: a ticket created through one is found, then deleted, through the other."""
    with Simulator(episodes=store_url) as one, Simulator(episodes=store_url) as two:
        created = one.simulate("create_support_ticket", TICKET, episode="e1")
        ticket = _ticket_id(created)
        read = two.simulate("get_support_ticket", {"support_ticket_id": ticket}, episode="e1")
        assert not read.is_error and read.structured["subject"] == "Printer on fire"
        assert not two.simulate("delete_support_ticket", {"support_ticket_id": ticket}, episode="e1").is_error
        gone = one.simulate("get_support_ticket", {"support_ticket_id": ticket}, episode="e1")
        assert gone.error_kind == "not_found"
        assert one.episode("e1").calls == 4 and len(two.episode("e1").history) == 4


def test_concurrent_calls_of_one_episode_through_two_stores_lose_no_update(store_url):
    """Two threads, each with its own connection to the store, make 40 calls of one episode at once: all 80 are in it."""
    limits = EpisodeLimits(max_history=1000)
    stores = [open_episode_store(store_url, limits) for _ in range(2)]
    sims = [Simulator(episodes=store) for store in stores]

    def run(sim: Simulator, worker: int) -> None:
        for i in range(40):
            assert not sim.simulate("create_support_ticket", {**TICKET, "subject": f"{worker}-{i}"}, episode="busy").is_error

    threads = [threading.Thread(target=run, args=(sim, n)) for n, sim in enumerate(sims)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    episode = sims[0].episode("busy")
    assert episode.calls == 80 and len(episode.world) == 80
    assert {h.arguments["subject"] for h in episode.history} == {f"{w}-{i}" for w in range(2) for i in range(40)}
    for sim in sims:
        sim.close()


def test_an_idle_episode_in_a_shared_store_answers_episode_expired_until_reset(store_url):
    """Past the idle limit (Redis: the key's TTL) an episode that made calls is told it expired; reset starts it afresh."""
    with Simulator(episodes=store_url, episode_limits=EpisodeLimits(idle_seconds=0.3)) as sim:
        sim.simulate("create_support_ticket", TICKET, episode="sleepy")
        time.sleep(0.5)
        late = sim.simulate("list_support_tickets", {}, episode="sleepy")
        assert late.error_kind == "episode_expired" and "idle for more than 0.3 s" in late.content
        sim.reset_episode("sleepy")
        assert not sim.simulate("list_support_tickets", {}, episode="sleepy").is_error


def test_beyond_max_episodes_the_least_recently_used_is_dropped_and_told(store_url):
    """With room for two episodes, a third drops the one used longest ago; its next call answers episode_expired."""
    with Simulator(episodes=store_url, episode_limits=EpisodeLimits(max_episodes=2)) as sim:
        for name in ("a", "b", "c"):
            sim.simulate("create_support_ticket", TICKET, episode=name)
        assert sim.simulate("list_support_tickets", {}, episode="a").error_kind == "episode_expired"
        assert not sim.simulate("list_support_tickets", {}, episode="c").is_error
        assert len(sim.episodes) == 2


def test_a_forked_episode_in_a_shared_store_starts_as_a_copy_and_then_goes_its_own_way(store_url):
    """fork_episode copies history and world into the new id; calls in the fork never reach the original."""
    with Simulator(episodes=store_url) as sim:
        ticket = _ticket_id(sim.simulate("create_support_ticket", TICKET, episode="base"))
        sim.fork_episode("base", "branch")
        sim.simulate("delete_support_ticket", {"support_ticket_id": ticket}, episode="branch")
        assert not sim.simulate("get_support_ticket", {"support_ticket_id": ticket}, episode="base").is_error
        assert sim.simulate("get_support_ticket", {"support_ticket_id": ticket}, episode="branch").error_kind == "not_found"
        assert sim.close_episode("branch") and sim.episode("branch").calls == 0


def test_an_episode_survives_serialization_with_its_world_tombstones_and_counts():
    """episode_to_json then episode_from_json gives the same history, world (records, tombstones), hidden context and occurrence counts."""
    with Simulator() as sim:
        sim.episode("e", hidden_context={"answer": 42})
        ticket = _ticket_id(sim.simulate("create_support_ticket", TICKET, episode="e"))
        sim.simulate("create_support_ticket", TICKET, episode="e")
        sim.simulate("delete_support_ticket", {"support_ticket_id": ticket}, episode="e")
        episode = sim.episode("e")
        back = episode_from_json(episode_to_json(episode), episode.limits)
    assert list(back.history) == list(episode.history) and back.calls == 3
    assert vars(back.world) == vars(episode.world) and back.hidden_context == {"answer": 42}
    assert back._occurrences == episode._occurrences and back._history_bytes == episode._history_bytes


def test_an_unknown_episode_store_name_is_refused_with_the_choices():
    """A typo in --episodes says which forms exist."""
    with pytest.raises(StoreError, match=r"memory, redis://HOST:PORT/DB or sqlite:PATH"):
        open_episode_store("sqlite3://x")


def test_episodes_in_a_redis_that_is_down_answer_store_unavailable_and_work_again_when_it_is_back(tmp_path):
    """A call while Redis is stopped gets store_unavailable (nothing half-recorded); after a restart on the same port calls succeed."""
    require_redis()
    server = RedisServer(tmp_path / "r", port=free_port()).start()
    with Simulator(episodes=f"{server.url}?timeout=0.5") as sim:
        assert not sim.simulate("create_support_ticket", TICKET, episode="e").is_error
        server.stop()
        down = sim.simulate("list_support_tickets", {}, episode="e")
        assert down.error_kind == "store_unavailable" and "the episode store at" in down.content
        server.start()  # an empty Redis (no persistence here): the episode is new again
        assert not sim.simulate("list_support_tickets", {}, episode="e").is_error
    server.stop()


def test_gtm_simulate_with_sqlite_episodes_keeps_an_episode_across_separate_commands(tmp_path):
    """`gtm simulate --episodes sqlite:PATH --episode X`: a ticket created by one command is found by the next."""
    import json

    from click.testing import CliRunner

    from gtm_core.cli import cli

    store = f"sqlite:{tmp_path / 'episodes.sqlite3'}"
    created = CliRunner().invoke(cli, ["simulate", "create_support_ticket", "--args", json.dumps(TICKET), "--episodes", store, "--episode", "x"])
    assert created.exit_code == 0, created.output
    ticket = json.loads(created.stdout)["support_ticket_id"]
    read = CliRunner().invoke(cli, ["simulate", "get_support_ticket", "--args", json.dumps({"support_ticket_id": ticket}), "--episodes", store, "--episode", "x"])
    assert read.exit_code == 0 and json.loads(read.stdout)["subject"] == "Printer on fire"


def _lifecycle(sim: Simulator) -> list:
    """One rollout's lifecycle: open with a seed, hidden context and the closed rule; a transition, a delete,
    a made-up key, a real tool's answer, a fork; then reset. What each step showed, in order."""
    shown: list = []
    opened = sim.open_episode("run", seed=SEED, hidden_context={"goal": "close TCK-0001"}, unknown_keys="closed")
    shown.append((opened.id, opened.opening, opened.baseline))
    shown.append(sim.simulate("ticket_close", {"ticket_id": "TCK-0001"}, episode="run").structured)
    shown.append(sim.simulate("delete_support_ticket", {"ticket_id": "TCK-0002"}, episode="run").is_error)
    shown.append(sim.simulate("get_support_ticket", {"ticket_id": "TCK-0002"}, episode="run").error_kind)
    shown.append(sim.simulate("get_support_ticket", {"ticket_id": "TCK-9999"}, episode="run").error_kind)  # closed rule: made up
    made = sim.simulate("create_support_ticket", {"subject": "New"}, episode="run").structured
    shown.append(made)
    sim.record_external("run", "send_email", {"to": "a@example.com"}, {"sent": True}, is_error=False, size=20)
    shown.append(sim.episode_snapshot("run"))
    shown.append(sim.episode_diff("run"))
    sim.fork_episode("run", "run-fork")
    shown.append(sim.simulate("list_support_tickets", {"status": "closed"}, episode="run-fork").structured)
    shown.append(sim.episode_diff("run-fork"))
    episode = sim.episode("run")
    shown.append((episode.calls, [h.tool for h in episode.history], episode.hidden_context, episode.world.unknown_keys))
    sim.reset_episode("run")
    again = sim.episode("run")
    shown.append((again.calls, len(again.history), again.hidden_context, again.opening, sim.episode_snapshot("run") == opened.baseline | {"calls": 0}))
    shown.append(sim.episode_diff("run"))
    return shown


def test_the_episode_lifecycle_shows_the_same_in_every_store(any_store):
    """open_episode (seed, hidden context, unknown-key rule), a transition, a tombstone, record_external, episode_snapshot/diff,
    fork_episode and reset_episode show exactly what the in-memory store shows, step by step."""
    with Simulator(_tickets()) as memory:
        expected = _lifecycle(memory)
    with Simulator(_tickets(), episodes=any_store) as sim:
        assert _lifecycle(sim) == expected
    assert expected[3] == "not_found" and expected[4] == "not_found" and expected[1]["status"] == "closed"
    assert expected[-3][1] == ["ticket_close", "delete_support_ticket", "get_support_ticket", "get_support_ticket", "create_support_ticket", "send_email"]
    assert expected[-2][:4] == (0, 0, {"goal": "close TCK-0001"}, expected[0][1]) and expected[-2][4]
    assert expected[-1] == {"created": [], "changed": [], "deleted": []}


def test_a_second_simulator_on_a_shared_store_reads_the_snapshot_and_diff_of_an_episode_the_first_opened(store_url):
    """Opened through one replica, changed through it: the other replica's episode_snapshot and episode_diff agree, and its reset keeps the seed."""
    with Simulator(_tickets(), episodes=store_url) as one, Simulator(_tickets(), episodes=store_url) as two:
        one.open_episode("shared", seed=SEED, hidden_context={"goal": "g"})
        one.simulate("ticket_close", {"ticket_id": "TCK-0001"}, episode="shared")
        assert two.episode_snapshot("shared") == one.episode_snapshot("shared")
        assert two.episode_diff("shared")["changed"] == [{"resource": "support_ticket", "key": "TCK-0001", "fields": {"status": ["open", "closed"]}}]
        two.reset_episode("shared")
        assert one.episode_diff("shared") == {"created": [], "changed": [], "deleted": []}
        assert one.simulate("get_support_ticket", {"ticket_id": "TCK-0001"}, episode="shared").structured["status"] == "open"
        assert one.episode("shared").hidden_context == {"goal": "g"}
        with pytest.raises(UnknownEpisodeError):
            two.episode_snapshot("never-opened")


def test_a_dropped_episode_in_a_shared_store_refuses_its_snapshot_until_reset(store_url):
    """Past the idle limit, episode_snapshot raises EpisodeExpiredError (410 over HTTP); reset_episode opens the id afresh."""
    with Simulator(_tickets(), episodes=store_url, episode_limits=EpisodeLimits(idle_seconds=0.3)) as sim:
        sim.open_episode("old", seed=SEED)
        sim.simulate("ticket_close", {"ticket_id": "TCK-0001"}, episode="old")
        time.sleep(0.5)
        with pytest.raises(EpisodeExpiredError):
            sim.episode_snapshot("old")
        sim.reset_episode("old", seed=SEED)
        assert sorted(sim.episode_snapshot("old")["resources"]["support_ticket"]["records"]) == ["TCK-0001", "TCK-0002"]


def test_a_seeded_resource_world_with_tombstones_and_a_transition_round_trips_through_the_codec():
    """world_to_json/world_from_json keep records, tombstones, made resources, seeds, the rule and the counters;
    the episode keeps its opening and baseline; the decoded episode answers the next calls as the original does."""
    from gtm_core.episode_codec import world_from_json, world_to_json

    with Simulator(_tickets()) as sim:
        sim.open_episode("e", seed=SEED, hidden_context={"answer": 42}, unknown_keys="closed")
        sim.simulate("ticket_close", {"ticket_id": "TCK-0001"}, episode="e")
        sim.simulate("delete_support_ticket", {"ticket_id": "TCK-0002"}, episode="e")
        sim.simulate("create_support_ticket", {"subject": "Minted"}, episode="e")
        episode = sim.episode("e")
        world = episode.world
        assert world._tombstones and world.seeds and world._made and len(world) == 2 and world.unknown_keys == "closed"
        assert vars(world_from_json(world_to_json(world), max_records=world.max_records)) == vars(world)
        back = episode_from_json(episode_to_json(episode), episode.limits)
        assert vars(back.world) == vars(world) and back.opening == episode.opening and back.baseline == episode.baseline
        assert back.snapshot() == episode.snapshot() and back._history_bytes == episode._history_bytes
        twin = Simulator(_tickets())
        twin.episodes._episodes["e"] = back  # the decoded episode, live in another simulator
        for tool, arguments in [("get_support_ticket", {"ticket_id": "TCK-0002"}), ("get_support_ticket", {"ticket_id": "TCK-0001"}),
                                ("create_support_ticket", {"subject": "Next"}), ("get_support_ticket", {"ticket_id": "TCK-4242"})]:  # fmt: skip
            assert twin.simulate(tool, arguments, episode="e").content == sim.simulate(tool, arguments, episode="e").content

"""Episodes are bounded in number, size and idle time, and reset or close on demand."""

from __future__ import annotations

import threading

from gtm_core.episodes import DEFAULT_EPISODE, EpisodeLimits, EpisodeStore
from gtm_core.generation import HistoryItem


def _item(i: int) -> HistoryItem:
    return HistoryItem("t", {"i": i}, {"ok": True})


def test_an_episode_is_created_on_first_use_and_found_again():
    """get() with one id returns the same episode; None means the default episode."""
    store = EpisodeStore()
    assert store.get("e1") is store.get("e1")
    assert store.get(None).id == DEFAULT_EPISODE


def test_the_least_recently_used_episode_goes_when_there_are_too_many():
    """With max_episodes=2, a third episode evicts the one used longest ago."""
    store = EpisodeStore(EpisodeLimits(max_episodes=2))
    store.get("a"), store.get("b"), store.get("a"), store.get("c")
    assert "b" not in store and "a" in store and "c" in store


def test_idle_episodes_are_forgotten():
    """An episode idle for longer than idle_seconds is gone at the next lookup."""
    store = EpisodeStore(EpisodeLimits(idle_seconds=0.0))
    old = store.get("old")
    old.last_used -= 10
    store.get("new")
    assert "old" not in store


def test_history_is_bounded_by_count_and_bytes():
    """Beyond max_history calls or max_history_bytes, the oldest calls are dropped."""
    episode = EpisodeStore(EpisodeLimits(max_history=3)).get("e")
    for i in range(5):
        episode.record(_item(i), 10)
    assert [h.arguments["i"] for h in episode.history] == [2, 3, 4]
    assert episode.calls == 5
    small = EpisodeStore(EpisodeLimits(max_history_bytes=25)).get("e")
    for i in range(5):
        small.record(_item(i), 10)
    assert len(small.history) == 2


def test_reset_empties_an_episode_and_sets_hidden_context():
    """reset() starts afresh with the new hidden context; close() forgets it."""
    store = EpisodeStore()
    episode = store.get("e", hidden_context={"answer": "42"})
    episode.record(_item(0), 1)
    fresh = store.reset("e", hidden_context={"answer": "43"})
    assert fresh is not episode and not fresh.history and fresh.hidden_context == {"answer": "43"}
    assert store.close("e") and not store.close("e")


def test_many_threads_share_the_store_safely():
    """Concurrent get() from 8 threads over 50 ids gives one episode per id."""
    store = EpisodeStore()
    seen: dict[str, set[int]] = {}
    lock = threading.Lock()

    def work() -> None:
        for i in range(200):
            episode = store.get(f"e{i % 50}")
            with lock:
                seen.setdefault(episode.id, set()).add(id(episode))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) == 50 and all(len(ids) == 1 for ids in seen.values())

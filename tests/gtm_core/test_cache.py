"""The SQLite response cache: hits, bounds, and damaged files."""

from __future__ import annotations

import logging
import threading

import pytest

from gtm_core.cache import ResponseCache, cache_key


def test_a_stored_answer_is_returned_identically(tmp_path):
    """put then get gives back the same text, and the counters say hit and miss."""
    cache = ResponseCache(tmp_path / "c.sqlite3")
    key = cache_key("tool", {"a": 1})
    assert cache.get(key) is None
    cache.put(key, '{"x": "é"}')
    assert cache.get(key) == '{"x": "é"}'
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_first_answer_for_a_key_stays():
    """A second put of the same key does not replace the first answer."""
    cache = ResponseCache()
    cache.put("k", "first")
    cache.put("k", "second")
    assert cache.get("k") == "first"


def test_keys_do_not_depend_on_dict_order():
    """Canonical JSON makes {"a":1,"b":2} and {"b":2,"a":1} one key."""
    assert cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})


def test_answers_survive_reopening_the_file(tmp_path):
    """A cache file keeps its answers across processes (here: a second instance)."""
    path = tmp_path / "c.sqlite3"
    first = ResponseCache(path)
    first.put("k", "v")
    first.close()
    assert ResponseCache(path).get("k") == "v"


def test_the_cache_is_bounded_and_drops_the_oldest():
    """With max_entries=10, after 25 puts at most 10 remain and the newest are kept."""
    cache = ResponseCache(max_entries=10)
    for i in range(25):
        cache.put(f"k{i}", str(i))
    assert len(cache) <= 10
    assert cache.get("k24") == "24"
    assert cache.get("k0") is None


def test_a_damaged_cache_file_is_reported_moved_aside_and_rebuilt(tmp_path, caplog):
    """A file that is not a SQLite database gives a warning and an empty working cache."""
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="gtm_core.cache"):
        cache = ResponseCache(path)
    assert "damaged" in caplog.text
    cache.put("k", "v")
    assert cache.get("k") == "v"
    assert list(tmp_path.glob("c.sqlite3.damaged-*"))


def test_a_file_damaged_while_open_is_rebuilt_on_the_next_use(tmp_path, caplog):
    """Corrupting the file under a live cache does not raise out of get or put."""
    path = tmp_path / "c.sqlite3"
    cache = ResponseCache(path)
    cache.put("k", "v")
    cache.close()
    cache = ResponseCache(path)
    path.write_bytes(b"\0garbage" * 4096)
    with caplog.at_level(logging.WARNING, logger="gtm_core.cache"):
        cache.get("k")
        cache.put("k2", "v2")
    assert cache.get("k2") == "v2"


def test_concurrent_threads_can_share_one_cache(tmp_path):
    """Eight threads putting and getting at once lose nothing."""
    cache = ResponseCache(tmp_path / "c.sqlite3")

    def work(n: int) -> None:
        for i in range(50):
            cache.put(f"{n}-{i}", str(i))
            assert cache.get(f"{n}-{i}") == str(i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 400


def test_max_entries_must_be_positive():
    """A cache that can hold nothing is refused with a clear message."""
    with pytest.raises(ValueError, match="max_entries"):
        ResponseCache(max_entries=0)

"""The answer cache in a real Redis: shared between caches (replicas), bounded, clear when Redis is down or slow."""

from __future__ import annotations

import time

import pytest
from redis_server import RedisServer, free_port, require_redis

from gtm_core import Simulator, ToolSpec
from gtm_core.errors import StoreError, StoreUnavailableError
from gtm_core.stores import open_cache
from gtm_core.stores.redis_cache import RedisCache

SPEC = ToolSpec(
    name="get_weather", description="Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}}, required=["city"],
    response={"type": "object", "properties": {"temperature": {"type": "number"}, "summary": {"type": "string"}}},
)  # fmt: skip


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    require_redis()
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


def _fresh(url: str, **kwargs) -> RedisCache:
    cache = RedisCache(f"{url}?prefix=t{time.monotonic_ns()}", **kwargs)
    return cache


def test_an_answer_put_by_one_cache_is_read_by_another_on_the_same_redis(redis_url):
    """Two caches on one Redis and prefix (two replicas) share answers; the first answer of a key stays."""
    first = _fresh(redis_url)
    second = RedisCache(f"{redis_url}?prefix={first.target.prefix}")
    first.put("k", '{"x": "é"}')
    second.put("k", "later")
    assert second.get("k") == '{"x": "é"}'
    assert second.get("other") is None
    assert (second.hits, second.misses) == (1, 1)
    assert len(first) == 1
    first.clear()
    assert second.get("k") is None and len(second) == 0


def test_the_redis_cache_keeps_at_most_max_entries_dropping_the_oldest(redis_url):
    """Beyond the bound the oldest answers go first."""
    cache = _fresh(redis_url, max_entries=3)
    for i in range(5):
        cache.put(f"k{i}", str(i))
    assert len(cache) == 3
    assert [cache.get(f"k{i}") for i in range(5)] == [None, None, "2", "3", "4"]


def test_simulators_sharing_a_redis_cache_answer_the_second_call_from_it(redis_url):
    """A Simulator given --cache redis://… stores its answer; another Simulator (another replica) gets it as a hit."""
    url = f"{redis_url}?prefix=t{time.monotonic_ns()}"
    with Simulator([SPEC], cache=url) as one, Simulator([SPEC], cache=url) as two:
        first = one.simulate("get_weather", {"city": "Oslo"})
        again = two.simulate("get_weather", {"city": "Oslo"})
    assert not first.cached and again.cached
    assert again.content == first.content


def test_a_redis_url_with_a_bad_timeout_or_scheme_is_refused_with_the_fix():
    """A timeout that is no positive number names the option and an example."""
    require_redis()
    with pytest.raises(StoreError, match=r"timeout='soon'.*\?timeout=0\.5"):
        open_cache("redis://127.0.0.1:1/0?timeout=soon")
    with pytest.raises(StoreError, match="not a Redis URL"):
        RedisCache("http://127.0.0.1:1/0")


def test_a_redis_that_is_down_gives_store_unavailable_results_and_is_used_again_when_back(tmp_path):
    """With Redis stopped a call answers a store_unavailable error naming the URL (not its password); once Redis is back calls succeed."""
    require_redis()
    server = RedisServer(tmp_path / "r", port=free_port()).start()
    url = f"redis://:secret@127.0.0.1:{server.port}/0?timeout=0.5"
    with Simulator([SPEC], cache=url) as sim:
        assert not sim.simulate("get_weather", {"city": "Oslo"}).is_error
        server.stop()
        down = sim.simulate("get_weather", {"city": "Lima"})
        assert down.is_error and down.error_kind == "store_unavailable"
        assert down.structured["error"]["code"] == 503 and down.structured["error"]["retryable"] is True
        assert f"127.0.0.1:{server.port}/0" in down.content and "secret" not in down.content
        server.start()
        back = sim.simulate("get_weather", {"city": "Lima"})
        assert not back.is_error, back.content
    server.stop()


def test_a_stuck_redis_is_bounded_by_the_timeout(tmp_path):
    """A Redis that stops answering (SIGSTOP) costs a call at most twice the timeout, then an error result; it serves again on SIGCONT."""
    require_redis()
    with RedisServer(tmp_path / "r") as server:
        with Simulator([SPEC], cache=f"{server.url}?timeout=0.3") as sim:
            sim.simulate("get_weather", {"city": "Oslo"})
            server.pause()
            started = time.monotonic()
            stuck = sim.simulate("get_weather", {"city": "Rome"})
            waited = time.monotonic() - started
            server.resume()
            assert stuck.error_kind == "store_unavailable" and "did not answer within 0.3 s" in stuck.content
            assert waited < 2 * 0.3 + 0.5
            assert not sim.simulate("get_weather", {"city": "Rome"}).is_error


def test_a_redis_cache_raises_store_unavailable_from_get_when_nothing_listens():
    """The error type callers of the Python API catch, with the cause."""
    require_redis()
    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0?timeout=0.2")
    with pytest.raises(StoreUnavailableError, match="is unreachable"):
        cache.get("k")

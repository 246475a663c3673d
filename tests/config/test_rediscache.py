"""ops.rediscache: Django's Redis backend, reusing one redis.Redis per server (Django's own
makes one per call, which cost most of the waiting page's time: issue #12)."""

import threading

import pytest
from django.core.cache import cache
from django.test import override_settings

from config.settings import cache_config

REDIS_URL = "redis://127.0.0.1:6379/3"


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping())
    except Exception:  # no Redis here: skip
        return False


@pytest.fixture
def redis_cache():
    if not _redis_answers():
        pytest.skip(f"needs Redis at {REDIS_URL} (.ci/run starts one)")
    config = cache_config(f"{REDIS_URL}?key_prefix=test-rediscache-{threading.get_ident()}")
    with override_settings(CACHES={"default": config}):
        cache.clear()
        yield cache
        cache.clear()


def test_one_client_serves_every_call_and_may_be_shared_by_threads(redis_cache):
    # Django gives each thread a backend of its own; its client is safe to share anyway.
    backend = redis_cache._cache
    first = backend.get_client(write=True)
    assert backend.get_client() is first and backend.get_client("k", write=True) is first
    seen = []

    def work(n):
        redis_cache.set(f"k{n}", n)
        seen.append((redis_cache.get(f"k{n}"), backend.get_client()))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(value for value, _client in seen) == list(range(8))
    assert all(client is first for _value, client in seen)


def test_the_backend_behaves_as_django_s(redis_cache):
    assert redis_cache.add("a", 1) and not redis_cache.add("a", 2)
    assert redis_cache.incr("a") == 2
    redis_cache.set_many({"b": [1, "二"], "c": None})
    assert redis_cache.get_many(["a", "b", "c", "d"]) == {"a": 2, "b": [1, "二"], "c": None}
    assert redis_cache.delete("a") and redis_cache.get("a", "gone") == "gone"

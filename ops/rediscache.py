"""Django's Redis cache backend, with one redis.Redis client per server instead of one per call.

Django's RedisCacheClient.get_client builds a new redis.Redis for every cache call, and
that constructor copies redis-py's ~170 response callbacks into a case-insensitive dict:
about 0.14 ms of CPU per call on our machine. That was most of what the waiting page cost
(issue #12 asks for it to be as cheap as the trivial view: it makes four cache calls for
a new arrival), and a few tenths of a millisecond on every booking step. A redis.Redis is
safe to share between threads (each command takes a connection from the pool), so one
per connection pool is enough; everything else is Django's backend as it is.

Hand-made because the stack's Redis client is Django's own; django-redis would replace
the whole backend (its serialisation, its options) for this one fix.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own helper (django-stubs leave its private names out), as its get_client
        # uses it: the pool of the server to ask (a random replica for a read).
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            # Two threads may both make one at first; either is fine to keep.
            client = self._clients[id(pool)] = self._client(  # type: ignore[attr-defined]
                connection_pool=pool
            )
        return client


class RedisCache(DjangoRedisCache):
    """django.core.cache.backends.redis.RedisCache, reusing its redis.Redis clients."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient

"""Settings of bench_rush's servers: kenshin's own (config.settings: same middleware,
database, cache), with the cache keys under a prefix of the run's own, so that a shared
Redis keeps them apart from anyone else's (django-environ cannot set KEY_PREFIX from a
URL for Django's RedisCache). Never used by the product."""

import os
from typing import cast

from config.settings import *  # noqa: F403
from config.settings import CACHES, LOGGING

for _cache in CACHES.values():
    _cache["KEY_PREFIX"] = os.environ.get("BENCH_CACHE_KEY_PREFIX", "kenshin_bench_rush")

# Every resident who finds a time full is a 409, which django.request logs as a warning:
# thousands of lines per run. The servers keep errors only.
_loggers = cast(dict[str, dict[str, str]], LOGGING["loggers"])
_loggers["django.request"] = {"level": "ERROR"}

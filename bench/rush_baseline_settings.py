"""bench_rush's baselines: the settings of its kenshin server (bench/rush_settings.py),
but the URLs of bench/rush_urls.py. Never used by the product."""

from bench.rush_settings import *  # noqa: F403

ROOT_URLCONF = "bench.rush_urls"

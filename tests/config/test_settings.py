"""Settings come from the environment and fail loudly, naming the variable."""

import os

import pytest

from tests.helpers import run_python

PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "production-secret-for-tests-only-0123456789",
    "ALLOWED_HOSTS": "kenshin.example.jp",
    "AUDIT_HMAC_KEY": "a" * 40,
    "LOTTERY_SEED_KEY": "ab" * 32,
    "VOUCHER_HMAC_KEY": "v" * 40,
    "DATABASE_URL": "postgres://kenshin@127.0.0.1:5432/kenshin",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
}


def load_settings(**env):
    """Import the settings module in a fresh interpreter; return (exit code, stderr)."""
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    result = run_python(
        ["-c", "import config.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])"],
        env={**clean, **env},
        timeout=60,
    )
    return result.returncode, result.stdout + result.stderr


def refused_at_start_up(name, value) -> str:
    """Settings with `name` set to `value` refuse to load, naming it; what they printed."""
    code, out = load_settings(**{name: value})
    assert code != 0
    assert name in out
    return out


def test_nothing_set_runs_on_sqlite_in_development():
    code, out = load_settings()
    assert code == 0, out
    assert "True django.db.backends.sqlite3" in out


def test_database_url_selects_postgresql():
    code, out = load_settings(DATABASE_URL="postgres://u@127.0.0.1:5432/kenshin")
    assert code == 0, out
    assert "postgresql" in out


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "AUDIT_HMAC_KEY",
        "LOTTERY_SEED_KEY",
        "VOUCHER_HMAC_KEY",
        "DATABASE_URL",
        "CACHE_URL",
    ],
)
def test_production_refuses_to_start_without_required_values(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    code, out = load_settings(**env)
    assert code != 0
    assert missing in out


def test_production_turns_debug_off():
    code, out = load_settings(**PRODUCTION)
    assert code == 0, out
    assert out.startswith("False")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AXES_FAILURE_LIMIT", "five"),
        ("DATABASE_URL", "nonsense://"),
        ("STAFF_ALLOWED_NETWORKS", "10.0.0.0/33"),
        ("EXPORT_ENCODING", "latin-1"),
        ("DJANGO_ENV", "staging"),
    ],
)
def test_a_malformed_value_fails_at_start_up_naming_the_variable(name, value):
    refused_at_start_up(name, value)


def test_japanese_default_and_tokyo_time():
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # -90 instead of 90 would purge every booking whose screening is before
        # 90 days from now, i.e. all of them; 0 would expire batches as they are made.
        ("RESERVATION_RETENTION_DAYS", "-90"),
        ("EXPORT_RETENTION_DAYS", "0"),
        # 0 minutes: set_expiry(0) makes it a browser-session cookie, and every request
        # counts as idle too long; a negative one expires sessions at once.
        ("STAFF_IDLE_TIMEOUT_MINUTES", "0"),
        ("STAFF_ABSOLUTE_TIMEOUT_HOURS", "-1"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("AXES_COOLOFF_MINUTES", "-5"),
    ],
)
def test_a_count_or_duration_below_one_fails_at_start_up_naming_the_variable(name, value):
    assert "at least 1" in refused_at_start_up(name, value)


def test_a_cache_key_prefix_in_cache_url_reaches_django() -> None:
    from config.settings import cache_config
    from ops.rediscache import RedisCache

    config = cache_config("redis://127.0.0.1:6379/0?key_prefix=niiza&timeout=30")
    assert config["BACKEND"] == "ops.rediscache.RedisCache"
    assert (config["KEY_PREFIX"], config["TIMEOUT"]) == ("niiza", 30)
    assert config["OPTIONS"]["socket_timeout"] == 0.25
    cache = RedisCache(config["LOCATION"], {k: v for k, v in config.items() if k != "LOCATION"})
    assert cache.make_key("x").startswith("niiza:")


def test_a_malformed_lottery_seed_key_is_refused_naming_it():
    refused_at_start_up("LOTTERY_SEED_KEY", "not-hex")


def test_production_refuses_the_development_lottery_seed_key():
    code, out = load_settings(**{**PRODUCTION, "LOTTERY_SEED_KEY": "00" * 32})
    assert code != 0
    assert "LOTTERY_SEED_KEY" in out

"""Production settings pass Django's deployment checklist with no warning at all."""

import os
import secrets

from tests.helpers import run_python

# The test run's own switches (tests/conftest.py allows async-unsafe ORM calls for the
# browser tests) are not part of a production environment.
NOT_PRODUCTION = {"DATABASE_URL", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}


def production_env() -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k not in NOT_PRODUCTION},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48)[:64],
        "ALLOWED_HOSTS": "kenshin.example.jp",
        "AUDIT_HMAC_KEY": secrets.token_hex(32),
        "LOTTERY_SEED_KEY": secrets.token_hex(32),
        "VOUCHER_HMAC_KEY": secrets.token_hex(32),
        # Parsed, not connected to: `check --deploy` needs no database or cache server.
        "DATABASE_URL": "postgres://kenshin@127.0.0.1:5432/kenshin",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
    }


def test_check_deploy_is_clean_with_production_settings():
    env = production_env()
    assert len(env["SECRET_KEY"]) == 64
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_harden_cookies_and_transport():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    env = production_env()
    result = run_python(["-c", "import django; django.setup();" + code], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "31536000", "True"]

"""Shared test helpers for staff users (used by several apps' tests)."""

from django.contrib.auth.models import Group, User
from django_otp.plugins.otp_totp.models import TOTPDevice


def make_staff(username="staff", *, roles=(), password="correct horse battery staple 42"):
    """A staff user in the given groups, with a confirmed TOTP device."""
    user = User.objects.create_user(username=username, password=password, is_staff=True)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def make_superuser(username="root", *, roles=("administrator",)):
    """An administrator who may do everything in Django admin (is_superuser)."""
    user = make_staff(username, roles=roles)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


def login_staff(client, user, *, verified=True):
    """Log `user` in; with verified=True also mark the second factor as verified.

    django-otp keeps the verified device in the session under "otp_device_id".
    """
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if verified:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def run_python(args, *, env, timeout=120):
    """`python *args` from the repository root with exactly `env`; the finished process."""
    import subprocess
    import sys
    from pathlib import Path

    return subprocess.run(
        [sys.executable, *args],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_sqlite_probe(module: str, database):
    """Run `module.report()` against a migrated file-based SQLite database; return its report.

    Concurrency probes run in a subprocess (tests/probe_sqlite.py) so that they get a real
    file database (the test run's own may be in memory or on PostgreSQL) and their own
    connections per thread. The runner prints the report as one JSON line last.
    """
    import json
    import os

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_ENV": "development",
        "LOG_LEVEL": "WARNING",
    }
    result = run_python(["-m", "tests.probe_sqlite", module], env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])

"""createstaff: the first administrator of a fresh install, with a printed way in."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args, **env):
    out = io.StringIO()
    call_command("createstaff", *args, stdout=out)
    return out.getvalue()


def test_creates_an_administrator_from_an_environment_password(monkeypatch):
    monkeypatch.setenv("FIRST_ADMIN_PW", "a long enough passphrase 9731")
    out = run(
        "--username",
        "admin",
        "--role",
        "administrator",
        "--superuser",
        "--password-from-env",
        "FIRST_ADMIN_PW",
    )
    user = User.objects.get(username="admin")
    assert user.is_staff and user.is_superuser
    assert user.check_password("a long enough passphrase 9731")
    assert list(user.groups.values_list("name", flat=True)) == ["administrator"]
    assert "/staff/login/" in out
    assert "a long enough passphrase" not in out
    event = AuditEvent.objects.get(action="staff.user.created")
    assert event.details["roles"] == ["administrator"]


def test_generates_and_prints_a_password_when_not_on_a_terminal():
    out = run("--username", "hoken1", "--role", "health_centre", "--generate-password")
    password = out.split("privately): ", 1)[1].split()[0]
    user = User.objects.get(username="hoken1")
    assert user.check_password(password)
    assert not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["health_centre"]


def test_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("PW", "short")
    with pytest.raises(CommandError):
        run("--username", "weak", "--role", "administrator", "--password-from-env", "PW")
    assert not User.objects.filter(username="weak").exists()


def test_refuses_an_existing_username_and_a_missing_variable(monkeypatch):
    User.objects.create_user("Taken")
    with pytest.raises(CommandError, match="already exists"):
        run("--username", "taken", "--role", "administrator", "--generate-password")
    monkeypatch.delenv("NOPE", raising=False)
    with pytest.raises(CommandError, match="NOPE"):
        run("--username", "x1", "--role", "administrator", "--password-from-env", "NOPE")


def test_refuses_an_unknown_role():
    with pytest.raises(CommandError):
        run("--username", "x2", "--role", "janitor", "--generate-password")

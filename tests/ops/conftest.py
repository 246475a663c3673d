"""Fixtures for the operations tests: the app connected as the least-privileged runtime role.

pytest-django creates, migrates and flushes the test database as the owner (here the
PostgreSQL superuser of CI): flushing empties the audit table with TRUNCATE, which the
runtime role must not be able to do. So `runtime_db` is a transactional test whose default
connection is closed and reopened *as the runtime role* for the test's body (every service,
command and view then runs with exactly its rights), and handed back to the owner before
pytest-django flushes.
"""

import pytest
from django.core.management import call_command
from django.db import connection

# The export fixtures (a throwaway health-centre key pair, private storage).
from tests.exports.conftest import (  # noqa: F401
    export_settings,
    export_storage_dir,
    health_centre_keys,
)

# Roles are cluster-wide: a name of our own, created idempotently by create_db_roles.
RUNTIME_ROLE = "kenshin_ops_runtime_test"
RUNTIME_PASSWORD = "runtime-role-test-password-9f3c"


@pytest.fixture
def runtime_role(transactional_db, monkeypatch):
    """The runtime role, with its grants on the test database (made as the owner)."""
    monkeypatch.setenv("KENSHIN_OPS_TEST_DB_PASSWORD", RUNTIME_PASSWORD)
    call_command(
        "create_db_roles",
        "--runtime-role",
        RUNTIME_ROLE,
        "--password-env",
        "KENSHIN_OPS_TEST_DB_PASSWORD",
        stdout=open("/dev/null", "w"),
    )
    return RUNTIME_ROLE


@pytest.fixture
def as_runtime_role(runtime_role):
    """The default connection, logged in as the runtime role until the test ends."""
    settings_dict = connection.settings_dict
    saved = settings_dict["USER"], settings_dict["PASSWORD"]
    connection.close()
    settings_dict["USER"], settings_dict["PASSWORD"] = runtime_role, RUNTIME_PASSWORD
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, session_user")
            assert cursor.fetchone() == (runtime_role, runtime_role)
        yield runtime_role
    finally:
        connection.close()
        settings_dict["USER"], settings_dict["PASSWORD"] = saved

"""`manage.py check --deploy`: the app must not run as a superuser or as the tables' owner.

Either could TRUNCATE the audit trail or switch its triggers off (docs/audit.md); the
runtime role made by `create_db_roles` can do neither. The check asks the database who it
is, so it says nothing when the database does not answer (a build step, an image check):
a warning there would be about the machine, not the configuration.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, connection

SUPERUSER_ID = "kenshin.W001"
OWNER_ID = "kenshin.W002"


def database_role_state() -> tuple[str, bool, int] | None:
    """(current role, is it a superuser, how many of the schema's tables it owns), or None
    when the database is not PostgreSQL or does not answer."""
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, r.rolsuper, ("
                " SELECT count(*) FROM pg_catalog.pg_tables t"
                " WHERE t.schemaname = current_schema() AND t.tableowner = current_user)"
                " FROM pg_catalog.pg_roles r WHERE r.rolname = current_user"
            )
            row = cursor.fetchone()
    except DatabaseError:
        return None
    if row is None:
        return None
    return str(row[0]), bool(row[1]), int(row[2])


@register(Tags.security, deploy=True)
def check_database_role(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    state = database_role_state()
    if state is None:
        return []
    role, superuser, owned = state
    messages: list[CheckMessage] = []
    if superuser:
        messages.append(
            CheckWarning(
                f"The app connects to PostgreSQL as {role}, a superuser.",
                hint="Run the app as the runtime role (manage.py create_db_roles; "
                "deploy/README.md) and keep superuser and owner for migrate.",
                id=SUPERUSER_ID,
            )
        )
    if owned:
        messages.append(
            CheckWarning(
                f"The app connects to PostgreSQL as {role}, the owner of {owned} tables: it "
                "could TRUNCATE the audit trail or disable its triggers.",
                hint="Run migrate as the owner and the app as the runtime role "
                "(manage.py create_db_roles; deploy/README.md).",
                id=OWNER_ID,
            )
        )
    return messages

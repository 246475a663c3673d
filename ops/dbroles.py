"""Least privilege in PostgreSQL: the owner (migration) role and the runtime role.

Two roles, both LOGIN, neither a superuser:

- the **owner** owns the schema's tables; `migrate` runs as it, once per release;
- the **runtime** role is what the app servers, the mail worker and the nightly jobs use:
  SELECT, INSERT, UPDATE, DELETE on every table and USAGE on every sequence of the schema,
  and nothing else. No TRUNCATE, no TRIGGER, no REFERENCES, not the owner of anything (so it
  cannot ALTER TABLE … DISABLE TRIGGER), and on the audit table SELECT and INSERT only.

The grants are generic on purpose: ALTER DEFAULT PRIVILEGES makes every table or sequence
the owner creates later (a new app's migration) usable by the runtime role at once, and
`grant_runtime_privileges` is idempotent, so running it again after `migrate` (deploy/
does) also covers tables created before it ran. Only the audit table is narrowed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.backends.utils import CursorWrapper

# Tables the runtime role may read and append to, never change or remove rows of.
APPEND_ONLY_TABLES = ("audit_auditevent",)
# Django's record of applied migrations: the runtime role reads it (`migrate --check`),
# only the owner writes it.
READ_ONLY_TABLES = ("django_migrations",)

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(Exception):
    """A role name or connection that the role set-up cannot work with."""


@dataclass(frozen=True)
class RoleReport:
    runtime_role: str
    owner_role: str
    created: bool
    tables: int


def valid_role_name(name: str) -> str:
    """`name` if it is a plain lower-case identifier (no quoting games), else RoleError."""
    if not _ROLE_NAME.match(name):
        raise RoleError(
            f"Role name {name!r} must be lower-case letters, digits and _ (at most 63)."
        )
    return name


def _quote(name: str) -> str:
    return connection.ops.quote_name(valid_role_name(name))


def table_owner(cursor: CursorWrapper) -> str:
    """The role that owns the migrated schema: the owner of django_migrations."""
    cursor.execute(
        "SELECT tableowner FROM pg_catalog.pg_tables "
        "WHERE schemaname = current_schema() AND tablename = 'django_migrations'"
    )
    row = cursor.fetchone()
    if row is None:
        raise RoleError(
            "The schema is not migrated yet: run `manage.py migrate` as the owner first."
        )
    return str(row[0])


def runtime_grants_sql(*, owner: str, runtime: str, database: str) -> list[str]:
    """The statements that give `runtime` exactly the app's rights (see the module)."""
    o, r, db = _quote(owner), _quote(runtime), connection.ops.quote_name(database)
    statements = [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        # Everything there is now, and (default privileges) everything the owner makes later.
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        # Rights that an earlier, broader grant may have left behind.
        f"REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA public FROM {r}",
        f"REVOKE CREATE ON SCHEMA public FROM {r}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(f"REVOKE UPDATE, DELETE ON {connection.ops.quote_name(table)} FROM {r}")
    for table in READ_ONLY_TABLES:
        statements.append(
            f"REVOKE INSERT, UPDATE, DELETE ON {connection.ops.quote_name(table)} FROM {r}"
        )
    return statements


def grant_runtime_privileges(*, runtime: str, password: str | None = None) -> RoleReport:
    """Create `runtime` if it does not exist, set its password if given, grant its rights.

    Run connected as the owner (a role with CREATEROLE if the runtime role does not exist
    yet) or as a superuser. Idempotent: run it after every `migrate`.
    Raises RoleError on SQLite, on a bad name, or when `runtime` is the owner or a superuser.
    """
    if connection.vendor != "postgresql":
        raise RoleError("Database roles exist on PostgreSQL only (DATABASE_URL=postgres://…).")
    valid_role_name(runtime)
    with connection.cursor() as cursor:
        owner = table_owner(cursor)
        if runtime == owner:
            raise RoleError(f"The runtime role must not be the owner of the tables ({owner}).")
        cursor.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = %s", [runtime])
        row = cursor.fetchone()
        created = row is None
        if created:
            cursor.execute(
                f"CREATE ROLE {_quote(runtime)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "NOREPLICATION NOBYPASSRLS"
            )
        elif row[0]:
            raise RoleError(f"The runtime role {runtime} is a superuser: that is what it replaces.")
        if password:
            # Django's psycopg cursor binds client-side, so a parameter works in ALTER ROLE.
            cursor.execute(f"ALTER ROLE {_quote(runtime)} LOGIN PASSWORD %s", [password])
        for statement in runtime_grants_sql(
            owner=owner, runtime=runtime, database=connection.settings_dict["NAME"]
        ):
            cursor.execute(statement)
        cursor.execute(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        )
        tables = int(cursor.fetchone()[0])
    return RoleReport(runtime_role=runtime, owner_role=owner, created=created, tables=tables)

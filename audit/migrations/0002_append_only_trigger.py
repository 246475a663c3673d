"""PostgreSQL: refuse UPDATE, DELETE and TRUNCATE on the audit table, in the database itself.

The model already refuses them; this stops raw SQL and other programs too. TRUNCATE is let
through for PostgreSQL superusers only — they can drop this trigger anyway, and Django's
test runner empties tables with TRUNCATE. Run the application as a role that is not a
superuser (docs/audit.md). SQLite has no equivalent worth having here: a no-op there.
"""

from django.db import migrations

TABLE = "audit_auditevent"

INSTALL = f"""
CREATE OR REPLACE FUNCTION audit_auditevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND EXISTS (
        SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper
    ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse_change();
"""

REMOVE = f"""
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON {TABLE};
DROP FUNCTION IF EXISTS audit_auditevent_refuse_change();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]

"""Audit records cannot be changed or removed: not through the ORM, the admin or raw SQL."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

import audit
from audit.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return audit.record(action="exports.batch.downloaded", details={"rows": 10})


def test_saving_an_existing_record_is_refused(event):
    event.details = {"rows": 0}
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).details == {"rows": 10}


def test_deleting_a_record_is_refused(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda qs: qs.update(outcome="failed"),
        lambda qs: qs.delete(),
        lambda qs: AuditEvent.objects.update(outcome="failed"),
        lambda qs: qs.bulk_update(list(qs), ["outcome"]),
        lambda qs: qs.update_or_create(pk=qs.get().pk, defaults={"outcome": "failed"}),
        lambda qs: AuditEvent.objects.bulk_create([AuditEvent(action="x.y", mac="f" * 64)]),
    ],
)
def test_queryset_updates_deletes_and_bulk_writes_are_refused(event, change):
    with pytest.raises(AppendOnlyError):
        change(AuditEvent.objects.filter(pk=event.pk))
    assert AuditEvent.objects.get().outcome == "success"


def test_an_unsigned_record_cannot_be_created_directly():
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.create(action="staff.login.succeeded")
    assert not AuditEvent.objects.exists()


# --- admin: read-only for everyone, superusers included ------------------------------------


def test_admin_lists_and_shows_records_to_an_administrator(admin_client, event):
    changelist = admin_client.get(reverse("admin:audit_auditevent_changelist"))
    assert changelist.status_code == 200
    assert b"exports.batch.downloaded" in changelist.content
    detail = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content


def test_admin_refuses_add_change_and_delete_even_for_a_superuser(superuser_client, event):
    add = superuser_client.post(reverse("admin:audit_auditevent_add"), {"action": "x.y"})
    change = superuser_client.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"outcome": "failed"}
    )
    delete = superuser_client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    bulk = superuser_client.post(
        reverse("admin:audit_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, outcome="success").exists()


def test_admin_hides_records_from_staff_without_the_administrator_role(client, event):
    from tests.helpers import login_staff, make_staff

    login_staff(client, make_staff("desk", roles=["health_centre"]))
    response = client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code in (302, 403)
    assert b"exports.batch.downloaded" not in response.content


# --- PostgreSQL: the trigger refuses raw SQL ---------------------------------------------------


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET details = '{\"rows\": 0}'",
        "UPDATE audit_auditevent SET outcome = 'failed' WHERE id = -1",  # even touching nothing
        "DELETE FROM audit_auditevent",
    ],
)
def test_raw_sql_update_and_delete_are_refused_on_postgres(event, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(sql)
    assert AuditEvent.objects.get(pk=event.pk).details == {"rows": 10}


@pytest.mark.postgres
def test_raw_sql_truncate_is_refused_on_postgres(event):
    """As a role that holds every privilege on the table but is not a superuser.

    (Superusers may TRUNCATE — they could drop the trigger anyway, and test runners use
    TRUNCATE to empty the database between tests.) CREATE ROLE and GRANT are rolled back
    with the test's transaction, so nothing is left in the cluster.
    """
    role = f"audit_probe_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT ALL ON audit_auditevent TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
        try:
            with pytest.raises(DatabaseError, match="append-only: TRUNCATE"):
                _raw("TRUNCATE audit_auditevent")
            with pytest.raises(DatabaseError, match="append-only: DELETE"):
                _raw("DELETE FROM audit_auditevent")
        finally:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
def test_the_trigger_is_installed_by_the_migration():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
            "AND NOT tgisinternal"
        )
        assert [row[0] for row in cursor.fetchall()] == ["audit_auditevent_append_only"]

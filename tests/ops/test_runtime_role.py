"""On PostgreSQL the app runs as a least-privileged role: every write path works with it,
and it cannot change, remove or empty the audit trail nor switch its trigger off.

Each test's body runs logged in as the runtime role (conftest.as_runtime_role) that
`create_db_roles` set up; the data is made by the real services, commands and views.
"""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

import audit
from audit.models import AuditEvent
from core.roles import HEALTH_CENTRE
from exports import retention as batch_retention
from exports.models import Batch
from reservations import notifications
from reservations import retention as reservation_retention
from reservations import services as booking
from reservations.models import Notification, Reservation
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt
from tests.helpers import login_staff, make_staff

pytestmark = pytest.mark.postgres


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _slots(day_offset=14, hours=(9, 10)):
    venue = VenueFactory()
    lung = ScreeningTypeFactory(code="lung")
    day = timezone.localdate() + timedelta(days=day_offset)
    return [
        SlotFactory(venue=venue, screening_type=lung, starts_at=local_dt(day, hour, 0))
        for hour in hours
    ]


def test_the_runtime_role_is_neither_superuser_nor_owner_nor_allowed_to_truncate(as_runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables"
            " WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r' AND ("
            " has_table_privilege(current_user, c.oid, 'TRUNCATE') OR"
            " has_table_privilege(current_user, c.oid, 'TRIGGER'))"
        )
        assert cursor.fetchone()[0] == 0


def test_booking_moving_and_cancelling_work_as_the_runtime_role(as_runtime_role):
    first, second = _slots()

    reservation = booking.reservation_create(slots=[first], details=details()).reservation
    booking.reservation_move(reservation=reservation, new_slots=[second])
    booking.reservation_cancel(reservation=reservation)

    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CANCELLED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booked, second.booked) == (0, 0)
    # booked, moved and cancelled: three mails in the outbox
    assert Notification.objects.filter(reservation=reservation).count() == 3


def test_the_mail_worker_claims_and_sends_as_the_runtime_role(as_runtime_role, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    (slot,) = _slots(hours=(9,))
    booking.reservation_create(slots=[slot], details=details())

    result = notifications.send_due()

    assert result.sent == 1 and len(mail.outbox) == 1
    assert Notification.objects.get().status == Notification.Status.SENT
    # A reminders pass writes too (nothing is due yet: the booking is minutes old).
    assert notifications.queue_reminders() == 0


def test_export_download_confirm_and_purge_work_as_the_runtime_role(
    as_runtime_role, export_settings, export_storage_dir, client
):
    (slot,) = _slots(hours=(9,))
    booking.reservation_create(
        slots=[slot], details=details(), now=timezone.now() - timedelta(hours=1)
    )

    out = _run("export_reservations", "--cutoff", "now")
    batch = Batch.objects.get()
    assert "rows=1" in out
    nurse = make_staff("nurse", roles=[HEALTH_CENTRE])
    login_staff(client, nurse)
    response = client.post(reverse("exports:download", args=[batch.pk]))
    assert response.status_code == 200
    assert (
        b"".join(response.streaming_content)
        == (export_storage_dir / batch.stored_name).read_bytes()
    )
    assert client.post(reverse("exports:confirm", args=[batch.pk])).status_code in (200, 302)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CONFIRMED

    # Nightly purge, a year on: the batch record stays, the booking and its person go.
    later = timezone.now() + timedelta(days=400)
    batch_retention.batches_expire(now=later)
    purged = reservation_retention.reservations_purge(now=later)
    reservation_retention.history_prune(now=later)
    assert purged.reservations == 1 and not Reservation.objects.exists()
    assert _run("purge_expired").startswith("purge_expired")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"exports.batch.downloaded", "reservations.reservation.purged"} <= actions
    assert _run("verify_audit_chain").startswith("OK:")


def test_the_runtime_role_appends_to_the_audit_trail_but_cannot_change_it(as_runtime_role):
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(current_user, %s, 'SELECT'),"
            " has_table_privilege(current_user, %s, 'INSERT'),"
            " has_table_privilege(current_user, %s, 'UPDATE'),"
            " has_table_privilege(current_user, %s, 'DELETE')",
            [table] * 4,
        )
        # The grants themselves, not only the trigger (which refuses UPDATE/DELETE too).
        assert cursor.fetchone() == (True, True, False, False)
    audit.record(action="ops.test.appended", details={"n": 1})
    audit.record(action="ops.test.appended", details={"n": 2})

    refused = []
    for statement in (
        f"UPDATE {table} SET action = 'x'",
        f"DELETE FROM {table}",
        f"TRUNCATE {table}",
        f"ALTER TABLE {table} DISABLE TRIGGER audit_auditevent_append_only",
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"DROP TRIGGER audit_auditevent_append_only ON {table}",
        f"CREATE TRIGGER sneaky BEFORE INSERT ON {table} FOR EACH ROW"
        " EXECUTE FUNCTION suppress_redundant_updates_trigger()",
        "SET session_replication_role = replica",  # would skip triggers: superuser only
    ):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
        except DatabaseError as exc:
            refused.append((statement, exc.__cause__.sqlstate if exc.__cause__ else None))
        else:
            pytest.fail(f"the runtime role could run: {statement}")

    # 42501 insufficient_privilege: refused by the grants, not by the trigger alone.
    assert all(state == "42501" for _statement, state in refused), refused
    assert AuditEvent.objects.filter(action="ops.test.appended").count() == 2
    assert _run("verify_audit_chain").startswith("OK: 2 audit records")


def test_a_table_made_by_a_later_migration_is_usable_without_new_grants(runtime_role):
    """Default privileges: a new app's table (made by the owner) works for the runtime role,
    with no TRUNCATE on it."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE ops_later_app (id bigserial PRIMARY KEY, note text)")
    settings_dict = connection.settings_dict
    saved = settings_dict["USER"], settings_dict["PASSWORD"]
    from tests.ops.conftest import RUNTIME_PASSWORD

    connection.close()
    settings_dict["USER"], settings_dict["PASSWORD"] = runtime_role, RUNTIME_PASSWORD
    try:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO ops_later_app (note) VALUES ('a') RETURNING id")
            cursor.execute("UPDATE ops_later_app SET note = 'b'")
            cursor.execute("DELETE FROM ops_later_app")
            with pytest.raises(DatabaseError), transaction.atomic():
                cursor.execute("TRUNCATE ops_later_app")
    finally:
        connection.close()
        settings_dict["USER"], settings_dict["PASSWORD"] = saved
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE ops_later_app")

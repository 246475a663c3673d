"""purge_expired: batch files and reservations do not outlive their purpose, and each purge
is itself audited — with counts and dates, never names."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from citizens.models import Citizen
from exports import retention, services
from exports.models import Batch
from reservations import retention as reservation_retention
from reservations import services as booking
from reservations.models import Notification, Reservation, ReservationItem
from tests.exports.conftest import book
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, local_dt

pytestmark = pytest.mark.django_db


# --- Batch files ----------------------------------------------------------------------------------


@pytest.fixture
def old_and_new_batches(export_settings, clock, lung_slots):
    """Three batches: two made 20 days ago (one downloaded), one made today."""
    export_settings.EXPORT_RETENTION_DAYS = 14
    book([lung_slots[0]], at=clock, person=0)
    old = services.batch_create_delta(cutoff=clock + timedelta(minutes=1)).batch
    old_full = services.batch_create_full(
        screenings_from=timezone.localdate(),
        screenings_to=timezone.localdate() + timedelta(days=30),
    ).batch
    book([lung_slots[1]], at=clock + timedelta(minutes=2), person=1)
    new = services.batch_create_delta(cutoff=clock + timedelta(minutes=3)).batch
    # Made 20 days ago (and one of them downloaded since).
    long_ago = timezone.now() - timedelta(days=20)
    Batch.objects.filter(pk=old.pk).update(created_at=long_ago)
    Batch.objects.filter(pk=old_full.pk).update(created_at=long_ago, status=Batch.Status.DOWNLOADED)
    return old, old_full, new


def test_unconfirmed_batch_files_past_retention_are_deleted_and_marked_expired(
    old_and_new_batches, export_storage_dir
):
    old, old_full, new = old_and_new_batches

    expired = retention.batches_expire()

    assert expired == [old.pk, old_full.pk]
    for batch in (old, old_full):
        batch.refresh_from_db()
        assert batch.status == Batch.Status.EXPIRED and batch.deleted_at is not None
        assert batch.deleted_by is None  # nobody: the schedule did it
        assert batch.plaintext_sha256  # the record stays
        assert not (export_storage_dir / batch.stored_name).exists()
    new.refresh_from_db()
    assert new.status == Batch.Status.READY
    assert (export_storage_dir / new.stored_name).exists()


def test_each_expired_batch_leaves_an_audit_record(old_and_new_batches):
    old, old_full, _new = old_and_new_batches

    retention.batches_expire()

    events = AuditEvent.objects.filter(action="exports.batch.expired").order_by("id")
    assert [e.target_id for e in events] == [str(old.pk), str(old_full.pk)]
    assert [e.details["status_before"] for e in events] == ["ready", "downloaded"]
    assert all(e.actor_id is None and e.details["retention_days"] == 14 for e in events)


def test_confirmed_batches_are_left_alone_by_the_purge(old_and_new_batches, export_settings):
    old, _old_full, _new = old_and_new_batches
    Batch.objects.filter(pk=old.pk).update(status=Batch.Status.CONFIRMED, deleted_at=timezone.now())

    assert old.pk not in retention.batches_expire()
    assert not AuditEvent.objects.filter(action="exports.batch.expired", target_id=str(old.pk))


def test_a_dry_run_deletes_nothing(old_and_new_batches, export_storage_dir):
    old, _old_full, _new = old_and_new_batches

    assert len(retention.batches_expire(dry_run=True)) == 2

    old.refresh_from_db()
    assert old.status == Batch.Status.READY
    assert (export_storage_dir / old.stored_name).exists()


# --- Reservations -----------------------------------------------------------------------------


def _past_booking(days_ago: int, person: int, *, cancel=False):
    """A booking for a screening `days_ago` days ago, made while its window was open."""
    day = timezone.localdate() - timedelta(days=days_ago)
    starts = local_dt(day, 9)
    slot = SlotFactory(
        venue=VenueFactory(),
        screening_type=ScreeningTypeFactory(code="lung"),
        starts_at=starts,
        opens_at=starts - timedelta(days=30),
        closes_at=starts - timedelta(days=1),
    )
    made = starts - timedelta(days=10)
    reservation = book([slot], at=made, person=person)
    if cancel:
        booking.reservation_cancel(reservation=reservation, now=made + timedelta(hours=1))
    return reservation


@pytest.fixture
def retention_days(settings):
    settings.RESERVATION_RETENTION_DAYS = 90
    settings.HEALTH_CENTRE_COPY_EMAIL = ""
    return 90


def test_reservations_past_retention_are_deleted_with_their_personal_data(retention_days):
    old = _past_booking(95, person=0)
    old_cancelled = _past_booking(200, person=1, cancel=True)
    recent = _past_booking(30, person=2)
    boundary = _past_booking(90, person=3)  # exactly 90 days: not yet "more than 90"
    assert Notification.objects.filter(reservation=old).exists()
    old_citizens = [old.citizen_id, old_cancelled.citizen_id]

    result = reservation_retention.reservations_purge()

    assert (result.reservations, result.citizens, result.items) == (2, 2, 2)
    assert result.notifications == 3  # confirmation ×2 + cancellation
    assert not Reservation.objects.filter(pk__in=[old.pk, old_cancelled.pk]).exists()
    assert not Citizen.objects.filter(pk__in=old_citizens).exists()
    assert not ReservationItem.objects.filter(reservation_id__in=[old.pk, old_cancelled.pk])
    assert not Notification.objects.filter(reservation_id__in=[old.pk, old_cancelled.pk])
    assert set(Reservation.objects.values_list("pk", flat=True)) == {recent.pk, boundary.pk}
    assert Citizen.objects.filter(pk=recent.citizen_id).exists()


def test_the_reservation_purge_is_audited_with_counts_and_dates_never_names(retention_days):
    _past_booking(95, person=0)
    _past_booking(120, person=1)

    reservation_retention.reservations_purge()

    (event,) = AuditEvent.objects.filter(action="reservations.reservation.purged")
    assert event.actor_id is None and event.outcome == "success"
    assert event.details["reservations"] == 2 and event.details["citizens"] == 2
    assert event.details["retention_days"] == 90
    first = (timezone.localdate() - timedelta(days=120)).isoformat()
    last = (timezone.localdate() - timedelta(days=95)).isoformat()
    assert (event.details["first_screening"], event.details["last_screening"]) == (first, last)
    assert not any(text in str(event.details) for text in ("山田", "ヤマダ", "1970-05-01"))


def test_the_purge_works_in_chunks_each_with_its_own_record(retention_days):
    for person in range(5):
        _past_booking(100 + person, person=person)

    result = reservation_retention.reservations_purge(chunk_size=2)

    assert result.reservations == 5 and Reservation.objects.count() == 0
    events = AuditEvent.objects.filter(action="reservations.reservation.purged").order_by("id")
    assert [e.details["reservations"] for e in events] == [2, 2, 1]


def test_a_dry_run_of_the_reservation_purge_only_counts(retention_days):
    _past_booking(95, person=0)

    result = reservation_retention.reservations_purge(dry_run=True)

    assert result.reservations == 1 and Reservation.objects.count() == 1
    assert not AuditEvent.objects.filter(action="reservations.reservation.purged").exists()


def test_purge_expired_command_does_both_and_prints_one_line(old_and_new_batches, retention_days):
    _past_booking(95, person=4)

    out = io.StringIO()
    call_command("purge_expired", stdout=out)

    line = out.getvalue()
    assert line.count("\n") == 1
    assert "batches=2 reservations=1 citizens=1 items=1" in line
    keep_from = timezone.localdate() - timedelta(days=90)
    assert f"screenings before {keep_from:%Y-%m-%d}" in line

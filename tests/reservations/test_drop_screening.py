"""One screening taken out of a set booking (セット検診): its place is freed, the others keep
their times, the resident is mailed, a staff drop is audited, and the next export batch
carries the booking as 変更 with the screenings it still has."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.context import AuditContext
from audit.models import AuditEvent
from exports import services as exports
from reservations import services
from reservations.errors import InvalidSelection, NotCancellable, OnlyScreening
from reservations.models import Notification, Reservation, ReservationItem, Slot
from tests.exports.conftest import book
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt
from tests.helpers import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    """Some hours ago: bookings are made at clock + minutes (as in tests/exports)."""
    return timezone.now() - timedelta(hours=6)


@pytest.fixture
def set_slots():
    """Lung at 9:00 and stomach at 9:30 on one day at one venue, two weeks ahead."""
    venue = VenueFactory()
    day = timezone.localdate() + timedelta(days=14)
    lung = ScreeningTypeFactory(code="lung", min_age=40)
    stomach = ScreeningTypeFactory(code="stomach", min_age=50)
    return (
        SlotFactory(venue=venue, screening_type=lung, starts_at=local_dt(day, 9, 0)),
        SlotFactory(venue=venue, screening_type=stomach, starts_at=local_dt(day, 9, 30)),
    )


def booked(slot):
    return Slot.objects.get(pk=slot.pk).booked


def test_dropping_one_screening_frees_its_place_and_keeps_the_other(set_slots):
    lung, stomach = set_slots
    reservation = services.reservation_create(slots=[lung, stomach], details=details()).reservation
    before = reservation.changed_at

    services.reservation_drop_screening(
        reservation=reservation, screening_type_id=stomach.screening_type_id
    )

    reservation.refresh_from_db()
    assert reservation.is_live
    assert [i.slot_id for i in reservation.items.all()] == [lung.pk]
    assert (booked(lung), booked(stomach)) == (1, 0)
    assert reservation.changed_at > before
    kinds = list(reservation.notifications.values_list("kind", flat=True))
    assert kinds == [Notification.Kind.CONFIRMATION, Notification.Kind.CHANGE]
    # A resident's own change is not a staff action: no audit record.
    assert not AuditEvent.objects.filter(action__contains="screening_dropped").exists()


def test_the_dropped_screening_can_be_booked_again(set_slots):
    lung, stomach = set_slots
    reservation = services.reservation_create(slots=[lung, stomach], details=details()).reservation
    services.reservation_drop_screening(
        reservation=reservation, screening_type_id=stomach.screening_type_id
    )
    again = services.reservation_create(slots=[stomach], details=details())
    assert again.created


def test_a_staff_drop_is_audited_with_ids_only(set_slots):
    lung, stomach = set_slots
    reservation = services.reservation_create(slots=[lung, stomach], details=details()).reservation
    staff = make_staff()
    services.reservation_drop_screening(
        reservation=reservation,
        screening_type_id=lung.screening_type_id,
        audit_context=AuditContext(actor=staff),
        audit_details={"via": "phone_desk"},
    )
    event = AuditEvent.objects.get(action="reservations.reservation.screening_dropped")
    assert event.target_id == str(reservation.pk)
    assert event.details == {
        "via": "phone_desk",
        "slot_id": lung.pk,
        "screening_type_id": lung.screening_type_id,
        "kept_slot_ids": [stomach.pk],
    }


def test_no_screening_is_dropped_once_the_first_has_begun(set_slots):
    lung, stomach = set_slots
    reservation = services.reservation_create(slots=[lung, stomach], details=details()).reservation
    during_the_first = lung.starts_at + timedelta(minutes=10)  # stomach is still to come

    with pytest.raises(NotCancellable):
        services.reservation_drop_screening(
            reservation=reservation,
            screening_type_id=stomach.screening_type_id,
            now=during_the_first,
        )
    assert reservation.items.count() == 2 and booked(stomach) == 1


def test_the_only_screening_is_not_dropped_but_cancelled(set_slots):
    lung, _stomach = set_slots
    reservation = services.reservation_create(slots=[lung], details=details()).reservation
    with pytest.raises(OnlyScreening):
        services.reservation_drop_screening(
            reservation=reservation, screening_type_id=lung.screening_type_id
        )
    assert reservation.items.count() == 1 and booked(lung) == 1
    assert reservation.notifications.count() == 1


def test_refusals_write_nothing(set_slots):
    lung, stomach = set_slots
    other = ScreeningTypeFactory(code="breast")
    reservation = services.reservation_create(slots=[lung, stomach], details=details()).reservation
    with pytest.raises(InvalidSelection):
        services.reservation_drop_screening(reservation=reservation, screening_type_id=other.pk)
    started = lung.starts_at + timedelta(minutes=1)
    with pytest.raises(NotCancellable):
        services.reservation_drop_screening(
            reservation=reservation, screening_type_id=lung.screening_type_id, now=started
        )
    services.reservation_cancel(reservation=reservation)
    with pytest.raises(NotCancellable):
        services.reservation_drop_screening(
            reservation=reservation, screening_type_id=lung.screening_type_id
        )
    assert ReservationItem.objects.filter(reservation=reservation).count() == 2
    assert (booked(lung), booked(stomach)) == (0, 0)  # freed by the cancel only


# --- The export: a 変更 with what is left -----------------------------------------------------


def delta_rows(start, end):
    return [
        (record["reservation__number"], record["screening_type__code"], change)
        for record, change in exports._delta_changes(start, end)
    ]


def test_export_carries_a_drop_as_a_change_with_the_screenings_left(set_slots, clock):
    lung, stomach = set_slots
    reservation = book([lung, stomach], at=clock)
    number = reservation.number
    assert sorted(delta_rows(clock - timedelta(minutes=1), clock + timedelta(minutes=5))) == [
        (number, "lung", "新規"),
        (number, "stomach", "新規"),
    ]

    services.reservation_drop_screening(
        reservation=reservation,
        screening_type_id=stomach.screening_type_id,
        now=clock + timedelta(minutes=10),
    )

    # 変更: "update the booking with this number" to what the rows show — lung alone.
    assert delta_rows(clock + timedelta(minutes=5), clock + timedelta(minutes=20)) == [
        (number, "lung", "変更")
    ]


def test_a_set_made_and_trimmed_in_one_period_is_new_with_what_is_left(set_slots, clock):
    lung, stomach = set_slots
    reservation = book([lung, stomach], at=clock)
    services.reservation_drop_screening(
        reservation=reservation,
        screening_type_id=lung.screening_type_id,
        now=clock + timedelta(minutes=1),
    )
    assert delta_rows(clock - timedelta(minutes=1), clock + timedelta(minutes=5)) == [
        (reservation.number, "stomach", "新規")
    ]
    assert Reservation.objects.get().is_live


# --- Two drops at once -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_dropping_both_screenings_leave_one_on_postgres(monkeypatch):
    """Each tab takes out a different screening of the same set: the second must see that
    only one is left and refuse, not leave a live booking with no screening at all."""
    import threading

    from tests.reservations.race import race

    venue = VenueFactory()
    day = timezone.localdate() + timedelta(days=14)
    lung = SlotFactory(venue=venue, starts_at=local_dt(day, 9, 0))
    stomach = SlotFactory(
        venue=venue,
        screening_type=ScreeningTypeFactory(code="stomach"),
        starts_at=local_dt(day, 9, 30),
    )
    reservation = services.reservation_create(slots=[lung, stomach], details=details()).reservation

    # The first drop waits, holding what it holds, until the second has had its chance.
    barrier = threading.Barrier(2)
    original = services._release_place

    def release_then_wait(slot_id):
        original(slot_id)
        try:
            barrier.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass  # the other drop is waiting for the reservation's lock: as it should

    monkeypatch.setattr(services, "_release_place", release_then_wait)
    outcomes = race(
        [
            lambda slot=slot: (
                services.reservation_drop_screening(
                    reservation=Reservation.objects.get(pk=reservation.pk),
                    screening_type_id=slot.screening_type_id,
                ).pk
            )
            for slot in (lung, stomach)
        ]
    )
    assert sorted(map(str, outcomes)) == sorted([str(reservation.pk), "OnlyScreening"])
    assert ReservationItem.objects.filter(reservation=reservation).count() == 1
    assert booked(lung) + booked(stomach) == 1

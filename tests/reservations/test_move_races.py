"""Moves and cancellations that overlap: the slot counters must stay exact.

A move or a cancel reads which places the booking holds and then changes the counters.
If it reads them before it holds the reservation's row, a move that commits in between
(a double-clicked "Move my booking", or "Cancel" in another tab) makes it release a place
that was already released and keep one nobody holds. The interleaved tests below make
the other request commit at exactly that moment, on any database; the PostgreSQL test
makes two crossing moves wait for each other, which deadlocked when a move took its new
places before releasing its old ones instead of going in slot order.
"""

import threading

import pytest

from reservations import services
from reservations.models import Reservation, Slot
from tests.factories import SlotFactory, VenueFactory, details, local_dt
from tests.reservations.race import race


def booked(*slots):
    return [Slot.objects.get(pk=s.pk).booked for s in slots]


def two_slots(capacity=5):
    a = SlotFactory(capacity=capacity)
    b = SlotFactory(
        capacity=capacity,
        venue=a.venue,
        screening_type=a.screening_type,
        starts_at=a.starts_at.replace(hour=11),
    )
    return a, b


def run_once_before(monkeypatch, target, name, before):
    """Make `target.name` call `before()` the first time it is called (and only then)."""
    original = getattr(target, name)
    pending = [before]

    def wrapper(*args, **kwargs):
        if pending:
            pending.pop()()
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


@pytest.mark.django_db
def test_double_clicked_move_takes_the_new_place_once_and_releases_the_old_once(monkeypatch):
    a, b = two_slots()
    reservation = services.reservation_create(slots=[a], details=details()).reservation
    other = services.reservation_create(
        slots=[a], details=details(furigana="サトウ ジロウ")
    ).reservation
    assert booked(a, b) == [2, 0]

    # The first click's move commits while the second click is on its way in.
    first_click = Reservation.objects.get(pk=reservation.pk)
    run_once_before(
        monkeypatch,
        services,
        "eligibility_reasons",
        lambda: services.reservation_move(reservation=first_click, new_slots=[b]),
    )
    services.reservation_move(reservation=Reservation.objects.get(pk=reservation.pk), new_slots=[b])

    assert booked(a, b) == [1, 1]
    assert list(reservation.items.values_list("slot_id", flat=True)) == [b.pk]
    assert other.items.get().slot_id == a.pk


@pytest.mark.django_db
def test_cancel_racing_a_move_frees_the_place_the_booking_holds_now(monkeypatch):
    a, b = two_slots(capacity=2)
    reservation = services.reservation_create(slots=[a], details=details()).reservation
    services.reservation_create(slots=[a], details=details(furigana="サトウ ジロウ"))
    assert booked(a, b) == [2, 0]

    # "Move" (another tab) commits just as "Cancel" starts its work.
    mover = Reservation.objects.get(pk=reservation.pk)
    run_once_before(
        monkeypatch,
        Reservation.objects,
        "filter",
        lambda: services.reservation_move(reservation=mover, new_slots=[b]),
    )
    services.reservation_cancel(reservation=Reservation.objects.get(pk=reservation.pk))
    monkeypatch.undo()

    # The other resident still holds A; B is free again. Before the fix A showed 0 of 2
    # taken (so two more people could book it: overbooked) and B stayed 1 for nobody.
    assert booked(a, b) == [1, 0]
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CANCELLED
    assert not reservation.items.filter(is_live=True).exists()


@pytest.mark.django_db
def test_move_of_a_booking_cancelled_meanwhile_changes_nothing(monkeypatch):
    a, b = two_slots()
    reservation = services.reservation_create(slots=[a], details=details()).reservation
    canceller = Reservation.objects.get(pk=reservation.pk)
    run_once_before(
        monkeypatch,
        services,
        "eligibility_reasons",
        lambda: services.reservation_cancel(reservation=canceller),
    )
    with pytest.raises(services.NotCancellable):
        services.reservation_move(
            reservation=Reservation.objects.get(pk=reservation.pk), new_slots=[b]
        )
    assert booked(a, b) == [0, 0]


@pytest.mark.django_db
def test_a_move_that_changes_nothing_does_not_mark_the_booking_changed():
    a, _b = two_slots()
    reservation = services.reservation_create(slots=[a], details=details()).reservation
    before = Reservation.objects.get(pk=reservation.pk).changed_at
    services.reservation_move(reservation=reservation, new_slots=[a])
    assert Reservation.objects.get(pk=reservation.pk).changed_at == before
    assert booked(a) == [1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_crossing_moves_do_not_deadlock_on_postgres(monkeypatch):
    """X moves A → B while Y moves B → A: both must succeed, neither may deadlock."""
    venue = VenueFactory()
    a = SlotFactory(capacity=5, venue=venue)
    b = SlotFactory(
        capacity=5,
        venue=venue,
        screening_type=a.screening_type,
        starts_at=local_dt(a.local_date, 11),
    )
    x = services.reservation_create(slots=[a], details=details()).reservation
    y = services.reservation_create(
        slots=[b], details=details(furigana="サトウ ジロウ")
    ).reservation

    # Both moves hold their first slot lock before either goes on to its second one.
    barrier = threading.Barrier(2)
    original = services._take_place

    def take_then_wait(slot, now):
        original(slot, now)
        try:
            barrier.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass  # the other move is waiting for our lock: in slot order, that is fine

    monkeypatch.setattr(services, "_take_place", take_then_wait)
    outcomes = race(
        [
            lambda: (
                services.reservation_move(
                    reservation=Reservation.objects.get(pk=x.pk), new_slots=[b]
                ).pk
            ),
            lambda: (
                services.reservation_move(
                    reservation=Reservation.objects.get(pk=y.pk), new_slots=[a]
                ).pk
            ),
        ]
    )
    assert outcomes == [x.pk, y.pk]
    assert booked(a, b) == [1, 1]
    assert x.items.get().slot_id == b.pk and y.items.get().slot_id == a.pk

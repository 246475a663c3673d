"""The waiting list under real concurrency on PostgreSQL (threads, own connections).

Cancellations race claims and first-come bookers, capacity changes race both, two expiry
workers race each other: no slot is ever oversold, no place goes to two entries, an offer
is made once and an expired one is passed on exactly once.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import services as booking
from reservations.models import Slot
from tests.factories import SlotFactory
from tests.reservations.race import race
from tests.waitlist.helpers import check_invariants, fill, join, resident
from waitlist import services
from waitlist.models import Offer, WaitlistEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_cancellations_racing_first_come_bookers_go_to_the_line_and_never_oversell():
    slot = SlotFactory(capacity=10)
    bookings = fill(slot)
    for n in range(5):
        join(slot, n)
    cancels = [
        (lambda r=r: booking.reservation_cancel(reservation=r) and "cancelled")
        for r in bookings[:8]
    ]
    bookers = [
        (
            lambda n=n: (
                booking.reservation_create(
                    slots=[Slot.objects.get(pk=slot.pk)], details=resident(500 + n)
                )
                and "booked"
            )
        )
        for n in range(20)
    ]
    outcomes = race(cancels + bookers)
    assert outcomes.count("cancelled") == 8
    slot.refresh_from_db()
    # Five of the freed places went to the five in line; the others to first-comers.
    assert Offer.objects.filter(status="open").count() == 5
    assert slot.held == 5
    assert slot.booked + slot.held <= slot.capacity
    check_invariants()


def test_claims_racing_cancellations_never_give_one_place_to_two_entries():
    slot = SlotFactory(capacity=4)
    bookings = fill(slot)
    entries = [join(slot, n) for n in range(6)]
    # Two places freed: two offers; then everyone answers while more places are freed.
    booking.reservation_cancel(reservation=bookings[0])
    booking.reservation_cancel(reservation=bookings[1])
    offers = list(Offer.objects.filter(status="open"))
    assert len(offers) == 2

    def confirm(offer):
        return lambda: services.offer_confirm(offer=offer) and "confirmed"

    def decline(offer):
        return lambda: services.offer_decline(offer=offer) and "declined"

    attempts = [confirm(offers[0]), confirm(offers[0]), decline(offers[1]), decline(offers[1])]
    attempts += [
        (lambda r=r: booking.reservation_cancel(reservation=r) and "cancelled")
        for r in bookings[2:]
    ]
    outcomes = race(attempts)
    assert outcomes.count("confirmed") == 1 and outcomes.count("declined") == 1
    assert outcomes.count("OfferNotOpen") == 2
    check_invariants()
    # Four places freed in all, one confirmed: the other three are held for the line.
    slot.refresh_from_db()
    assert slot.booked == 1 and slot.held == 3
    assert WaitlistEntry.objects.filter(pk=entries[0].pk, status="booked").exists()


def test_capacity_changes_racing_bookers_and_cancellations_never_oversell():
    slot = SlotFactory(capacity=6)
    bookings = fill(slot)
    for n in range(4):
        join(slot, n)
    attempts = [
        (lambda c=c: booking.slot_set_capacity(slot=slot, capacity=c) and "capacity")
        for c in (8, 9, 7, 10)
    ]
    attempts += [
        (lambda r=r: booking.reservation_cancel(reservation=r) and "cancelled")
        for r in bookings[:3]
    ]
    attempts += [
        (
            lambda n=n: (
                booking.reservation_create(
                    slots=[Slot.objects.get(pk=slot.pk)], details=resident(700 + n)
                )
                and "booked"
            )
        )
        for n in range(10)
    ]
    race(attempts)
    check_invariants()


def test_an_offer_is_made_once_when_the_same_place_is_freed_by_racing_cancels():
    slot = SlotFactory(capacity=1)
    (only,) = fill(slot)
    join(slot, 1)
    join(slot, 2)
    outcomes = race([lambda: booking.reservation_cancel(reservation=only) and "ok"] * 6)
    assert outcomes.count("ok") == 1
    assert Offer.objects.count() == 1
    check_invariants()


def test_two_expiry_workers_pass_each_place_on_exactly_once():
    slot = SlotFactory(capacity=5)
    bookings = fill(slot)
    for n in range(10):
        join(slot, n)
    for r in bookings:
        booking.reservation_cancel(reservation=r)
    assert Offer.objects.filter(status="open").count() == 5
    later = Offer.objects.latest("expires_at").expires_at + timedelta(seconds=1)
    outcomes = race([lambda: services.offers_expire(now=later, batch_size=2)] * 2)
    assert sum(outcomes) == 5
    assert Offer.objects.filter(status="expired").count() == 5
    assert Offer.objects.filter(status="open").count() == 5
    check_invariants()


def test_two_expiry_workers_across_many_slots_do_not_deadlock():
    slots = [
        SlotFactory(capacity=2, starts_at=SlotFactory.starts_at.function() + timedelta(hours=h))
        for h in range(4)
    ]
    for i, slot in enumerate(slots):
        bookings = fill(slot, start=3000 + 10 * i)
        for n in range(4):
            join(slot, 100 + 10 * i + n)
        for r in bookings:
            booking.reservation_cancel(reservation=r)
    # Offers on the slots in an order that crosses them: each batch spans several slots.
    Offer.objects.update(expires_at=timezone.now() + timedelta(hours=1))
    for k, offer in enumerate(Offer.objects.order_by("slot_id")):
        Offer.objects.filter(pk=offer.pk).update(
            expires_at=timezone.now() + timedelta(minutes=(k * 3) % 8 + 1)
        )
    later = timezone.now() + timedelta(hours=2)
    outcomes = race([lambda: services.offers_expire(now=later, batch_size=3)] * 2)
    assert sum(outcomes) == 8, outcomes
    check_invariants()

"""Shared set-up for the waiting-list tests."""

from django.db.models import Count, Q

from reservations import services as booking
from reservations.eligibility import CitizenDetails
from reservations.models import ReservationItem, Slot
from tests.reservations.race import person
from waitlist import services
from waitlist.models import Offer, WaitlistEntry


def resident(n, **overrides):
    return CitizenDetails(**{**person(n), **overrides})


def fill(slot, *, start=1000):
    """Book every place of `slot` with distinct people; returns the reservations."""
    made = [
        booking.reservation_create(slots=[slot], details=resident(start + i)).reservation
        for i in range(slot.capacity - slot.booked - slot.held)
    ]
    slot.refresh_from_db()
    return made


def join(slot, n, **kwargs):
    return services.entry_join(
        screening_type=slot.screening_type, details=resident(n), slots=[slot], **kwargs
    )


def check_invariants():
    """booked = live items, held = open offers, booked + held <= capacity, per slot; one
    open offer per entry and never one place to two entries."""
    for slot in Slot.objects.annotate(
        live=Count("items", filter=Q(items__is_live=True), distinct=True)
    ):
        open_offers = Offer.objects.filter(slot=slot, status=Offer.Status.OPEN).count()
        assert slot.booked == slot.live, slot
        assert slot.held == open_offers, slot
        assert slot.booked + slot.held <= slot.capacity, slot
    assert not (
        WaitlistEntry.objects.annotate(
            n=Count("offers", filter=Q(offers__status=Offer.Status.OPEN))
        )
        .filter(n__gt=1)
        .exists()
    )
    offered = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED).count()
    assert offered == Offer.objects.filter(status=Offer.Status.OPEN).count()
    # A confirmed offer made exactly one booking.
    for offer in Offer.objects.filter(status=Offer.Status.CONFIRMED):
        assert offer.reservation_id is not None
    assert ReservationItem.objects.filter(is_live=True).count() == sum(
        Slot.objects.values_list("booked", flat=True)
    )

"""Booking races on a file-based SQLite database (run by tests.probe_sqlite)."""

from reservations.models import Reservation, Slot
from tests.factories import SlotFactory
from tests.reservations.race import book_many, same_person_many, summarise


def report() -> dict:
    slot = SlotFactory(capacity=10)
    crowd = summarise(book_many(slot, 50))
    slot.refresh_from_db()
    twin_slot = SlotFactory(capacity=10, starts_at=slot.starts_at.replace(hour=11))
    twins = same_person_many(twin_slot, 10, same_token=True)
    tabs_slot = SlotFactory(capacity=10, starts_at=slot.starts_at.replace(hour=13))
    tabs = summarise(same_person_many(tabs_slot, 10, same_token=False, who=998))
    return {
        "crowd": crowd,
        "booked": slot.booked,
        "reservations": Reservation.objects.filter(items__slot=slot).count(),
        "twin_numbers": sorted({str(o) for o in twins}),
        "twin_reservations": Reservation.objects.filter(items__slot=twin_slot).count(),
        "tabs": tabs,
        "tabs_reservations": Reservation.objects.filter(items__slot=tabs_slot).count(),
        "tabs_booked": Slot.objects.get(pk=tabs_slot.pk).booked,
    }

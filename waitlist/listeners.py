"""The waiting list's answer to reservations.freed_places: offer each freed place."""

from __future__ import annotations

from datetime import datetime

from reservations.models import Slot


def offer_places_freed(*, slot_ids: list[int], now: datetime) -> None:
    """Inside the freeing transaction: the next in line for each slot gets an offer.

    One query first asks whether anyone waits for these slots' screenings at all: most
    cancellations free a place nobody waits for, and this runs under the slot's row lock,
    where every query holds up the next booker of that time."""
    from waitlist.models import WaitlistEntry
    from waitlist.services import offer_freed_places

    waited_for = set(
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.WAITING,
            screening_type_id__in=Slot.objects.filter(pk__in=slot_ids).values("screening_type_id"),
        )
        .values_list("screening_type_id", flat=True)
        .distinct()
    )
    if not waited_for:
        return
    for slot in Slot.objects.filter(pk__in=slot_ids, screening_type_id__in=waited_for).order_by(
        "pk"
    ):
        offer_freed_places(slot=slot, now=now)

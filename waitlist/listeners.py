"""The waiting list's answer to reservations.freed_places: offer each freed place."""

from __future__ import annotations

from datetime import datetime

from reservations.models import Slot


def offer_places_freed(*, slot_ids: list[int], now: datetime) -> None:
    """Inside the freeing transaction: the next in line for each slot gets an offer."""
    from waitlist.services import offer_freed_places

    for slot in Slot.objects.filter(pk__in=slot_ids).order_by("pk"):
        offer_freed_places(slot=slot, now=now)

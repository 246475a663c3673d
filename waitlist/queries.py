"""The read side of the waiting list: where an entry stands, and the lists staff see."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from reservations.models import Slot, SlotState
from waitlist.models import Offer, WaitlistEntry


def accepted_slots(entry: WaitlistEntry, now: datetime | None = None) -> list[Slot]:
    """The slots still open for booking that `entry` accepts, in time order."""
    now = now or timezone.now()
    if entry.first_date is not None and entry.last_date is not None:
        query = Slot.objects.filter(
            screening_type_id=entry.screening_type_id,
            starts_at__date__gte=entry.first_date,
            starts_at__date__lte=entry.last_date,
        )
        if entry.venue_id is not None:
            query = query.filter(venue_id=entry.venue_id)
    else:
        query = entry.slots.all()
    slots = query.select_related("venue", "screening_type").order_by("starts_at")
    return [s for s in slots if s.window_state(now) == SlotState.OPEN]


def _accepts(slot: Slot) -> Q:
    day = slot.local_date
    return Q(slots=slot) | (
        Q(first_date__lte=day, last_date__gte=day)
        & (Q(venue__isnull=True) | Q(venue_id=slot.venue_id))
    )


def people_ahead(entry: WaitlistEntry, now: datetime | None = None) -> int | None:
    """How many waiting entries are before `entry` for the place it is nearest to getting
    (the fewest ahead over the times it accepts); None when it is not waiting or accepts
    no time still open. Only a count: nothing about who they are."""
    if entry.status != WaitlistEntry.Status.WAITING:
        return None
    counts = []
    for slot in accepted_slots(entry, now):
        ahead = (
            WaitlistEntry.objects.filter(
                _accepts(slot),
                status=WaitlistEntry.Status.WAITING,
                screening_type_id=entry.screening_type_id,
                fiscal_year=entry.fiscal_year,
            )
            .filter(
                Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lt=entry.pk)
            )
            .values("pk")
            .distinct()
            .count()
        )
        counts.append(ahead)
    return min(counts) if counts else None


def open_offer(entry: WaitlistEntry) -> Offer | None:
    return (
        Offer.objects.filter(entry=entry, status=Offer.Status.OPEN)
        .select_related("slot", "slot__venue", "slot__screening_type")
        .first()
    )


def slot_line(slot: Slot) -> QuerySet[WaitlistEntry]:
    """The waiting entries that accept `slot`, in line order."""
    return (
        WaitlistEntry.objects.filter(
            _accepts(slot),
            status=WaitlistEntry.Status.WAITING,
            screening_type_id=slot.screening_type_id,
            fiscal_year=slot.fiscal_year,
        )
        .distinct()
        .order_by("created_at", "id")
    )


def open_offers() -> QuerySet[Offer]:
    return (
        Offer.objects.filter(status=Offer.Status.OPEN)
        .select_related("entry", "slot", "slot__venue", "slot__screening_type")
        .order_by("expires_at", "id")
    )


def call_list() -> QuerySet[Offer]:
    """Open offers to residents without email: the desk phones them."""
    return open_offers().filter(entry__email="")


def waiting_counts(slots: list[Slot]) -> dict[int, int]:
    """For the staff's list of full times: how many waiting entries accept each slot —
    those naming it and those whose dates (and venue) cover it, the line the offers use
    (waitlist.services._line_for). Two queries, whatever the number of slots."""
    rows = (
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.WAITING, slots__in=[s.pk for s in slots]
        )
        .values("slots")
        .annotate(n=Count("pk"))
    )
    counts: Counter[int] = Counter({row["slots"]: row["n"] for row in rows})
    ranged = list(
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.WAITING,
            first_date__isnull=False,
            screening_type_id__in={s.screening_type_id for s in slots},
        ).only("screening_type_id", "fiscal_year", "first_date", "last_date", "venue_id")
    )
    for slot in slots:
        day = slot.local_date
        counts[slot.pk] += sum(
            1
            for entry in ranged
            if entry.screening_type_id == slot.screening_type_id
            and entry.fiscal_year == slot.fiscal_year
            and entry.accepts_day(day, slot.venue_id)
        )
    return {slot_id: n for slot_id, n in counts.items() if n}

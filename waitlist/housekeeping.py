"""Housekeeping of the waiting list, run by `expire_waitlist_offers` after the expiries:
entries that can no longer be offered anything are closed, and entries that left the list
long ago are deleted (their personal data is kept no longer than a booking's).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from reservations.models import Slot
from waitlist.models import Offer, WaitlistEntry

log = logging.getLogger(__name__)


def entries_close_stale(
    *, now: datetime | None = None, among: QuerySet[WaitlistEntry] | None = None
) -> int:
    """Close every waiting entry (of `among`, else all) that accepts no time whose booking
    is still to close: nothing can be offered to it any more. Closed with the reason
    "window_closed", without mail. One UPDATE per kind of choice; returns how many."""
    now = now or timezone.now()
    waiting = (among if among is not None else WaitlistEntry.objects.all()).filter(
        status=WaitlistEntry.Status.WAITING
    )
    still_open = Slot.objects.filter(
        screening_type_id=OuterRef("screening_type_id"),
        starts_at__date__gte=OuterRef("first_date"),
        starts_at__date__lte=OuterRef("last_date"),
        closes_at__gt=now,
        starts_at__gt=now,
    )
    chosen_open = WaitlistEntry.slots.through.objects.filter(
        waitlistentry_id=OuterRef("pk"), slot__closes_at__gt=now, slot__starts_at__gt=now
    )
    stale_ids = list(
        waiting.filter(first_date__isnull=True)
        .exclude(Exists(chosen_open))
        .values_list("pk", flat=True)
    )
    stale_ids += (
        waiting.filter(first_date__isnull=False, venue__isnull=True)
        .exclude(Exists(still_open))
        .values_list("pk", flat=True)
    )
    stale_ids += (
        waiting.filter(first_date__isnull=False, venue__isnull=False)
        .exclude(Exists(still_open.filter(venue_id=OuterRef("venue_id"))))
        .values_list("pk", flat=True)
    )
    closed = WaitlistEntry.objects.filter(
        pk__in=stale_ids, status=WaitlistEntry.Status.WAITING
    ).update(status=WaitlistEntry.Status.CLOSED, closed_reason="window_closed", closed_at=now)
    if closed:
        log.info("waitlist.entries.closed_stale count=%s", closed)
    return closed


def entries_purge(*, now: datetime | None = None) -> int:
    """Delete entries (with their offers and mail rows) that left the list more than
    RESERVATION_RETENTION_DAYS ago: their personal data is kept no longer than a
    booking's. Bookings made from them are untouched. Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RESERVATION_RETENTION_DAYS)
    stale = WaitlistEntry.objects.filter(closed_at__lt=cutoff).exclude(
        status__in=WaitlistEntry.LIVE
    )
    with transaction.atomic():
        ids = list(stale.values_list("pk", flat=True)[:10_000])  # the rest next time
        Offer.objects.filter(entry_id__in=ids).delete()
        deleted = (
            WaitlistEntry.objects.filter(pk__in=ids).delete()[1].get(WaitlistEntry._meta.label, 0)
        )
    if deleted:
        log.info("waitlist.entries.purged count=%s", deleted)
    return deleted

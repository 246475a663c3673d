"""Personal data does not outlive its purpose: reservations past retention are deleted.

A reservation, with its Citizen row, its items and its queued mails, is deleted
RESERVATION_RETENTION_DAYS after its screening date. The interval rule must outlive the
personal data, so before the rows go a keyed hash of who had which screening in which
fiscal year is kept (ScreeningHistory), and pruned once no rule can need it. Both run in
`manage.py purge_expired`, audited with counts and dates, never whose.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone

import audit
from citizens.models import Citizen
from reservations.models import (
    Notification,
    Reservation,
    ReservationGroup,
    ReservationItem,
    ScreeningHistory,
    ScreeningType,
    fiscal_year_of,
)

log = logging.getLogger(__name__)


@dataclass
class PurgeResult:
    screenings_before: date  # reservations whose screening was before this day were purged
    reservations: int = 0
    citizens: int = 0
    items: int = 0
    notifications: int = 0
    history_kept: int = 0


def reservations_due(*, now: datetime | None = None) -> tuple[QuerySet[Reservation], date]:
    """(queryset of reservations past their retention, first screening day kept)."""
    today = timezone.localdate(now or timezone.now())
    keep_from = today - timedelta(days=settings.RESERVATION_RETENTION_DAYS)
    threshold = datetime.combine(keep_from, time(0), tzinfo=timezone.get_current_timezone())
    due = Reservation.objects.annotate(last_screening=Max("items__slot__starts_at")).filter(
        Q(last_screening__lt=threshold)
        # A reservation without items cannot happen through the services; if one exists,
        # its age is its creation.
        | Q(last_screening__isnull=True, created_at__lt=threshold)
    )
    return due, keep_from


def reservations_purge(
    *, now: datetime | None = None, chunk_size: int = 500, dry_run: bool = False
) -> PurgeResult:
    """Delete reservations (and their citizen, items, notifications) past retention.

    Chunks of `chunk_size` reservations, each in one transaction with its own audit
    record (counts and screening dates only). Reservation.citizen is PROTECT, so the
    reservation goes first and its Citizen row after, inside the same transaction.
    """
    due, keep_from = reservations_due(now=now)
    result = PurgeResult(screenings_before=keep_from)
    if dry_run:
        ids = list(due.values_list("pk", flat=True))
        result.reservations = len(ids)
        result.citizens = len(ids)
        result.items = ReservationItem.objects.filter(reservation_id__in=ids).count()
        result.notifications = Notification.objects.filter(reservation_id__in=ids).count()
        return result
    while True:
        with transaction.atomic():
            chunk = list(due.order_by("pk").values_list("pk", "citizen_id")[:chunk_size])
            if not chunk:
                break
            ids = [pk for pk, _citizen in chunk]
            span = ReservationItem.objects.filter(reservation_id__in=ids).aggregate(
                first=Min("slot__starts_at"), last=Max("slot__starts_at")
            )
            # The interval rule must outlive the personal data: keep a keyed hash of who
            # had which screening in which fiscal year (reservations.ScreeningHistory).
            kept = screening_history_keep(reservation_ids=ids)
            _total, deleted = Reservation.objects.filter(pk__in=ids).delete()
            citizens, _ = Citizen.objects.filter(pk__in=[c for _pk, c in chunk]).delete()
            # A group's contact details (reservations.group) go with its last member.
            ReservationGroup.objects.filter(members__isnull=True).delete()
            counts = {
                "reservations": deleted.get(Reservation._meta.label, 0),
                "citizens": citizens,
                "items": deleted.get(ReservationItem._meta.label, 0),
                "notifications": deleted.get(Notification._meta.label, 0),
                "history_kept": kept,
            }
            audit.record(
                action="reservations.reservation.purged",
                outcome="success",
                details={
                    **counts,
                    "screenings_before": keep_from.isoformat(),
                    "first_screening": _day(span["first"]),
                    "last_screening": _day(span["last"]),
                    "retention_days": settings.RESERVATION_RETENTION_DAYS,
                },
            )
        for key, value in counts.items():
            setattr(result, key, getattr(result, key) + value)
        log.info("reservations.purged %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return result


def _day(moment: datetime | None) -> str | None:
    return timezone.localdate(moment).isoformat() if moment else None


def history_prune(*, now: datetime | None = None) -> int:
    """Forget screening history no interval rule needs any more; audited with the count."""
    with transaction.atomic():
        forgotten = screening_history_prune(now=now)
        if forgotten:
            audit.record(
                action="reservations.history.pruned",
                outcome="success",
                details={"rows": forgotten},
            )
    return forgotten


def screening_history_keep(*, reservation_ids: Iterable[int]) -> int:
    """Before reservations are purged: remember who had which screening in which year.

    Only live (not cancelled) screenings count, as in eligibility_reasons. Runs inside the
    purge's transaction. Returns how many history rows were written.
    """
    rows = [
        # The item's person_key is already the keyed hash (citizens.models.person_key).
        ScreeningHistory(
            person_hash=person_key,
            screening_type_id=screening_type_id,
            fiscal_year=fiscal_year,
        )
        for person_key, screening_type_id, fiscal_year in ReservationItem.objects.filter(
            reservation_id__in=reservation_ids, is_live=True
        ).values_list("person_key", "screening_type_id", "fiscal_year")
    ]
    ScreeningHistory.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def screening_history_prune(*, now: datetime | None = None) -> int:
    """Forget history rows that no interval rule can need any more. Returns the count."""
    current = fiscal_year_of(timezone.localdate(now or timezone.now()))
    deleted = 0
    for screening in ScreeningType.objects.all():
        deleted += ScreeningHistory.objects.filter(
            screening_type=screening, fiscal_year__lte=current - screening.interval_years
        ).delete()[0]
    return deleted

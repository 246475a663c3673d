"""Personal data does not outlive its purpose (DESIGN.md invariant 7).

Two schedules, both run by `manage.py purge_expired` and both audited:
- a batch file that nobody confirmed as imported is deleted EXPORT_RETENTION_DAYS after
  it was made (status "expired"; its metadata stays as the record);
- a reservation, with its Citizen row, its items and its queued mails, is deleted
  RESERVATION_RETENTION_DAYS after its screening date.
Audit records say how many rows and which dates, never whose.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

import audit
from citizens.models import Citizen
from exports.models import Batch
from exports.services import exports_storage
from reservations.models import Notification, Reservation, ReservationItem
from reservations.services import screening_history_keep, screening_history_prune

log = logging.getLogger(__name__)


def batches_expire(*, now: datetime | None = None, dry_run: bool = False) -> list[int]:
    """Delete the files of batches not confirmed within EXPORT_RETENTION_DAYS.

    One transaction per batch: audit record, file deletion and status change commit
    together (the file is deleted inside it, so a failed delete rolls the record back).
    Returns the ids of the batches expired (or, with dry_run, that would be).
    """
    now = now or timezone.now()
    threshold = now - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    due = Batch.objects.filter(
        status__in=[Batch.Status.READY, Batch.Status.DOWNLOADED], created_at__lt=threshold
    ).order_by("pk")
    ids = list(due.values_list("pk", flat=True))
    if dry_run:
        return ids
    expired = []
    for pk in ids:
        with transaction.atomic():
            batch = Batch.objects.select_for_update().get(pk=pk)
            if not batch.has_file:  # confirmed by someone in the meantime
                continue
            audit.record(
                action="exports.batch.expired",
                target=batch,
                outcome="success",
                details={
                    "batch": batch.pk,
                    "status_before": batch.status,
                    "rows": batch.row_count,
                    "created_at": batch.created_at.isoformat(),
                    "retention_days": settings.EXPORT_RETENTION_DAYS,
                },
            )
            exports_storage().delete(batch.stored_name)
            batch.status = Batch.Status.EXPIRED
            batch.deleted_at = now
            batch.save(update_fields=["status", "deleted_at"])
        log.info("exports.batch.expired id=%s", pk)
        expired.append(pk)
    return expired


@dataclass
class PurgeResult:
    screenings_before: date  # reservations whose screening was before this day were purged
    reservations: int = 0
    citizens: int = 0
    items: int = 0
    notifications: int = 0
    history_kept: int = 0


def reservations_due(*, now: datetime | None = None):
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

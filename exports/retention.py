"""Export files do not outlive their purpose: unconfirmed batch files expire.

A batch file that nobody confirmed as imported is deleted EXPORT_RETENTION_DAYS after it
was made (status "expired"; its metadata stays as the record), audited. Reservations past
their retention are reservations.retention's; `manage.py purge_expired` runs both.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from exports.models import Batch
from exports.services import exports_storage

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

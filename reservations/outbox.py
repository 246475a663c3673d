"""Sending a feature's own mail outbox (the waiting list's, the lottery's) the way
reservations.notifications sends the booking mails: at least once, never twice at once.

Due rows are claimed in a short transaction (SELECT … FOR UPDATE SKIP LOCKED) and pushed
a lease ahead; each is sent outside any transaction and its outcome recorded fenced on the
attempt number, so a sender that outlived its lease cannot overwrite the next one's. A
failure is retried after reservations.notifications.backoff and given up after
MAIL_MAX_ATTEMPTS (status "failed", for staff in admin). `last_error` and the logs hold an
error class and SMTP codes only. The outbox model has `status` (pending/sent/failed),
`attempts`, `next_attempt_at`, `last_error` and `sent_at`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from reservations.notifications import backoff, describe_error

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)


def _claim(model: Any, now: datetime, limit: int) -> list[tuple[int, int]]:
    with transaction.atomic():
        due = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(status="pending", next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", "attempts")[:limit]
        )
        model.objects.filter(pk__in=[pk for pk, _ in due]).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    return [(pk, attempts + 1) for pk, attempts in due]


def send_leased(
    model: Any,
    build: Callable[[Any], EmailMessage],
    *,
    related: tuple[str, ...],
    now: datetime,
    limit: int,
    name: str,
) -> dict[str, int]:
    """Send the due rows of the outbox `model` once each, built by `build(row)` (the row
    read with `related` selected); returns how many were sent, will be retried and gave
    up. `name` begins the log line of a failure ("waitlist.mail")."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for pk, attempts in _claim(model, now, limit):
        row = model.objects.select_related(*related).get(pk=pk)
        fence = model.objects.filter(pk=pk, attempts=attempts)
        try:
            build(row).send()
        except Exception as exc:  # noqa: BLE001 - any SMTP or rendering failure: retried
            error = describe_error(exc)
            if attempts >= settings.MAIL_MAX_ATTEMPTS:
                fence.update(status="failed", last_error=error)
                counts["failed"] += 1
            else:
                fence.update(next_attempt_at=timezone.now() + backoff(attempts), last_error=error)
                counts["retry"] += 1
            log.warning("%s.failed id=%s error=%s", name, pk, error)
            continue
        fence.update(status="sent", sent_at=timezone.now())
        counts["sent"] += 1
    return counts

"""Sending the round's mails from the outbox (LotteryNotification).

`send_pending` claims due rows with SELECT … FOR UPDATE SKIP LOCKED and a lease (several
workers never send one mail at once), sends each outside any transaction in the
application's language and records the outcome fenced on the attempt number; a failure is
retried with a growing delay and given up after MAIL_MAX_ATTEMPTS (the row stays FAILED
for staff).
Run by `manage.py send_lottery_mail` (cron, every minute, like send_notifications).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from lottery.models import LotteryNotification
from reservations.notifications import backoff, describe_error

log = logging.getLogger(__name__)

BATCH = 100
LEASE = timedelta(minutes=5)


def _language(code: str) -> str:
    return code if code in ("ja", "en") else "ja"


def render(notification: LotteryNotification) -> tuple[str, str, str]:
    """(subject, text body, HTML body) in the application's language."""
    application = notification.application
    language = _language(application.language)
    with translation.override(language):
        context = {
            "kind": notification.kind,
            "application": application,
            "round": application.round,
            "round_url": settings.SITE_URL + reverse("lottery:round", args=[application.round_id]),
            "lookup_url": settings.SITE_URL + reverse("lottery:lookup"),
            "HEALTH_CENTRE_NAME": settings.HEALTH_CENTRE_NAME,
            "HEALTH_CENTRE_PHONE": settings.HEALTH_CENTRE_PHONE,
        }
        subject = render_to_string("lottery/mail/subject.txt", context).strip()
        body = render_to_string("lottery/mail/body.txt", context)
        # The same words as an HTML part, as the booking mails have.
        html = render_to_string(
            "lottery/mail/body.html", {**context, "language": language, "subject": subject}
        )
    return subject, body, html


def build_message(notification: LotteryNotification) -> mail.EmailMultiAlternatives:
    """The mail with the headers the booking mails carry: one Message-ID for every copy
    (a retry after a lost answer is recognisable), its language, auto-generated."""
    subject, body, html = render(notification)
    application = notification.application
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    created = int(notification.created_at.timestamp())
    message = mail.EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[application.email],
        reply_to=settings.EMAIL_REPLY_TO or None,
        headers={
            "Message-ID": f"<kenshin.lottery.{notification.pk}.{created}@{domain}>",
            "Auto-Submitted": "auto-generated",
            "Content-Language": _language(application.language),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _claim(now: datetime, limit: int) -> list[tuple[int, int]]:
    """Due rows, taken for LEASE: (id, attempt number). Short transaction, SKIP LOCKED."""
    with transaction.atomic():
        rows = list(
            LotteryNotification.objects.select_for_update(skip_locked=True)
            .filter(status=LotteryNotification.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", "attempts")[:limit]
        )
        LotteryNotification.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    return [(pk, attempts + 1) for pk, attempts in rows]


def send_pending(*, limit: int = BATCH, now: datetime | None = None) -> tuple[int, int]:
    """Send the due mails once each; returns (sent, not sent this time).

    As reservations.notifications and waitlist.mail: rows are claimed in a short
    transaction and pushed a lease ahead, sent outside any transaction, and the outcome is
    recorded fenced on the attempt number (a sender that outlived its lease cannot
    overwrite the next one's outcome). A failure is retried after a growing delay
    (reservations.notifications.backoff) and given up after MAIL_MAX_ATTEMPTS, the row
    then FAILED for staff; an SMTP outage of minutes loses nothing. Nothing personal in
    the logs or `last_error`.
    """
    now = now or timezone.now()
    sent = failed = 0
    for pk, attempts in _claim(now, limit):
        notification = LotteryNotification.objects.select_related("application__round").get(pk=pk)
        fence = LotteryNotification.objects.filter(pk=pk, attempts=attempts)
        try:
            build_message(notification).send()
        except Exception as exc:  # noqa: BLE001 - any SMTP or rendering failure: retried
            error = describe_error(exc)
            if attempts >= settings.MAIL_MAX_ATTEMPTS:
                fence.update(status=LotteryNotification.Status.FAILED, last_error=error)
            else:
                fence.update(next_attempt_at=timezone.now() + backoff(attempts), last_error=error)
            log.warning("lottery.mail.failed id=%s error=%s", pk, error)
            failed += 1
            continue
        fence.update(status=LotteryNotification.Status.SENT, sent_at=timezone.now())
        sent += 1
    log.info("lottery.mail sent=%s failed=%s", sent, failed)
    return sent, failed

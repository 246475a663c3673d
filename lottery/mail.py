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
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from lottery.models import LotteryNotification
from reservations.outbox import send_leased

log = logging.getLogger(__name__)

BATCH = 100


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


def send_pending(*, limit: int = BATCH, now: datetime | None = None) -> tuple[int, int]:
    """Send the due mails once each, as the booking and waiting-list mails are
    (reservations.outbox: claimed with a lease, sent outside any transaction, retried with
    a growing delay, given up after MAIL_MAX_ATTEMPTS); returns (sent, not sent this time)."""
    counts = send_leased(
        LotteryNotification,
        build_message,
        related=("application__round", "application__reservation"),
        now=now or timezone.now(),
        limit=limit,
        name="lottery.mail",
    )
    not_sent = counts["retry"] + counts["failed"]
    log.info("lottery.mail sent=%s failed=%s", counts["sent"], not_sent)
    return counts["sent"], not_sent

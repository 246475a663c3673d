"""Sending the round's mails from the outbox (LotteryNotification).

`send_pending` claims pending rows with SELECT … FOR UPDATE SKIP LOCKED (several workers
never send one mail twice), renders each in the application's language and marks it sent,
or counts the failure and gives up after MAX_ATTEMPTS (the row stays FAILED for staff).
Run by `manage.py send_lottery_mail` (cron, every minute, like send_notifications).
"""

from __future__ import annotations

import logging
from email.utils import parseaddr

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from lottery.models import LotteryNotification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
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


def send_pending(*, limit: int = BATCH) -> tuple[int, int]:
    """Send up to `limit` pending mails; returns (sent, failed)."""
    sent = failed = 0
    with transaction.atomic():
        batch = list(
            LotteryNotification.objects.select_for_update(skip_locked=True)
            .filter(status=LotteryNotification.Status.PENDING)
            .select_related("application__round")
            .order_by("created_at")[:limit]
        )
        for notification in batch:
            try:
                build_message(notification).send()
            except Exception as error:  # noqa: BLE001  # any SMTP or rendering failure: retry
                notification.attempts += 1
                notification.last_error = type(error).__name__[:300]
                if notification.attempts >= MAX_ATTEMPTS:
                    notification.status = LotteryNotification.Status.FAILED
                failed += 1
            else:
                notification.status = LotteryNotification.Status.SENT
                notification.sent_at = timezone.now()
                sent += 1
            notification.save(update_fields=["status", "attempts", "last_error", "sent_at"])
    log.info("lottery.mail sent=%s failed=%s", sent, failed)
    return sent, failed

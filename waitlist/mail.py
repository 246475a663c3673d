"""The waiting list's mails and their outbox worker.

A row of WaitlistMail is written in the transaction that needs it (waitlist.services).
`send_due` claims due rows with SELECT … FOR UPDATE SKIP LOCKED (two workers never take
the same row), pushes them one lease ahead, then sends outside any transaction and records
the outcome fenced on the attempt number, as reservations.notifications does: at least
once, with one Message-ID for every copy. Run by `expire_waitlist_offers` (each pass
expires offers, then sends). Nothing personal goes into the logs or `last_error`.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reservations.display import date_text, datetime_text, health_centre_name, time_text
from reservations.language import screening_name
from reservations.outbox import send_leased
from waitlist.models import WaitlistMail

BATCH_SIZE = 20


def offer_url(token: str, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse("waitlist:offer", args=[token])


def entry_url(language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse("waitlist:lookup")


def build_message(row: WaitlistMail) -> mail.EmailMultiAlternatives:
    entry = row.entry
    language = entry.language if entry.language in ("ja", "en") else "ja"
    with translation.override(language):
        context: dict[str, object] = {
            "entry": entry,
            "kind": row.kind,
            "screening": screening_name(entry.screening_type),
            "centre": health_centre_name(),
            "phone": settings.HEALTH_CENTRE_PHONE,
            "lookup_url": entry_url(language),
        }
        if row.offer is not None:
            slot = row.offer.slot
            context.update(
                {
                    "offer_url": offer_url(row.offer.token, language),
                    "day": date_text(slot.starts_at),
                    "time": time_text(slot.starts_at),
                    "venue": slot.venue.name_en
                    if language == "en" and slot.venue.name_en
                    else slot.venue.name,
                    "expires": datetime_text(row.offer.expires_at),
                }
            )
        subjects = {
            WaitlistMail.Kind.JOINED: _("You are on the waiting list"),
            WaitlistMail.Kind.OFFER: _("A place is free for you: please answer"),
            WaitlistMail.Kind.CLOSED: _("Your waiting-list entry has ended"),
        }
        subject = f"[{health_centre_name()}] {subjects[WaitlistMail.Kind(row.kind)]}"
        body = render_to_string("waitlist/mail/body.txt", context)
        # The same words as an HTML part, as the booking mails have (large text, a button).
        html = render_to_string(
            "waitlist/mail/body.html", {**context, "language": language, "subject": subject}
        )
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    message = mail.EmailMultiAlternatives(
        subject=subject,
        body=body.strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[entry.email],
        reply_to=settings.EMAIL_REPLY_TO or None,
        headers={
            "Message-ID": f"<kenshin.waitlist.{row.pk}.{int(row.created_at.timestamp())}@{domain}>",
            "Auto-Submitted": "auto-generated",
            "Content-Language": language,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def send_due(*, now: datetime | None = None, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send the due waiting-list mails once each (reservations.outbox); returns counts by
    outcome."""
    return send_leased(
        WaitlistMail,
        build_message,
        related=("entry", "entry__screening_type", "offer", "offer__slot", "offer__slot__venue"),
        now=now or timezone.now(),
        limit=limit,
        name="waitlist.mail",
    )

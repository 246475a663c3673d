"""What a mail says: its context, subject, plain text and HTML, in the resident's language.

Rendered under ``translation.override(language)`` with the same display functions as the
pages (reservations.display): a date, a time, a fee or a screening's name reads the same
in a mail as on the page the resident booked on. reservations.notifications decides when
a message is sent; this module only decides what it says.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from reservations.display import (
    city_name,
    date_text,
    fee_text,
    health_centre_name,
    list_text,
    subject_date_text,
    time_text,
    translated,
    yen,
)
from reservations.fees import fee_for
from reservations.language import is_english
from reservations.models import (
    Notification,
    Reservation,
    ReservationItem,
    format_reservation_number,
)
from vouchers.fees import fee_class_rules, reservation_payer, rule_in

LANGUAGES = ("ja", "en")


def lookup_url(language: str) -> str:
    """Absolute link to the page where residents look up, change or cancel a booking."""
    with translation.override(language):
        return settings.SITE_URL + reverse("reservations:lookup")


def _items(reservation: Reservation) -> list[ReservationItem]:
    """The screenings the mail is about: the live ones, or all of them once cancelled."""
    items = reservation.items.select_related("slot__venue", "screening_type").order_by(
        "slot__starts_at", "screening_type__display_order"
    )
    if reservation.is_live:
        items = items.filter(is_live=True)
    return list(items)


def _short_names(names: list[str]) -> str:
    """ "肺がん検診ほか" / "Lung cancer screening and 1 more": the subject names one."""
    # Not a catalogue entry: the Japanese leaves out the count, which gettext's format
    # check refuses for a translation.
    if len(names) > 1:
        if is_english():
            return f"{names[0]} and {len(names) - 1} more"
        return f"{names[0]}ほか"
    return names[0] if names else ""


def mail_context(notification: Notification, language: str) -> dict[str, Any]:
    """Everything a mail template may show — and nothing personal: no name, date of
    birth, address or phone of the resident is ever put in here."""
    with translation.override(language):
        return _context(notification, language)


def _context(notification: Notification, language: str) -> dict[str, Any]:
    reservation = notification.reservation
    items = _items(reservation)
    payer = reservation_payer(reservation)
    fees = {
        item.pk: fee_for(
            item.screening_type, payer.birth_date, item.slot.local_date, fee_class=payer.fee_class
        )
        for item in items
    }
    screenings = [
        {
            "name": translated(item.screening_type, "name"),
            "starts": time_text(item.slot.starts_at),
            "ends": time_text(item.slot.ends_at),
            "fee": fees[item.pk].amount,
            # A mail says that a fee class applies but not which (the label is personal).
            "fee_text": fee_text(fees[item.pk], name_fee_class=False),
            "what_to_bring": translated(item.screening_type, "what_to_bring"),
        }
        for item in items
    ]
    venue = items[0].slot.venue if items else None
    day = items[0].slot.local_date if items else None
    names = [translated(item.screening_type, "name") for item in items]
    total = sum(fee.amount for fee in fees.values())
    return {
        "kind": notification.kind,
        "about": notification.about,
        "language": language,
        "number": format_reservation_number(reservation.number),
        "cancelled": not reservation.is_live,
        "screenings": screenings,
        "screening_names": list_text(names),
        "short_names": _short_names(names),
        "date": date_text(day),
        "short_date": subject_date_text(day),
        "venue": {
            "name": translated(venue, "name"),
            "address": venue.address if venue else "",
            "access": translated(venue, "access"),
            "phone": venue.phone if venue else "",
        },
        "total_fee": total,
        "total_fee_text": yen(total),
        "lookup_url": lookup_url(language),
        "site_url": settings.SITE_URL + reverse("reservations:home"),
        "city_name": city_name(),
        # A <title> cannot mark a language: without an English name it leaves the city out.
        "title_city_name": "" if is_english() and not settings.CITY_NAME_EN else city_name(),
        "health_centre_name": health_centre_name(),
        "health_centre_phone": settings.HEALTH_CENTRE_PHONE,
        "reminder_days": settings.REMINDER_DAYS_BEFORE,
        "can_reply": bool(settings.EMAIL_REPLY_TO),
    }


def _group_context(notification: Notification, language: str) -> dict[str, Any]:
    """A group's one confirmation (reservations.group): the first member's day and venue,
    and every member's number and times. By position only (1人目, 2人目 …), never by
    name: the done page and its printout pair each position with its name."""
    context = _context(notification, language)
    group = notification.reservation.group
    members = (
        group.members.select_related("citizen").order_by("group_position")
        if group is not None
        else Reservation.objects.filter(pk=notification.reservation.pk)
    )
    rules = fee_class_rules()
    context["members"] = [
        {
            "position": (member.group_position or 0) + 1,
            "number": format_reservation_number(member.number),
            "cancelled": not member.is_live,
            "screenings": [
                {
                    "name": translated(item.screening_type, "name"),
                    "starts": time_text(item.slot.starts_at),
                    "ends": time_text(item.slot.ends_at),
                    "fee_text": fee_text(
                        fee_for(
                            item.screening_type,
                            member.citizen.birth_date,
                            item.slot.local_date,
                            fee_class=rule_in(rules, member.fee_class),
                        ),
                        name_fee_class=False,
                    ),
                }
                for item in _items(member)
            ],
        }
        for member in members
    ]
    return context


def _tidy(text: str) -> str:
    """Template tags leave blank lines behind: at most one empty line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _message_id(notification: Notification) -> str:
    """The same for every copy of one message: a resend after a crash is recognisable."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    stamp = int(notification.created_at.timestamp()) if notification.created_at else 0
    return f"<kenshin.{notification.pk}.{stamp}@{domain}>"


def build_message(notification: Notification) -> mail.EmailMultiAlternatives:
    """The mail for one outbox row: plain text plus HTML, in the resident's language.

    The health-centre copy is always Japanese and goes to HEALTH_CENTRE_COPY_EMAIL.
    """
    reservation = notification.reservation
    prefix, build = "", _context
    if notification.kind == Notification.Kind.HEALTH_CENTRE_COPY:
        folder, language = "health_centre", "ja"
        recipient = settings.HEALTH_CENTRE_COPY_EMAIL
    else:
        language = reservation.language if reservation.language in LANGUAGES else "ja"
        folder, recipient = language, reservation.citizen.email
    if notification.kind == Notification.Kind.GROUP_CONFIRMATION and reservation.group:
        # To whoever booked the group, about all of its members (reservations.group).
        prefix, build, recipient = "group_", _group_context, reservation.group.contact_email
    with translation.override(language):
        context = build(notification, language)
        subject = render_to_string(f"reservations/mail/{folder}/{prefix}subject.txt", context)
        text = _tidy(render_to_string(f"reservations/mail/{folder}/{prefix}body.txt", context))
        html = render_to_string(f"reservations/mail/{folder}/{prefix}body.html", context)
    message = mail.EmailMultiAlternatives(
        # One line, whatever the template's whitespace: a newline would break the header.
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        reply_to=settings.EMAIL_REPLY_TO or None,
        headers={
            "Message-ID": _message_id(notification),
            # RFC 3834: an automatic message; out-of-office replies should not answer it.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            # The mail's one language (RFC 3282), as <html lang> says in its HTML part.
            "Content-Language": language,
        },
    )
    message.attach_alternative(html, "text/html")
    return message

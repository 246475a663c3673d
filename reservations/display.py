"""Dates, times, fees and names as residents read them — on pages and in mail alike.

One date family per language: Japanese "2026年12月3日（木）", "12月3日（木）", "2027年3月31日";
English day before month, no commas — "Thursday 3 December 2026", "Thu 3 Dec",
"31 March 2027", "December 2026" (config/formats/en gives Django's named formats the same
shape, for the few places outside these pages that use them).

Each function renders in the active language: a page's (LocaleMiddleware), or a mail's
(``translation.override(reservation.language)`` in reservations.mail). The template
filters in reservations/templatetags/resident.py are thin registrations of these, so a
mail module can use them without importing a template library. Dates come from Django's
``date_format`` with the language's month and weekday names: there is no second calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, tzinfo
from html import escape
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reservations.language import in_language, is_english


def translated(obj: Any, field: str) -> str:
    """name_en on English pages (or mail), else name: the English column if filled in."""
    return in_language(obj, field)


def _local_day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date()
    return value


def _day_text(value: date | datetime | None, *, english: str, japanese: str) -> str:
    """`value`'s local day in the date_format for the active language."""
    if not value:
        return ""
    return date_format(_local_day(value), english if is_english() else japanese)


def date_text(value: date | datetime | None) -> str:
    """2026-12-03 → "2026年12月3日（木）" / "Thursday 3 December 2026"."""
    return _day_text(value, english="l j F Y", japanese="Y年n月j日（D）")


def day_text(value: date | datetime | None) -> str:
    """2027-03-31 → "2027年3月31日" / "31 March 2027": a date in a sentence (the last day of a
    fiscal year, an era's first day, a date of birth), where the weekday is noise."""
    return _day_text(value, english="j F Y", japanese="Y年n月j日")


def datetime_text(value: datetime | None) -> str:
    """ "2026年12月3日（木） 9:00" / "Thursday 3 December 2026 9:00": when booking opens."""
    if not value:
        return ""
    return f"{date_text(value)} {time_text(value)}"


def short_date_text(value: date | datetime | None) -> str:
    """ "12月3日（木）" / "Thu 3 Dec": for table rows where the year is in the heading."""
    return _day_text(value, english="D j M", japanese="n月j日（D）")


def subject_date_text(value: date | datetime | None) -> str:
    """ "12月3日" / "Thu 3 Dec": for mail subjects, which a lock screen cuts short. The
    Japanese drops the weekday: a Japanese subject is long enough already."""
    return _day_text(value, english="D j M", japanese="n月j日")


def month_text(year: int, month: int) -> str:
    """ "2026年12月" / "December 2026"."""
    if is_english():
        return date_format(date(year, month, 1), "F Y")
    return f"{year}年{month}月"


def time_text(value: datetime | None) -> str:
    """A datetime's local time, "9:00"."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local.hour}:{local.minute:02d}"


def yen(amount: Any) -> str:
    """1000 → "1,000円" / "¥1,000"; 0 → "free" in words."""
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        return ""
    if amount == 0:
        return _("Free of charge")
    return _("¥%(amount)s") % {"amount": number_format(amount, force_grouping=True)}


def places_text(remaining: int | None) -> str:
    """5 → "残り5人" / "5 places left"; 0 → "full"."""
    remaining = int(remaining or 0)
    if remaining <= 0:
        return _("full")
    return ngettext("%(count)s place left", "%(count)s places left", remaining) % {
        "count": remaining
    }


# ○ / △ / × for a PlaceMark value: always shown with the number, never colour alone.
MARKS = {"free": "○", "few": "△", "full": "×"}


def availability_rows(
    days: Iterable[Any], columns: Sequence[Any], now: datetime, book_url: Callable[[int], str]
) -> list[dict[str, Any]]:
    """The availability table's rows, laid out once in Python: a month shows about 150
    slots, and a dozen template filters, tags and translations for each cost more than the
    rest of the page together.

    `days` are queries.AvailabilityDay (a date, one list of slots per column), `columns` the
    venues. Each row is {"date", "cells"}; each cell {"label": the venue's name (the small
    screen's data-label), "slots": the list of its times as escaped HTML, "" when none}.
    A text that many slots share (the places left, "full", when booking opens) is
    translated once.
    """
    labels = [translated(venue, "name") for venue in columns]
    texts: dict[object, str] = {}
    zone = timezone.get_current_timezone()  # once: each lookup goes through a context local
    rows = []
    for day in days:
        cells = []
        for label, slots in zip(labels, day.cells, strict=True):
            items = "".join(_slot_item(slot, now, zone, book_url, texts) for slot in slots)
            # Safe: every text in `items` is escaped by _slot_item.
            html = mark_safe(f'<ul class="slots">{items}</ul>') if items else ""  # noqa: S308
            cells.append({"label": label, "slots": html})
        rows.append({"date": short_date_text(day.day), "cells": cells})
    return rows


def _slot_item(
    slot: Any,
    now: datetime,
    zone: tzinfo,
    book_url: Callable[[int], str],
    texts: dict[object, str],
) -> str:
    """One time in a cell, as HTML: a link with ○/△ and the places left when it can be
    booked, else × "full", when booking opens, or "booking closed". The mark is hidden
    from screen readers: the words say the same. Every text is escaped (html.escape, as
    django.utils.html.escape does, without its lazy-string wrapper: this runs 150 times)."""
    state = slot.state(now).value
    local = slot.starts_at.astimezone(zone)
    time = f"{local.hour}:{local.minute:02d}"  # time_text, without its zone lookup
    if state == "open":
        remaining = slot.remaining
        if remaining not in texts:
            texts[remaining] = escape(places_text(remaining))
        return (
            f'<li class="slot slot--open"><a href="{escape(book_url(slot.id))}">'
            f'<span class="slot__time">{time}</span> '
            f'<span class="mark" aria-hidden="true">{MARKS[str(slot.mark)]}</span> '
            f"{texts[remaining]}</a></li>"
        )
    if state == "full":
        if "full" not in texts:
            texts["full"] = escape(_("full"))
        return (
            f'<li class="slot slot--full"><span class="slot__time">{time}</span> '
            f'<span class="mark" aria-hidden="true">{MARKS["full"]}</span> {texts["full"]}</li>'
        )
    if state == "not_open":
        if slot.opens_at not in texts:
            texts[slot.opens_at] = escape(
                _("booking opens %(opens)s") % {"opens": short_date_text(slot.opens_at)}
            )
        text = texts[slot.opens_at]
    else:
        if "closed" not in texts:
            texts["closed"] = escape(_("booking closed"))
        text = texts["closed"]
    item = f'<li class="slot slot--{escape(state)}"><span class="slot__time">{time}</span>'
    return f"{item} {text}</li>"


def list_text(items: list[str]) -> str:
    """ "肺がん検診、胃がん検診" / "Lung, Stomach"."""
    return _(", ").join(items)


def city_name() -> str:
    """The city's name in the active language: CITY_NAME_EN on English pages and mail when
    it is configured, else CITY_NAME (which an English page then marks lang="ja")."""
    return _name_in_language(settings.CITY_NAME, settings.CITY_NAME_EN)


def health_centre_name() -> str:
    """The health centre's name in the active language (HEALTH_CENTRE_NAME_EN, else the
    Japanese HEALTH_CENTRE_NAME)."""
    return _name_in_language(settings.HEALTH_CENTRE_NAME, settings.HEALTH_CENTRE_NAME_EN)


def _name_in_language(japanese: str, english: str) -> str:
    return english if english and is_english() else japanese

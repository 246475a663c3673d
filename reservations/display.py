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
from functools import lru_cache
from html import escape
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from reservations import fees
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


def fee_reason_text(reason_code: str, fee_class_label: str = "") -> str:
    """Why a fee is what it is, for a fee shown with reservations.fees.fee_for: "" for the
    screening's usual fee, else the exemption or the fee class (by its label when given)
    in words."""
    if reason_code == fees.FEE_CLASS:
        if fee_class_label:
            return _("your fee class: %(label)s") % {"label": fee_class_label}
        return _("your fee class")
    labels = {
        fees.AGE_EXEMPT: _("free because of your age"),
        fees.FREE_COUPON: _("free coupon (the year you turn the coupon age)"),
    }
    return str(labels.get(reason_code, ""))


def fee_text(fee: Any, *, name_fee_class: bool = True) -> str:
    """A reservations.fees.Fee as residents read it: "Free of charge (free coupon …)" or
    "¥1,000". `name_fee_class=False` leaves a fee class's label out (a mail: the label,
    such as 生活保護世帯, is the resident's own business, not that of whoever reads the mail)."""
    text = yen(fee.amount)
    label = getattr(fee, "fee_class_label", "") if name_fee_class else ""
    reason = fee_reason_text(fee.reason_code, label)
    return _("%(fee)s (%(reason)s)") % {"fee": text, "reason": reason} if reason else text


def fee_text_unnamed(fee: Any) -> str:
    """fee_text without a fee class's label: for what others see (the mail, the roster
    on the reception desk)."""
    return fee_text(fee, name_fee_class=False)


def slot_fee_text(slot: Any, payer: fees.FeePayer | date | None) -> str:
    """A slot's fee for `payer` (reservations.fees.fee_for) with the exemption or fee
    class if one applies: a FeePayer (date of birth and the booking's fee class), or a date
    of birth alone for a booking without a fee class. The screening's usual fee when
    neither is known yet (before the resident has given the date of birth)."""
    if not payer:
        return yen(slot.screening_type.fee)
    if not isinstance(payer, fees.FeePayer):
        payer = fees.FeePayer(payer)
    return fee_text(
        fees.fee_for(
            slot.screening_type,
            payer.birth_date,
            _local_day(slot.starts_at),
            fee_class=payer.fee_class,
        )
    )


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


@lru_cache(maxsize=4096)
def _short_date_in(language: str, day: date) -> str:
    """short_date_text(day) in `language` (the active one, passed in as the key): a
    date's text never changes while the process runs, and date_format costs about 20 µs,
    a twentieth of a millisecond for each row of the availability table."""
    return short_date_text(day)


def availability_rows(
    days: Iterable[Any],
    columns: Sequence[Any],
    now: datetime,
    book_url: Callable[[int], str],
    join_url: Callable[[int], str],
) -> list[dict[str, Any]]:
    """The availability table's rows, laid out once in Python: a month shows about 150
    slots, and a dozen template filters, tags and translations for each cost more than the
    rest of the page together.

    `days` are queries.AvailabilityDay (a date, one list of slots per column), `columns` the
    venues; `book_url(pk)` and `join_url(pk)` give a time's booking form and waiting list
    (the view builds them with one reverse() each, not one per slot). Each row is
    {"date", "cells"}; each cell {"label": the venue's name (the small screen's
    data-label), "slots": the list of its times as escaped HTML, "" when none}.
    A text that many slots share (the places left with its mark, "full", when booking
    opens) is translated and escaped once.
    """
    labels = [translated(venue, "name") for venue in columns]
    texts: dict[object, str] = {}
    zone = timezone.get_current_timezone()  # once: each lookup goes through a context local
    language = get_language() or ""
    rows = []
    for day in days:
        cells = []
        for label, slots in zip(labels, day.cells, strict=True):
            items = "".join(
                [_slot_item(slot, now, zone, book_url, join_url, texts) for slot in slots]
            )
            # Safe: every text in `items` is escaped by _slot_item.
            html = mark_safe(f'<ul class="slots">{items}</ul>') if items else ""  # noqa: S308
            cells.append({"label": label, "slots": html})
        rows.append({"date": _short_date_in(language, day.day), "cells": cells})
    return rows


def _slot_item(
    slot: Any,
    now: datetime,
    zone: tzinfo,
    book_url: Callable[[int], str],
    join_url: Callable[[int], str],
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
        tail = texts.get(remaining)
        if tail is None:  # the mark and the words, once per number of places left
            tail = texts[remaining] = (
                f'</span> <span class="mark" aria-hidden="true">{MARKS[str(slot.mark)]}'
                f"</span> {escape(places_text(remaining))}</a></li>"
            )
        return (
            f'<li class="slot slot--open"><a href="{escape(book_url(slot.id))}">'
            f'<span class="slot__time">{time}{tail}'
        )
    if state == "full":
        tail = texts.get("full")
        if tail is None:
            tail = texts["full"] = (
                f'</span> <span class="mark" aria-hidden="true">{MARKS["full"]}</span> '
                f"{escape(_('full'))}"
            )
        # A full time has a waiting list (キャンセル待ち): a link to join it.
        if "waitlist" not in texts:
            texts["waitlist"] = escape(_("waiting list"))
        link = f'<a href="{escape(join_url(slot.id))}">{texts["waitlist"]}</a>'
        return f'<li class="slot slot--full"><span class="slot__time">{time}{tail} {link}</li>'
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


def availability_table_rows(rows: Iterable[dict[str, Any]]) -> str:
    """The <tr> of availability_rows, as one piece of HTML for the table's body: the
    template would otherwise loop over some twenty dates and sixty cells. A day without a
    screening at a venue says so in words ("No screening")."""
    none = f'<span class="secondary">{escape(_("No screening"))}</span>'
    parts = []
    for row in rows:
        parts.append(f'\n  <tr>\n    <th scope="row">{escape(row["date"])}</th>')
        for cell in row["cells"]:
            parts.append(
                f'\n    <td data-label="{escape(cell["label"])}">\n'
                f"      {cell['slots'] or none}\n    </td>"
            )
        parts.append("\n  </tr>")
    # Safe: the dates, labels and words are escaped here, the cells by _slot_item.
    return mark_safe("".join(parts))  # noqa: S308


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

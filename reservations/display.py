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

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

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

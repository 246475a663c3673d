"""Template filters for the resident's pages, in the page's language.

The dates, times, fees and names that mail shows too live in reservations.display and are
only registered here, so a page and a mail say the same thing the same way. Screening and
venue names have English columns (name_en, access_en …); the filters pick them on /en/
pages and fall back to Japanese when the English one is empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from citizens.forms import wareki_text
from citizens.models import Sex
from citizens.normalize import format_postal_code
from reservations.display import (
    MARKS,
    date_text,
    datetime_text,
    day_text,
    fee_reason_text,
    fee_text,
    fee_text_unnamed,
    places_text,
    short_date_text,
    slot_fee_text,
    time_text,
    translated,
    yen,
)
from reservations.display import month_text as _month_text
from reservations.language import is_english, pick_translation

register = template.Library()


register.filter("translated", translated)
register.filter("date_text", date_text)
register.filter("short_date_text", short_date_text)
register.filter("time_text", time_text)
register.filter("yen", yen)
register.filter("fee_text", fee_text)
register.filter("fee_text_unnamed", fee_text_unnamed)
register.filter("fee_reason_text", fee_reason_text)
register.filter("slot_fee_text", slot_fee_text)
register.filter("datetime_text", datetime_text)
register.filter("day_text", day_text)
register.filter("places_text", places_text)


# Kana, kanji, Japanese punctuation and full-width forms: text a screen reader must read
# as Japanese.
_JP = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_JAPANESE = re.compile(f"[{_JP}]")
# A run of Japanese inside an English sentence: "ヤマダ ハナコ", "新座市野火止1-2-3", "(氏名)"'s
# 氏名. Spaces and digits inside the run belong to it; digits right after it too (an address).
_JAPANESE_RUN = re.compile(f"(?:[{_JP}][{_JP}\\d\\s-]*[{_JP}]|[{_JP}])[\\d-]*(?<!-)")


@register.filter
def japanese(text: object) -> str:
    """Text that stays Japanese on English pages (an address, a name a resident typed, the
    city's name), escaped; on English pages marked lang="ja", so that a screen reader reads
    it in Japanese instead of spelling it out or skipping it (WCAG 3.1.2)."""
    text = "" if text is None else str(text)
    if is_japanese_on_english_page(text):
        return format_html('<span lang="ja">{}</span>', text)
    return conditional_escape(text)


def is_japanese_on_english_page(text: object) -> bool:
    """True when `text` needs lang="ja" on this page (for <option>, which cannot hold a span)."""
    return is_english() and bool(_JAPANESE.search(str(text or "")))


@register.filter
def japanese_runs(text: object) -> str:
    """An English sentence (a label, a hint, an error) with the Japanese in it — an example
    name, an era, 氏名 — marked lang="ja" on English pages; escaped, unchanged elsewhere."""
    text = "" if text is None else str(text)
    if not is_japanese_on_english_page(text):
        return conditional_escape(text)
    parts, last = [], 0
    for run in _JAPANESE_RUN.finditer(text):
        parts.append(conditional_escape(text[last : run.start()]))
        parts.append(format_html('<span lang="ja">{}</span>', run.group(0)))
        last = run.end()
    parts.append(conditional_escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


@register.filter
def translated_html(obj: Any, field: str) -> str:
    """translated, escaped, and marked lang="ja" when an English page shows the Japanese
    because the English column is empty."""
    text, fell_back = pick_translation(obj, field)
    return japanese(text) if fell_back else conditional_escape(text)


@register.filter
def month_text(value: str) -> str:
    """ "2026-12" → "2026年12月" / "December 2026"."""
    try:
        year, month = (int(part) for part in str(value).split("-"))
        day = date(year, month, 1)
    except (TypeError, ValueError):
        return str(value)
    return _month_text(day.year, day.month)


@register.filter
def mark_symbol(mark: str) -> str:
    return MARKS.get(mark, "")


@register.filter
def birth_date_text(value: date | None) -> str:
    """A date of birth in both calendars on Japanese pages: "1970年5月1日（昭和45年5月1日）"."""
    if not value:
        return ""
    if is_english():
        return day_text(value)
    return f"{day_text(value)}（{wareki_text(value)}）"


@register.filter
def sex_text(value: str | None) -> str:
    return str(dict(Sex.choices).get(value or "", ""))


@register.filter
def postal_code_text(value: str | None) -> str:
    return format_postal_code(value or "")


@register.simple_tag
def who_text(screening: Any, fiscal_year: int | str) -> str:
    """Who a screening is for, in words: age on 31 March, sex, interval."""
    end = day_text(date(int(fiscal_year) + 1, 3, 31))
    if screening.max_age is not None:
        age = _("Aged %(min)s to %(max)s on %(date)s") % {
            "min": screening.min_age,
            "max": screening.max_age,
            "date": end,
        }
    else:
        age = _("Aged %(min)s or over on %(date)s") % {"min": screening.min_age, "date": end}
    parts = [age]
    if screening.sex == "F":
        parts.append(_("women only"))
    elif screening.sex == "M":
        parts.append(_("men only"))
    return _(", ").join(parts)


@register.simple_tag
def who_texts(screening: Any, fiscal_years: Iterable[int]) -> list[str]:
    """who_text for each fiscal year whose dates are shown; when there are several (April
    slots open in March), each says which dates it is for."""
    years = list(fiscal_years)
    if len(years) == 1:
        return [who_text(screening, years[0])]
    return [
        _("%(who)s (for dates from %(start)s to %(end)s)")
        % {
            "who": who_text(screening, year),
            "start": month_text(f"{year}-04"),
            "end": month_text(f"{year + 1}-03"),
        }
        for year in years
    ]


@register.filter
def interval_text(screening: Any) -> str:
    years = screening.interval_years
    if years <= 1:
        return _("Once every fiscal year")
    return _("Once every %(years)s fiscal years") % {"years": years}


@register.filter
def index(sequence: Sequence[Any], position: int | str) -> Any:
    try:
        return sequence[int(position)]
    except (IndexError, TypeError, ValueError):
        return None


@register.filter
def as_list(value: Any) -> list[Any]:
    return [value]


@register.filter
def number_groups(display_number: str | None) -> list[str]:
    """ "1234-5678-9012" → ["1234", "5678", "9012"]: the page may wrap between groups only."""
    return str(display_number or "").split("-")

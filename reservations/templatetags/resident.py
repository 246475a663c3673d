"""Display helpers for the resident's pages, in the page's language.

Screening and venue names have English columns (name_en, access_en …); these filters pick
them on /en/ pages and fall back to Japanese when the English one is empty.
"""

import re
from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from citizens.forms import wareki_text
from citizens.models import Sex
from citizens.normalize import format_postal_code
from reservations.language import is_english, pick_translation

register = template.Library()


def _translation(obj, field: str) -> tuple[str, bool]:
    """(the text in the page's language, whether it fell back to the Japanese column)."""
    return pick_translation(obj, field)


@register.filter
def translated(obj, field: str) -> str:
    """{{ screening|translated:"name" }} → name_en on English pages, else name.

    Plain text, for attributes, <title> and <option>; in the page itself use
    translated_html, which tells screen readers when the text is Japanese.
    """
    return _translation(obj, field)[0]


# Kana, kanji (with 々 〆 〇) and half-width kana: text a screen reader must read as Japanese.
_JAPANESE = re.compile(
    r"[\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"
)


@register.filter
def japanese(text) -> str:
    """Text that stays Japanese on English pages (an address, a name a resident typed, the
    city's name), escaped; on English pages marked lang="ja", so that a screen reader reads
    it in Japanese instead of spelling it out or skipping it (WCAG 3.1.2)."""
    text = "" if text is None else str(text)
    if is_japanese_on_english_page(text):
        return format_html('<span lang="ja">{}</span>', text)
    return conditional_escape(text)


def is_japanese_on_english_page(text: str) -> bool:
    """True when `text` needs lang="ja" on this page (for <option>, which cannot hold a span)."""
    return is_english() and bool(_JAPANESE.search(str(text or "")))


@register.filter
def translated_html(obj, field: str) -> str:
    """translated, escaped, and marked lang="ja" when an English page shows the Japanese
    because the English column is empty."""
    text, fell_back = _translation(obj, field)
    return japanese(text) if fell_back else conditional_escape(text)


@register.filter
def yen(amount) -> str:
    """1000 → "1,000円" / "¥1,000"; 0 → "free" in words."""
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        return ""
    if amount == 0:
        return _("Free of charge")
    return _("%(amount)s yen") % {"amount": number_format(amount, force_grouping=True)}


def _local_day(value) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date()
    return value


@register.filter
def date_text(value) -> str:
    """2026-12-03 → "2026年12月3日（木）" / "Thursday 3 December 2026"."""
    if not value:
        return ""
    day = _local_day(value)
    if is_english():
        return date_format(day, "l j F Y")
    return date_format(day, "Y年n月j日（D）")


@register.filter
def short_date_text(value) -> str:
    """ "12月3日（木）" / "Thu 3 Dec": for table rows where the year is in the heading."""
    if not value:
        return ""
    day = _local_day(value)
    if is_english():
        return date_format(day, "D j M")
    return date_format(day, "n月j日（D）")


@register.filter
def time_text(value) -> str:
    """A datetime's local time, "9:00"."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local.hour}:{local.minute:02d}"


@register.filter
def datetime_text(value) -> str:
    if not value:
        return ""
    return f"{date_text(value)} {time_text(value)}"


@register.filter
def month_text(value: str) -> str:
    """ "2026-12" → "2026年12月" / "December 2026"."""
    try:
        year, month = (int(part) for part in str(value).split("-"))
        day = date(year, month, 1)
    except (TypeError, ValueError):
        return str(value)
    return date_format(day, "F Y") if is_english() else f"{year}年{month}月"


@register.filter
def places_text(remaining) -> str:
    remaining = int(remaining or 0)
    if remaining <= 0:
        return _("full")
    return ngettext("%(count)s place left", "%(count)s places left", remaining) % {
        "count": remaining
    }


MARKS = {"free": "○", "few": "△", "full": "×"}


@register.filter
def mark_symbol(mark: str) -> str:
    return MARKS.get(mark, "")


@register.filter
def mark_text(mark: str) -> str:
    return {
        "free": _("places available"),
        "few": _("few places left"),
        "full": _("full"),
    }.get(mark, "")


@register.filter
def birth_date_text(value) -> str:
    """A date of birth in both calendars on Japanese pages: "1970年5月1日（昭和45年5月1日）"."""
    if not value:
        return ""
    if is_english():
        return date_format(value, "j F Y")
    return f"{date_format(value, 'Y年n月j日')}（{wareki_text(value)}）"


@register.filter
def sex_text(value) -> str:
    return str(dict(Sex.choices).get(value, ""))


@register.filter
def postal_code_text(value) -> str:
    return format_postal_code(value or "")


@register.simple_tag
def who_text(screening, fiscal_year) -> str:
    """Who a screening is for, in words: age on 31 March, sex, interval."""
    end = date_format(date(int(fiscal_year) + 1, 3, 31), "DATE_FORMAT")
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
def who_texts(screening, fiscal_years) -> list[str]:
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
def interval_text(screening) -> str:
    years = screening.interval_years
    if years <= 1:
        return _("Once every fiscal year")
    return _("Once every %(years)s fiscal years") % {"years": years}


@register.filter
def index(sequence, position):
    try:
        return sequence[int(position)]
    except (IndexError, TypeError, ValueError):
        return None


@register.filter
def slot_state(slot, now) -> str:
    """queries.SlotView.state(now) in a template."""
    return slot.state(now)


@register.filter
def as_list(value) -> list:
    return [value]


@register.filter
def number_groups(display_number: str) -> list[str]:
    """ "1234-5678-9012" → ["1234", "5678", "9012"]: the page may wrap between groups only."""
    return str(display_number or "").split("-")

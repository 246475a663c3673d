"""Form fields for what residents type about themselves.

The date of birth is the hard one: many residents think of it in 和暦 (昭和45年), others in
西暦 (1970), and phones type full-width digits. `JapaneseDateField` accepts both, explains
every mistake in words ("昭和 ended on 7 January 1989"), and never turns bad input into a
500. `parse_date_text` reads the same dates typed into one box ("S45.5.1", "昭和45年5月1日",
"1970/5/1"), for staff search boxes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from citizens.normalize import strip_invisible

# --- Eras (元号) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Era:
    code: str
    name: str  # the kanji, shown in both languages
    first_day: date
    last_day: date | None  # None: the current era

    def contains(self, day: date) -> bool:
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)

    def western_year(self, era_year: int) -> int:
        return self.first_day.year + era_year - 1


WESTERN = "AD"
# Newest first. Every date of birth the form accepts (from EARLIEST_BIRTH_DATE on) falls in
# one of them, so every one is shown with its era: a 西暦 year before 大正 is 明治.
ERAS = {
    "R": Era("R", "令和", date(2019, 5, 1), None),
    "H": Era("H", "平成", date(1989, 1, 8), date(2019, 4, 30)),
    "S": Era("S", "昭和", date(1926, 12, 25), date(1989, 1, 7)),
    "T": Era("T", "大正", date(1912, 7, 30), date(1926, 12, 24)),
    # 明治元年 began on 1 January 1868 of the old calendar (25 January 1868). Dates of birth
    # start in 1900, long after the change to the Gregorian calendar (明治6年).
    "M": Era("M", "明治", date(1868, 1, 25), date(1912, 7, 29)),
}
_ERA_BY_NAME = {era.name: era for era in ERAS.values()}

# English labels name the era in English only: an <option> cannot mark a word as
# Japanese (lang="ja"), so the kanji are left to the Japanese page.
# The select offers 西暦 first (what browsers autofill) and 昭和 next (most residents who
# book a cancer screening were born in 昭和). 明治 is read (the desk's search box, a posted
# "M") and shown, but not offered: it would be one more option for residents aged 114 or
# more, who can type the 西暦 year. The labels are one short word: a phone at 200 % zoom
# (195 CSS px) has room for about five characters in the select; the hint above it gives
# the examples.
ERA_CHOICES = [
    (WESTERN, _("AD")),
    ("S", _("Showa")),
    ("H", _("Heisei")),
    ("R", _("Reiwa")),
    ("T", _("Taisho")),
]

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def _number(value: str, *, suffix: str) -> int | None:
    """ "４５", "45年", " 45 " → 45; "元" (the first year of an era) → 1; else None."""
    value = unicodedata.normalize("NFKC", strip_invisible(value)).strip()
    value = value.removesuffix(suffix).strip()
    if value == "元":
        return 1
    if not value.isascii() or not value.isdigit() or len(value) > 4:
        return None
    return int(value)


def date_from_parts(
    era: str, year: str, month: str, day: str, *, today: date | None = None
) -> date:
    """A date of birth from the four boxes, or ValidationError saying what is wrong.

    A four-digit year is read as 西暦 whatever the era box says: "昭和 1970" can only mean
    1970, and browsers autofill four-digit years.
    """
    today = today or timezone.localdate()
    era = (era or WESTERN).strip()
    if era != WESTERN and era not in ERAS:
        raise ValidationError(_("Choose the era of your date of birth."), code="era")
    if not (year or "").strip() and not (month or "").strip() and not (day or "").strip():
        raise ValidationError(_("Enter your date of birth."), code="required")
    y = _number(year, suffix="年")
    m = _number(month, suffix="月")
    d = _number(day, suffix="日")
    if y is None:
        raise ValidationError(
            _("Enter the year of your date of birth as a number, for example 1970 or 45."),
            code="year",
        )
    if m is None:
        raise ValidationError(
            _("Enter the month of your date of birth as a number from 1 to 12."), code="month"
        )
    if d is None:
        raise ValidationError(
            _("Enter the day of your date of birth as a number from 1 to 31."), code="day"
        )
    if not 1 <= m <= 12:
        raise ValidationError(_("The month must be a number from 1 to 12."), code="month")
    if not 1 <= d <= 31:
        raise ValidationError(_("The day must be a number from 1 to 31."), code="day")

    era_obj = None
    if y >= 1000:
        western = y
    elif era == WESTERN:
        raise ValidationError(
            _(
                "Enter the year in full, for example 1970, or choose Showa, Heisei or Reiwa "
                "and enter the year of that era."
            ),
            code="year",
        )
    else:
        era_obj = ERAS[era]
        if y < 1:
            raise ValidationError(_("The year of an era starts at 1."), code="year")
        western = era_obj.western_year(y)

    try:
        born = date(western, m, d)
    except ValueError:
        raise ValidationError(
            _(
                "There is no day %(day)s in month %(month)s of %(year)s: check the day and "
                "the month."
            )
            % {"month": m, "day": d, "year": western},
            code="day",
        ) from None

    if era_obj is not None and not era_obj.contains(born):
        if era_obj.last_day is None:
            span = _("%(era)s began on %(first)s.") % {
                "era": era_obj.name,
                "first": date_format(era_obj.first_day, "DATE_FORMAT"),
            }
        else:
            span = _("%(era)s ran from %(first)s to %(last)s.") % {
                "era": era_obj.name,
                "first": date_format(era_obj.first_day, "DATE_FORMAT"),
                "last": date_format(era_obj.last_day, "DATE_FORMAT"),
            }
        raise ValidationError(
            _("%(span)s Check the era and the year.") % {"span": span}, code="year"
        )
    if born > today:
        raise ValidationError(_("Your date of birth must be in the past."), code="year")
    if born < EARLIEST_BIRTH_DATE:
        raise ValidationError(_("Check the year of your date of birth."), code="year")
    return born


_TEXT_WESTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_TEXT_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TEXT_ERA = re.compile(
    r"^(令和|平成|昭和|大正|明治|[RHSTM])\s*(\d{1,2}|元)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"
)


def parse_date_text(text: str, *, today: date | None = None) -> date:
    """A date typed into one box: "1970-05-01", "1970/5/1", "19700501", "S45.5.1",
    "昭和45年5月1日", "平成元年1月8日" (full-width accepted). ValidationError if unreadable.
    """
    value = unicodedata.normalize("NFKC", strip_invisible(text)).strip().upper()
    value = value.replace("ー", "-").replace("−", "-")
    if len(value) > 30:
        raise ValidationError(
            _("Enter a date such as 1970-05-01 or 昭和45年5月1日."), code="invalid"
        )
    if match := _TEXT_WESTERN.match(value) or _TEXT_COMPACT.match(value):
        return date_from_parts(WESTERN, *match.groups(), today=today)
    if match := _TEXT_ERA.match(value):
        era_text, year, month, day = match.groups()
        era = _ERA_BY_NAME[era_text].code if era_text in _ERA_BY_NAME else era_text
        return date_from_parts(era, year, month, day, today=today)
    raise ValidationError(_("Enter a date such as 1970-05-01 or 昭和45年5月1日."), code="invalid")


# --- The widget and the field -----------------------------------------------------------------


class JapaneseDateWidget(forms.MultiWidget):
    """Era select + year, month and day boxes; numeric keypad on phones, no JavaScript.

    Sub-inputs get the ids `<id>_0` (era) … `<id>_3` (day) and the names `<name>_era`,
    `<name>_year`, `<name>_month`, `<name>_day`.
    """

    template_name = "citizens/widgets/japanese_date.html"
    use_fieldset = True
    part_labels = (_("Era"), _("Year"), _("Month"), _("Day"))

    def __init__(self, attrs: dict[str, Any] | None = None, *, autocomplete: bool = True):
        number = {"inputmode": "numeric", "class": "input-date-part"}
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            "era": forms.Select(choices=ERA_CHOICES, attrs={"class": "input-era"}),
            "year": forms.TextInput(
                attrs={
                    **number,
                    "maxlength": "6",
                    "size": "5",
                    **({"autocomplete": "bday-year"} if autocomplete else {}),
                }
            ),
            "month": forms.TextInput(
                attrs={
                    **number,
                    "maxlength": "3",
                    "size": "3",
                    **({"autocomplete": "bday-month"} if autocomplete else {}),
                }
            ),
            "day": forms.TextInput(
                attrs={
                    **number,
                    "maxlength": "3",
                    "size": "3",
                    **({"autocomplete": "bday-day"} if autocomplete else {}),
                }
            ),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[str]:
        if isinstance(value, date):
            return [WESTERN, str(value.year), str(value.month), str(value.day)]
        return [WESTERN, "", "", ""]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["parts"] = list(
            zip(self.part_labels, context["widget"]["subwidgets"], strict=True)
        )
        return context

    def id_for_label(self, id_: str) -> str:
        # The fieldset's legend names the group; the error summary links to the first box.
        return f"{id_}_0" if id_ else ""


# Which box the error summary should link to for each kind of mistake.
DATE_ERROR_PART = {"era": 0, "year": 1, "required": 1, "month": 2, "day": 3}


class JapaneseDateField(forms.Field):
    """A date of birth from `JapaneseDateWidget` (or an ISO date / date object)."""

    widget = JapaneseDateWidget
    default_error_messages = {"required": _("Enter your date of birth.")}

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            return parse_date_text(value)
        if isinstance(value, list | tuple) and len(value) == 4:
            parts = [v if isinstance(v, str) else "" for v in value]
            if not any(p.strip() for p in parts[1:]):
                return None
            return date_from_parts(*parts)
        raise ValidationError(_("Enter your date of birth."), code="required")

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != initial
        except ValidationError:
            return True


def era_of(day: date) -> tuple[Era, int] | None:
    """(era, year of the era) for a date from 明治 on; None before."""
    for era in ERAS.values():
        if era.contains(day):
            return era, day.year - era.first_day.year + 1
    return None


def wareki_text(day: date) -> str:
    """1970-05-01 → "昭和45年5月1日"; the first year of an era is 元年."""
    found = era_of(day)
    if found is None:
        return f"{day.year}年{day.month}月{day.day}日"
    era, year = found
    year_text = "元" if year == 1 else str(year)
    return f"{era.name}{year_text}年{day.month}月{day.day}日"

"""Days the health centre does not hold screenings: Japanese public holidays (祝日, 振替休日,
国民の休日) and 年末年始 (29 December – 3 January).

The holidays come from the maintained `holidays` library (its Japan calendar follows the
祝日法, including substitute holidays and one-off changes), never from a table kept here.
Bulk slot creation and the demo data skip these days unless told otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

NEW_YEAR_BREAK = "年末年始"


@lru_cache(maxsize=32)
def _japanese_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("JP", years=year, language="ja").items())


def is_new_year_break(day: date) -> bool:
    """29 December to 3 January (年末年始), when city offices are closed."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def closed_reason(day: date) -> str:
    """The holiday's Japanese name, "年末年始", or "" for an ordinary day."""
    if is_new_year_break(day):
        return NEW_YEAR_BREAK
    return _japanese_holidays(day.year).get(day, "")


def closed_days(first: date, last: date) -> list[tuple[date, str]]:
    """Every closed day from `first` to `last` (inclusive) with its reason, in order."""
    days = []
    day = first
    while day <= last:
        if reason := closed_reason(day):
            days.append((day, reason))
        day += timedelta(days=1)
    return days

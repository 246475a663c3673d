"""The dates, times, fees and names pages and mail share (reservations.display)."""

from datetime import date

import pytest
from django.utils import translation

from reservations import display
from tests.factories import local_dt

THURSDAY = date(2026, 12, 10)


@pytest.mark.parametrize(
    ("language", "long", "short", "subject"),
    [
        ("ja", "2026年12月10日（木）", "12月10日（木）", "12月10日"),
        ("en", "Thursday 10 December 2026", "Thu 10 Dec", "Thu 10 Dec"),
    ],
)
def test_dates_read_the_same_in_each_language(language, long, short, subject):
    with translation.override(language):
        assert display.date_text(THURSDAY) == long
        assert display.short_date_text(THURSDAY) == short
        assert display.subject_date_text(THURSDAY) == subject
        assert display.date_text(None) == display.subject_date_text(None) == ""


def test_a_datetime_is_shown_on_its_local_day_and_time():
    late = local_dt(THURSDAY, 23, 5)
    with translation.override("ja"):
        assert display.date_text(late) == "2026年12月10日（木）"
        assert display.time_text(late) == "23:05"
        assert display.time_text(local_dt(THURSDAY, 9, 0)) == "9:00"


@pytest.mark.parametrize(
    ("language", "fee", "free", "names"),
    [("ja", "1,500円", "無料", "肺、胃"), ("en", "¥1,500", "Free of charge", "肺, 胃")],
)
def test_fees_and_lists_read_the_same_on_pages_and_in_mail(language, fee, free, names):
    with translation.override(language):
        assert display.yen(1500) == fee
        assert display.yen(0) == free
        assert display.yen("not a number") == ""
        assert display.list_text(["肺", "胃"]) == names

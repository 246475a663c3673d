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


@pytest.mark.parametrize(
    ("language", "day", "when", "month", "named"),
    [
        ("ja", "2027年3月31日", "2026年12月10日（木） 9:00", "2026年12月", "2027年3月31日"),
        ("en", "31 March 2027", "Thursday 10 December 2026 9:00", "December 2026", "31 March 2027"),
    ],
)
def test_every_date_of_a_language_is_of_one_family(language, day, when, month, named):
    from django.utils.formats import date_format

    with translation.override(language):
        assert display.day_text(date(2027, 3, 31)) == day
        assert display.datetime_text(local_dt(THURSDAY, 9, 0)) == when
        assert display.month_text(2026, 12) == month
        # Django's named formats (admin, any stray date_format) follow the same family.
        assert date_format(date(2027, 3, 31), "DATE_FORMAT") == named


def test_names_are_english_on_english_pages_only_when_configured(settings):
    settings.CITY_NAME, settings.HEALTH_CENTRE_NAME = "新座市", "新座市保健センター"
    settings.CITY_NAME_EN = settings.HEALTH_CENTRE_NAME_EN = ""
    with translation.override("en"):
        assert (display.city_name(), display.health_centre_name()) == (
            "新座市",
            "新座市保健センター",
        )
    settings.CITY_NAME_EN, settings.HEALTH_CENTRE_NAME_EN = "Niiza City", "Niiza Health Centre"
    with translation.override("en"):
        assert (display.city_name(), display.health_centre_name()) == (
            "Niiza City",
            "Niiza Health Centre",
        )
    with translation.override("ja"):
        assert (display.city_name(), display.health_centre_name()) == (
            "新座市",
            "新座市保健センター",
        )


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("Full name (氏名)", 'Full name (<span lang="ja">氏名</span>)'),
        ("for example ヤマダ ハナコ.", 'for example <span lang="ja">ヤマダ ハナコ</span>.'),
        ("e.g. 新座市野火止1-2-3.", 'e.g. <span lang="ja">新座市野火止1-2-3</span>.'),
        (
            "phone 新座市保健センター on 048-1",
            'phone <span lang="ja">新座市保健センター</span> on 048-1',
        ),
        ("<b>&</b>", "&lt;b&gt;&amp;&lt;/b&gt;"),
    ],
)
def test_japanese_inside_an_english_sentence_is_marked_and_the_rest_escaped(text, marked):
    from reservations.templatetags.resident import japanese_runs

    with translation.override("en"):
        assert japanese_runs(text) == marked
    with translation.override("ja"):
        assert "<span" not in japanese_runs(text)

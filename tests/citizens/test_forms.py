"""Dates of birth as residents type them: 西暦 or 和暦, full-width digits, 元年."""

from datetime import date, timedelta

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from citizens.forms import (
    EARLIEST_BIRTH_DATE,
    ERAS,
    JapaneseDateField,
    date_from_parts,
    era_of,
    parse_date_text,
    wareki_text,
)

TODAY = date(2026, 11, 27)


def parts(era, year, month, day):
    return date_from_parts(era, year, month, day, today=TODAY)


@pytest.mark.parametrize(
    ("era", "year", "month", "day", "expected"),
    [
        ("AD", "1970", "5", "1", date(1970, 5, 1)),
        ("S", "45", "5", "1", date(1970, 5, 1)),
        ("S", "４５", "５", "１", date(1970, 5, 1)),
        ("S", "45年", "5月", "1日", date(1970, 5, 1)),
        ("S", "1", "12", "25", date(1926, 12, 25)),
        ("S", "64", "1", "7", date(1989, 1, 7)),
        ("H", "元", "1", "8", date(1989, 1, 8)),
        ("H", "31", "4", "30", date(2019, 4, 30)),
        ("R", "1", "5", "1", date(2019, 5, 1)),
        ("T", "15", "12", "24", date(1926, 12, 24)),
        # A four-digit year is 西暦 whatever the era box says (browsers autofill it).
        ("S", "1970", "5", "1", date(1970, 5, 1)),
        ("AD", "１９７０", "０５", "０１", date(1970, 5, 1)),
    ],
)
def test_date_of_birth_in_either_calendar(era, year, month, day, expected):
    assert parts(era, year, month, day) == expected


@pytest.mark.parametrize(
    ("era", "year", "month", "day", "code"),
    [
        ("AD", "1970", "2", "31", "day"),  # 31 February
        ("AD", "1971", "2", "29", "day"),  # not a leap year
        ("S", "64", "1", "8", "year"),  # 昭和 ended on 7 January 1989
        ("H", "1", "1", "7", "year"),  # 平成 began on 8 January 1989
        ("R", "1", "4", "30", "year"),  # 令和 began on 1 May 2019
        ("AD", "45", "5", "1", "year"),  # a two-digit western year is ambiguous
        ("AD", "abc", "5", "1", "year"),
        ("AD", "1970", "13", "1", "month"),
        ("AD", "1970", "0", "1", "month"),
        ("AD", "1970", "5", "32", "day"),
        ("AD", "1970", "5", "", "day"),
        ("AD", "2030", "1", "1", "year"),  # in the future
        ("AD", "1899", "12", "31", "year"),
        ("X", "1970", "5", "1", "era"),
        ("AD", "", "", "", "required"),
        ("AD", "1970", "-1", "1", "month"),
        ("AD", "1970", "٥", "1", "month"),  # Arabic-Indic digit: not a number we accept
    ],
)
def test_impossible_dates_are_refused_with_a_reason(era, year, month, day, code):
    with pytest.raises(ValidationError) as refused:
        parts(era, year, month, day)
    assert refused.value.code == code
    assert str(refused.value.messages[0])


def test_era_range_message_names_the_era_and_its_dates():
    with pytest.raises(ValidationError) as refused:
        parts("S", "64", "2", "1")
    assert "昭和" in refused.value.messages[0]
    assert "1989" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-05-01", date(1970, 5, 1)),
        ("1970/5/1", date(1970, 5, 1)),
        ("１９７０年５月１日", date(1970, 5, 1)),
        ("19700501", date(1970, 5, 1)),
        ("S45.5.1", date(1970, 5, 1)),
        ("s45/5/1", date(1970, 5, 1)),
        ("昭和45年5月1日", date(1970, 5, 1)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("Ｈ３１．４．３０", date(2019, 4, 30)),
        ("令和2年2月29日", date(2020, 2, 29)),
    ],
)
def test_date_typed_into_one_box(text, expected):
    assert parse_date_text(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "1970-02-31", "昭和70年1月1日", "x" * 100_000])
def test_unreadable_single_box_dates_are_refused(text):
    with pytest.raises(ValidationError):
        parse_date_text(text, today=TODAY)


def test_wareki_text_uses_gannen_for_the_first_year():
    assert wareki_text(date(1970, 5, 1)) == "昭和45年5月1日"
    assert wareki_text(date(1989, 1, 8)) == "平成元年1月8日"
    assert wareki_text(date(2019, 5, 1)) == "令和元年5月1日"


def test_a_birth_date_before_taisho_typed_in_western_years_is_shown_as_meiji():
    born = parts("AD", "1905", "5", "1")
    assert wareki_text(born) == "明治38年5月1日"
    assert wareki_text(date(1912, 7, 29)) == "明治45年7月29日"
    assert wareki_text(date(1912, 7, 30)) == "大正元年7月30日"
    # The desk's search box reads it back in the same words, and a posted "M" too.
    assert parse_date_text("明治38年5月1日", today=TODAY) == born
    assert parse_date_text("M38.5.1", today=TODAY) == born
    assert parts("M", "38", "5", "1") == born


def test_the_residents_summary_shows_a_meiji_birth_date_with_its_era():
    from django.utils import translation

    from reservations.templatetags.resident import birth_date_text

    with translation.override("ja"):
        assert birth_date_text(date(1905, 5, 1)) == "1905年5月1日（明治38年5月1日）"


@given(st.dates(min_value=EARLIEST_BIRTH_DATE, max_value=TODAY))
def test_every_accepted_date_has_an_era_and_round_trips_through_it(day):
    era, year = era_of(day)
    assert parts(era.code, str(year), str(day.month), str(day.day)) == day
    assert parts("AD", str(day.year), str(day.month), str(day.day)) == day


@given(
    st.sampled_from(["AD", *ERAS, "", "??"]),
    st.text(max_size=8),
    st.text(max_size=8),
    st.text(max_size=8),
)
@settings(max_examples=300)
def test_any_input_is_a_date_or_a_validation_error(era, year, month, day):
    try:
        result = parts(era, year, month, day)
    except ValidationError as error:
        assert error.messages
    else:
        assert date(1900, 1, 1) <= result <= TODAY


@given(st.text(max_size=40))
def test_any_single_box_text_is_a_date_or_a_validation_error(text):
    try:
        parse_date_text(text, today=TODAY)
    except ValidationError:
        pass


class DateForm(forms.Form):
    born = JapaneseDateField()


def test_field_reads_the_four_boxes_by_name():
    form = DateForm({"born_era": "H", "born_year": "元", "born_month": "1", "born_day": "8"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["born"] == date(1989, 1, 8)


def test_empty_boxes_say_the_date_is_required():
    form = DateForm({"born_era": "AD", "born_year": "", "born_month": "", "born_day": ""})
    assert not form.is_valid()
    assert form.errors.as_data()["born"][0].code == "required"


def test_widget_labels_every_box_and_keeps_what_was_typed():
    form = DateForm({"born_era": "S", "born_year": "45", "born_month": "5", "born_day": "99"})
    html = str(form["born"])
    for index in range(4):
        assert f'for="id_born_{index}"' in html
        assert f'id="id_born_{index}"' in html
    assert 'value="45"' in html and 'value="99"' in html
    assert 'inputmode="numeric"' in html


def test_initial_date_is_shown_in_the_western_calendar():
    form = DateForm(initial={"born": date(1970, 5, 1)})
    html = str(form["born"])
    assert 'value="1970"' in html and 'value="5"' in html


def test_the_future_is_relative_to_today():
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(ValidationError):
        parts("AD", str(tomorrow.year), str(tomorrow.month), str(tomorrow.day))

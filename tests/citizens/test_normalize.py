"""What residents type is folded so that the same person is recognised."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizens.models import person_key
from citizens.normalize import (
    furigana_key,
    is_katakana,
    normalise_furigana,
    normalise_name,
    normalise_phone,
    normalise_postal_code,
    strip_invisible,
)


def test_hiragana_half_width_kana_and_full_width_spaces_become_katakana():
    assert normalise_furigana("やまだ　はなこ") == "ヤマダ ハナコ"
    assert normalise_furigana("ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダ ハナコ"
    assert normalise_furigana("  ヤマダ   ハナコ ") == "ヤマダ ハナコ"


def test_spacing_does_not_make_a_different_person():
    born = date(1970, 5, 1)
    assert person_key("ヤマダ ハナコ", born) == person_key("やまだはなこ", born)
    assert furigana_key("ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダハナコ"


def test_postal_codes_with_or_without_hyphen_and_full_width():
    assert normalise_postal_code("352-0001") == "3520001"
    assert normalise_postal_code("３５２－０００１") == "3520001"
    assert normalise_postal_code("〒352ー0001") == "3520001"


def test_phone_numbers_take_the_domestic_form():
    assert normalise_phone("０４８（４８１）２２１１") == "048-481-2211"
    assert normalise_phone("090 1234 5678") == "090-1234-5678"
    assert normalise_phone("0312345678") == "03-1234-5678"


@pytest.mark.parametrize(
    "typed",
    [
        "+81-48-481-2211",
        "+81 (0)48-481-2211",
        "+81 48 481 2211",
        "+81484812211",
        "＋８１－４８－４８１－２２１１",
        "＋８１　（０）４８－４８１－２２１１",
        "048-481-2211（自宅）",
    ],
)
def test_international_and_full_width_forms_of_a_japanese_number_are_one_number(typed):
    # Browsers autofill "+81 …" and phones show it; the health centre dials 048-481-2211.
    assert normalise_phone(typed) == "048-481-2211"


@pytest.mark.parametrize(
    "typed", ["", "abc", "12345", "148-481-2211", "0120-ABC-DEF", "+44 20 7946 0958", "+81"]
)
def test_what_is_no_japanese_phone_number_normalises_to_nothing(typed):
    assert normalise_phone(typed) == ""


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ヤマモト－", "ヤマモトー"),  # full-width minus
        ("ヤマモト‐", "ヤマモトー"),  # hyphen U+2010
        ("ヤマモト−", "ヤマモトー"),  # minus sign U+2212
        ("ヤマモト-", "ヤマモトー"),  # ASCII hyphen
        ("ヤマモト—", "ヤマモトー"),  # em dash
        ("やまもと－", "ヤマモトー"),  # after hiragana too
        ("ﾔﾏﾓﾄｰ", "ヤマモトー"),
        ("サトウ－－", "サトウーー"),
    ],
)
def test_a_dash_after_kana_is_the_long_vowel_mark(typed, expected):
    assert normalise_furigana(typed) == expected
    assert is_katakana(normalise_furigana(typed))


@pytest.mark.parametrize("typed", ["－ヤマモト", "ヤマモト －", "-"])
def test_a_dash_not_after_kana_is_left_to_be_refused(typed):
    assert not is_katakana(normalise_furigana(typed))


def test_nakaguro_and_spaces_do_not_make_a_different_person():
    born = date(1970, 5, 1)
    spellings = [
        "ヤマダ・タロウ",
        "ヤマダ タロウ",
        "ヤマダ　タロウ",
        "ヤマダタロウ",
        "ﾔﾏﾀﾞ･ﾀﾛｳ",
        "やまだ・たろう",
    ]
    assert {furigana_key(s) for s in spellings} == {"ヤマダタロウ"}
    assert len({person_key(s, born) for s in spellings}) == 1
    assert person_key("ヤマダ・タロウ", born) != person_key("ヤマダ・タロウ", date(1970, 5, 2))


@given(st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096), min_size=1))
def test_any_hiragana_becomes_katakana(text):
    assert is_katakana(normalise_furigana(text))


@given(st.text())
def test_normalising_is_idempotent(text):
    once = normalise_furigana(text)
    assert normalise_furigana(once) == once


def test_invisible_characters_are_dropped_but_kanji_variants_are_kept():
    assert normalise_name("\ufeff山田\u200b\u2060 花子\u200d") == "山田 花子"
    assert normalise_furigana("\u200bヤマダ\ufeff") == "ヤマダ"
    assert strip_invisible("\u3164\uffa0\u2800\u00ad\u202e") == ""
    # 葛 with an ideographic variation selector: the form of the kanji in a family name.
    assert normalise_name("\u845b\U000e0100城") == "\u845b\U000e0100城"

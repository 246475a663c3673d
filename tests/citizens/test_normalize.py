"""What residents type is folded so that the same person is recognised."""

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
    from datetime import date

    born = date(1970, 5, 1)
    assert person_key("ヤマダ ハナコ", born) == person_key("やまだはなこ", born)
    assert furigana_key("ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダハナコ"


def test_postal_codes_with_or_without_hyphen_and_full_width():
    assert normalise_postal_code("352-0001") == "3520001"
    assert normalise_postal_code("３５２－０００１") == "3520001"
    assert normalise_postal_code("〒352ー0001") == "3520001"


def test_phone_numbers_keep_digits_and_hyphens():
    assert normalise_phone("０４８（４８１）２２１１") == "048-481-2211"
    assert normalise_phone("090 1234 5678") == "09012345678"


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

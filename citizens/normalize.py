"""Normalisation of what residents type, so that the same person is recognised.

Pure functions, no Django: forms call them to clean input, services call them to build
the key that identifies a person (フリガナ + date of birth).
"""

import re
import unicodedata

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KANA_OFFSET = 0x60  # ぁ (U+3041) → ァ (U+30A1)
_SPACES = re.compile(r"[\s\u3000]+")
# Blank letters: they print nothing, yet are not "format" characters (see strip_invisible).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def strip_invisible(value: str) -> str:
    """Without the characters that show nothing on screen.

    The byte order mark (U+FEFF, pasted from a file), zero-width spaces and joiners
    (U+200B to U+200D), the word joiner (U+2060), direction marks and the soft hyphen are
    all Unicode "format" characters (category Cf); the Hangul fillers and the blank Braille
    cell are letters that print as nothing. Left in, they make two people of one (山田 with
    a zero-width space inside) and names no one can read on the health centre's list.
    Variation selectors (U+E0100 after 葛, category Mn) are kept: they choose the form of a
    kanji in a name.
    """
    return "".join(
        ch for ch in value or "" if unicodedata.category(ch) != "Cf" and ch not in _BLANK_LETTERS
    )


def has_letter(value: str) -> bool:
    """True when value holds at least one letter or digit, not only marks and symbols.

    The long vowel mark ー counts as a letter in Unicode (as 々 does, rightly), but alone
    it is no name.
    """
    return any(unicodedata.category(ch)[0] in "LN" and ch not in "ーｰ" for ch in value or "")


def normalise_furigana(value: str) -> str:
    """Full-width katakana with single half-width spaces between words.

    NFKC turns half-width kana (ｶﾀｶﾅ, including voiced marks ｶﾞ → ガ) into full-width and
    full-width spaces into ordinary ones; hiragana is shifted into katakana.
    """
    value = unicodedata.normalize("NFKC", strip_invisible(value))
    value = "".join(
        chr(ord(ch) + _KANA_OFFSET) if _HIRAGANA_START <= ord(ch) <= _HIRAGANA_END else ch
        for ch in value
    )
    return _SPACES.sub(" ", value).strip()


def furigana_key(value: str) -> str:
    """The part of a person's identity taken from フリガナ: katakana with no spaces at all.

    "ヤマダ タロウ" and "ヤマダタロウ" are the same person.
    """
    return normalise_furigana(value).replace(" ", "")


def _is_kana_letter(ch: str) -> bool:
    return 0x30A1 <= ord(ch) <= 0x30FA


def is_katakana(value: str) -> bool:
    """True when value holds only full-width katakana, ー, ・ and spaces (after normalising)."""
    return bool(value) and all(
        ch == " " or ch == "ー" or ch == "・" or _is_kana_letter(ch) for ch in value
    )


def has_kana_letter(value: str) -> bool:
    """True when value holds at least one katakana letter: "ー" or "・" alone is no name."""
    return any(_is_kana_letter(ch) for ch in value or "")


def normalise_digits(value: str) -> str:
    """Full-width digits and hyphens become ASCII; other characters are kept."""
    value = unicodedata.normalize("NFKC", strip_invisible(value))
    return value.replace("−", "-").replace("‐", "-").replace("ー", "-").replace("－", "-").strip()


def normalise_postal_code(value: str) -> str:
    """ "352-0001", "３５２０００１", "〒352-0001" → "3520001" (validation is the form's job)."""
    return re.sub(r"[^0-9]", "", normalise_digits(value))


def format_postal_code(value: str) -> str:
    return f"{value[:3]}-{value[3:]}" if len(value) == 7 else value


def normalise_phone(value: str) -> str:
    """Digits and hyphens only: "０４８（４８１）２２１１" → "048-481-2211"."""
    value = normalise_digits(value).replace("(", "-").replace(")", "-")
    value = re.sub(r"[^0-9-]", "", value)
    return re.sub(r"-{2,}", "-", value).strip("-")


def normalise_name(value: str) -> str:
    """Names keep their kanji; only spaces are folded (NFKC would change some variants) and
    invisible characters dropped."""
    return _SPACES.sub(" ", strip_invisible(value)).strip()

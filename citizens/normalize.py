"""Normalisation of what residents type, so that the same person is recognised.

Pure functions, no Django (phone numbers are libphonenumber's): forms call them to clean
input, services call them to build the key that identifies a person (フリガナ + date of
birth).
"""

import re
import unicodedata

import phonenumbers

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


# Dashes typed for the long vowel mark ー: the full-width minus －, which NFKC turns into
# "-", the hyphens ‐ ‑ ‒ – — ―, the minus sign − and the small minus ﹣. A Japanese IME
# gives ー after kana, but phones, Western keyboards and pasted text give these.
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"
_DASH_AFTER_KANA = re.compile(f"(?<=[\u30a1-\u30fa\u30fc])[{_DASHES}]+")


def normalise_furigana(value: str) -> str:
    """Full-width katakana with single half-width spaces between words.

    NFKC turns half-width kana (ｶﾀｶﾅ, including voiced marks ｶﾞ → ガ) into full-width and
    full-width spaces into ordinary ones; hiragana is shifted into katakana. A dash right
    after kana stands for ー (ヤマモト－ → ヤマモトー); elsewhere it is left, and refused by
    the form. Hand-made rather than jaconv, which is no dependency: NFKC, the kana shift and
    this one rule are all the folding フリガナ needs.
    """
    value = unicodedata.normalize("NFKC", strip_invisible(value))
    value = "".join(
        chr(ord(ch) + _KANA_OFFSET) if _HIRAGANA_START <= ord(ch) <= _HIRAGANA_END else ch
        for ch in value
    )
    value = _DASH_AFTER_KANA.sub(lambda match: "ー" * len(match.group()), value)
    return _SPACES.sub(" ", value).strip()


def furigana_key(value: str) -> str:
    """The part of a person's identity taken from フリガナ: katakana with no word breaks.

    Spaces and 「・」 only separate words ("マリア・ガルシア", "マリア ガルシア"), so
    "ヤマダ・タロウ", "ヤマダ タロウ" and "ヤマダタロウ" are the same person.
    """
    return normalise_furigana(value).replace(" ", "").replace("・", "")


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


# What may stand in a phone number besides digits: "+81", "(0)", hyphens and spaces.
# Anything else ("自宅", "内線12") is dropped before parsing, and letters with it: parsed,
# "0120-ABC-DEF" would become a keypad number no resident meant.
_NOT_PHONE = re.compile(r"[^0-9+()\- ]")


def normalise_phone(value: str) -> str:
    """A Japanese phone number in its domestic form, or "" when the input is none.

    "０４８（４８１）２２１１", "+81-48-481-2211", "+81 (0)48-481-2211" and "0484812211" all
    become "048-481-2211"; "+44 20 7946 0958" and "148-481-2211" become "". libphonenumber
    knows which digits make a Japanese number and where its hyphens go (03-1234-5678,
    0123-45-6789, 090-1234-5678): a hand-made rule would get the area codes wrong.
    """
    value = _NOT_PHONE.sub("", normalise_digits(value))
    try:
        number = phonenumbers.parse(value, "JP")
    except phonenumbers.NumberParseException:
        return ""
    if number.country_code != 81 or not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def normalise_name(value: str) -> str:
    """Names keep their kanji; only spaces are folded (NFKC would change some variants) and
    invisible characters dropped."""
    return _SPACES.sub(" ", strip_invisible(value)).strip()

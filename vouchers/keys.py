"""The only form in which the city's list reaches the database: keyed hashes.

An entry is found by HMAC-SHA256(VOUCHER_HMAC_KEY, number + "|" + 生年月日 ISO date), so
that a copy of the database without the key tells nobody who is on the list or when they
were born. A second keyed hash of the number alone tells "this number is on the list but
the date of birth does not match" (birth_mismatch) from "no such number" (not_on_list);
it says no more than the 受診券番号 itself, which the booking keeps in clear for the
health management system's import.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

from django.conf import settings

NUMBER_MAX = 20
_NUMBER = re.compile(rf"^[0-9A-Z]{{1,{NUMBER_MAX}}}$")
# Separators people type or print in a number: spaces, hyphens of every width.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―ー－]")


def normalise_number(text: str) -> str | None:
    """ "０１２３-４５６７" → "01234567"; None when what is left is not 1–20 letters/digits."""
    value = unicodedata.normalize("NFKC", text or "").upper()
    value = _SEPARATORS.sub("", value)
    return value if _NUMBER.match(value) else None


def _mac(message: str) -> str:
    key = settings.VOUCHER_HMAC_KEY.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def entry_key(number: str, birth_date: date) -> str:
    """The key of one person on the list: a normalised number and a date of birth."""
    return _mac(f"{number}|{birth_date.isoformat()}")


def number_key(number: str) -> str:
    """The keyed hash of a normalised number alone (see the module docstring)."""
    return _mac(f"number|{number}")

"""The page's (or the mail's) language, and the one rule for picking a translated column.

Screening types and venues carry English columns (``name_en``, ``access_en`` …). Pages,
template filters and mail all pick them the same way: the English column on English pages
when it is filled in, else the Japanese one. This module is a base layer: it imports no
reads or writes.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def is_english() -> bool:
    """True when the active language (the page's, or the booking's in a mail) is English."""
    return (get_language() or "ja").startswith("en")


def pick_translation(obj: Any, field: str) -> tuple[str, bool]:
    """(the text of `field` in the active language, whether it fell back to Japanese).

    `obj` is any model with `field` and `field_en`; None gives ("", False).
    """
    if obj is None:
        return "", False
    japanese = getattr(obj, field, "") or ""
    if is_english():
        english = getattr(obj, f"{field}_en", "") or ""
        if english:
            return english, False
        return japanese, bool(japanese)
    return japanese, False


def in_language(obj: Any, field: str) -> str:
    """The text of `field` in the active language (English column, else Japanese)."""
    return pick_translation(obj, field)[0]


def screening_name(screening: Any) -> str:
    """The screening's name in the active language."""
    return in_language(screening, "name")

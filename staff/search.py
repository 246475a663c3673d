"""The phone desk's searches for a caller (bookings, waiting-list entries, lottery
applications): by the number they read out, or by フリガナ + date of birth."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from citizens.models import person_keys

M = TypeVar("M", bound=Model)


def found_by(
    data: dict[str, Any], queryset: QuerySet[M], *, person_key_lookup: str
) -> tuple[QuerySet[M], str]:
    """The rows of `queryset` a desk search names (staff.forms.FindBookingForm's cleaned
    data): its `number`, or the person keys of フリガナ + date of birth through
    `person_key_lookup` (e.g. "person_key__in"); with how it searched, for the audit record
    ("number" or "furigana_and_birth_date" — never the term itself)."""
    if data["number"]:
        return queryset.filter(number=data["number"]), "number"
    keys = person_keys(data["furigana"], data["birth_date"])
    return queryset.filter(**{person_key_lookup: keys}), "furigana_and_birth_date"

"""Re-keying the stored person keys of bookings (ReservationItem.person_key).

A person key is a keyed hash of フリガナ + 生年月日 (citizens.models.person_key). It must be
computed again from each booking's Citizen row when the folding changes (migration
reservations 0005: 「・」 and dashes after kana) or when SECRET_KEY is rotated
(`manage.py rekey_persons`). ScreeningHistory cannot be re-keyed: the names behind its
hashes are gone (see citizens.models.legacy_person_identity).

Two live bookings of one screening in one fiscal year that the new folding makes into one
person's (ヤマダ・タロウ and ヤマダタロウ, same birthday, both booked before the change)
would break the live-booking constraint. Neither is cancelled here: which one the resident
keeps is the health centre's call. The one already spelled the new way (else the older)
takes the person key; the others keep the key of their old spelling, which the constraint
allows and the one-booking rule still finds (citizens.models.person_keys). They are
reported by reservation number, so that staff can phone the resident and cancel one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

import audit
from citizens.models import legacy_person_identity, person_hash, person_key
from reservations.models import ReservationItem, format_reservation_number


@dataclass(frozen=True)
class DoubleBooking:
    """Live bookings of one screening in one fiscal year that are now one person's."""

    screening: str  # ScreeningType.code
    fiscal_year: int
    reservation_numbers: tuple[str, ...]  # the one holding the person key first


@dataclass
class RekeyResult:
    items: int = 0  # items whose key changed
    double_bookings: list[DoubleBooking] = field(default_factory=list)


def person_keys_rekey(
    *, item_model: type[models.Model] = ReservationItem, batch_size: int = 500
) -> RekeyResult:
    """Recompute every ReservationItem.person_key from its citizen, in one transaction.

    `item_model` is the model to work on: the migration passes its historical one.
    Guarantees that no two live items of one screening and fiscal year end with the same
    key (the constraint would refuse the update); such pairs are in `double_bookings`.
    Running it again with the same SECRET_KEY changes nothing.
    """
    manager: Any = item_model._default_manager
    with transaction.atomic():
        result = _rekey(item_model, manager, batch_size)
    return result


def _rekey(item_model: type[models.Model], manager: Any, batch_size: int) -> RekeyResult:
    rows = list(
        manager.order_by("pk").values_list(
            "pk",
            "reservation__citizen__furigana",
            "reservation__citizen__birth_date",
            "fiscal_year",
            "is_live",
            "person_key",
            "reservation__number",
            "screening_type__code",
        )
    )
    wanted: dict[int, str] = {}
    live: dict[tuple[str, str, int], list[tuple[int, str, str]]] = defaultdict(list)
    for pk, furigana, born, fiscal_year, is_live, _old, number, code in rows:
        key = person_key(furigana, born)
        wanted[pk] = key
        if is_live:
            legacy = person_hash(legacy_person_identity(furigana, born))
            live[(key, code, fiscal_year)].append((pk, legacy, number))

    result = RekeyResult()
    for (key, code, fiscal_year), items in live.items():
        if len(items) < 2:
            continue
        # Rows come in pk order: the first already spelled the new way, else the oldest.
        keeper = next((item for item in items if item[1] == key), items[0])
        others = [item for item in items if item is not keeper]
        for pk, legacy, _number in others:
            wanted[pk] = legacy
        result.double_bookings.append(
            DoubleBooking(
                screening=code,
                fiscal_year=fiscal_year,
                reservation_numbers=tuple(
                    format_reservation_number(item[2]) for item in [keeper, *others]
                ),
            )
        )

    changed = [
        item_model(pk=pk, person_key=wanted[pk])
        for pk, _furigana, _born, _year, _live, old, _number, _code in rows
        if wanted[pk] != old
    ]
    manager.bulk_update(changed, ["person_key"], batch_size=batch_size)
    result.items = len(changed)
    return result


def person_keys_rekey_audited() -> RekeyResult:
    """`manage.py rekey_persons`: person_keys_rekey and its audit record (counts only),
    committed together or not at all."""
    with transaction.atomic():
        result = person_keys_rekey()
        audit.record(
            action="reservations.person_keys.rekeyed",
            outcome="success",
            details={"items": result.items, "double_bookings": len(result.double_bookings)},
        )
    return result


def double_booking_lines(result: RekeyResult) -> list[str]:
    """One line per double booking, for the operator (numbers only, never whose)."""
    return [
        f"{double.screening} in fiscal year {double.fiscal_year}: "
        f"reservations {', '.join(double.reservation_numbers)} are now one person's; "
        "all kept live, cancel the extra ones after calling the resident"
        for double in result.double_bookings
    ]

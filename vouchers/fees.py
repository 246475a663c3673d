"""The fee classes configured in admin (vouchers.models.FeeClass), as fee_for reads them.

Reads only. A page about one booking asks `fee_class_rule` (no query for a booking
without a class); anything that shows many bookings — the export, the reception roster —
loads `fee_class_rules` once and looks each booking's code up in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from reservations.fees import FeeClassRule, FeePayer
from reservations.models import Reservation
from vouchers.models import FeeClass, fee_class_key


def _rule(fee_class: FeeClass) -> FeeClassRule:
    return FeeClassRule(code=fee_class.code, label=fee_class.label, amount=fee_class.amount)


def fee_class_rules() -> dict[str, FeeClassRule]:
    """Every configured class by its matching key (vouchers.models.fee_class_key): one query."""
    return {fee_class_key(c.code): _rule(c) for c in FeeClass.objects.all()}


def rule_in(rules: Mapping[str, FeeClassRule], code: str) -> FeeClassRule | None:
    """The class `code` (as a booking or the list carries it) names in `rules`, if any."""
    return rules.get(fee_class_key(code)) if code else None


def fee_class_rule(code: str) -> FeeClassRule | None:
    """The configured class for one booking's code; None (without a query) for no code."""
    key = fee_class_key(code)
    if not key:
        return None
    found = FeeClass.objects.filter(code=key).first()
    return _rule(found) if found else None


def reservation_payer(reservation: Reservation) -> FeePayer:
    """Who pays for `reservation` as its pages show the fee: its citizen's date of birth and
    its configured fee class."""
    return FeePayer(reservation.citizen.birth_date, fee_class_rule(reservation.fee_class))


def unconfigured_fee_classes(codes: Iterable[str]) -> dict[str, int]:
    """The codes in `codes` (one a person) that no FeeClass configures, with how many people
    carry each, in code order: these people pay the usual fee. Blank codes are left out."""
    rules = fee_class_rules()
    counts = Counter(key for key in map(fee_class_key, codes) if key and key not in rules)
    return dict(sorted(counts.items()))

"""What a resident pays for a screening: the fee, or an exemption that applies to them.

Exemptions are data on ScreeningType (free_from_age, free_coupon_age), not code, and are
judged by 年度末年齢 (reservations.models.fiscal_year_end_age) as eligibility is. A
booking made with a 受診券 may carry the city's fee class (費用区分, Reservation.fee_class);
a class configured with an amount (vouchers.models.FeeClass, read by vouchers.fees)
replaces the fee and the exemptions. Every place that shows a fee — the booking pages, the
mail, the reception roster and the export — asks `fee_for`, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reservations.models import ScreeningType, fiscal_year_end_age

# Why a fee is what it is (the export's 費用理由 column writes these Japanese labels).
STANDARD = "standard"  # the screening's fee
AGE_EXEMPT = "age_exempt"  # free from an age on (e.g. 70歳以上)
FREE_COUPON = "free_coupon"  # 無料クーポン: turning the coupon age in the fiscal year
FEE_CLASS = "fee_class"  # the amount the city's fee class (費用区分) sets, 0 = free

EXPORT_LABELS = {
    STANDARD: "通常",
    AGE_EXEMPT: "年齢免除",
    FREE_COUPON: "無料クーポン",
    FEE_CLASS: "費用区分",
}


@dataclass(frozen=True)
class FeeClassRule:
    """A fee class as fee_for reads it (vouchers.fees loads them from vouchers.FeeClass).

    `amount` None: the class changes nothing (the screening's fee and exemptions apply);
    a number: what everyone of this class pays, in yen, for a screening that has a fee.
    """

    code: str
    label: str
    amount: int | None


@dataclass(frozen=True)
class Fee:
    amount: int  # yen
    reason_code: str  # STANDARD, AGE_EXEMPT, FREE_COUPON or FEE_CLASS
    fee_class_label: str = ""  # the class's label when reason_code is FEE_CLASS

    @property
    def is_exempt(self) -> bool:
        """Free of a fee the screening has: an exemption, or a fee class of 0 yen. A fee
        class that sets a (reduced) amount is not an exemption."""
        return self.amount == 0 and self.reason_code != STANDARD


@dataclass(frozen=True)
class FeePayer:
    """Who pays, as the pages show a fee (reservations.display.slot_fee_text): the date of
    birth and the booking's fee class, if one is configured."""

    birth_date: date
    fee_class: FeeClassRule | None = None


def fee_for(
    screening_type: ScreeningType,
    birth_date: date,
    screening_date: date,
    *,
    fee_class: FeeClassRule | None = None,
) -> Fee:
    """The fee this person pays for `screening_type` on `screening_date`, with the reason.

    A screening that costs nothing anyway is STANDARD: there is nothing to exempt, and a
    fee class does not put a price on it. `fee_class` is the booking's class as configured
    (vouchers.fees.fee_class_rules); None — no class, or a code nobody configured — and a
    class without an amount leave the usual rules. A class with an amount wins over the
    age exemptions: the city's list has judged this person.
    """
    if screening_type.fee == 0:
        return Fee(0, STANDARD)
    if fee_class is not None and fee_class.amount is not None:
        return Fee(fee_class.amount, FEE_CLASS, fee_class.label)
    age = fiscal_year_end_age(birth_date, screening_date)
    if screening_type.free_coupon_age is not None and age == screening_type.free_coupon_age:
        return Fee(0, FREE_COUPON)
    if screening_type.free_from_age is not None and age >= screening_type.free_from_age:
        return Fee(0, AGE_EXEMPT)
    return Fee(screening_type.fee, STANDARD)

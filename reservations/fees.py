"""What a resident pays for a screening: the fee, or an exemption that applies to them.

Exemptions are data on ScreeningType (free_from_age, free_coupon_age), not code, and are
judged by 年度末年齢 (reservations.models.fiscal_year_end_age) as eligibility is. Every
place that shows a fee — the booking pages, the mail, the reception roster and the export
— asks `fee_for`, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reservations.models import ScreeningType, fiscal_year_end_age

# Why a fee is what it is (the export's 費用理由 column writes these Japanese labels).
STANDARD = "standard"  # the screening's fee
AGE_EXEMPT = "age_exempt"  # free from an age on (e.g. 70歳以上)
FREE_COUPON = "free_coupon"  # 無料クーポン: turning the coupon age in the fiscal year

EXPORT_LABELS = {STANDARD: "通常", AGE_EXEMPT: "年齢免除", FREE_COUPON: "無料クーポン"}


@dataclass(frozen=True)
class Fee:
    amount: int  # yen
    reason_code: str  # STANDARD, AGE_EXEMPT or FREE_COUPON

    @property
    def is_exempt(self) -> bool:
        return self.reason_code != STANDARD


def fee_for(screening_type: ScreeningType, birth_date: date, screening_date: date) -> Fee:
    """The fee this person pays for `screening_type` on `screening_date`, with the reason.

    A screening that costs nothing anyway is STANDARD: there is nothing to exempt.
    """
    if screening_type.fee == 0:
        return Fee(0, STANDARD)
    age = fiscal_year_end_age(birth_date, screening_date)
    if screening_type.free_coupon_age is not None and age == screening_type.free_coupon_age:
        return Fee(0, FREE_COUPON)
    if screening_type.free_from_age is not None and age >= screening_type.free_from_age:
        return Fee(0, AGE_EXEMPT)
    return Fee(screening_type.fee, STANDARD)

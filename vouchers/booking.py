"""The 受診券 step of the resident's booking, and the hooks the booking views call.

A screening in 受診券 mode (ScreeningType.voucher_required) starts with 受診券番号 +
生年月日 (vouchers.views.voucher_start) instead of the details form. A voucher that
passes voucher_check is remembered for the booking's form token (VoucherPass); the
details step refuses a date of birth or sex other than the list's, and the confirm step
checks every voucher screening of the booking against the current list again and gives
the reservation its 受診券番号 and fee class. An open booking passes every hook untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from reservations.eligibility import CitizenDetails
from reservations.errors import NotEligible
from reservations.models import ScreeningType, Slot
from vouchers import refusals
from vouchers.keys import number_key
from vouchers.models import VoucherEntry, VoucherPass
from vouchers.services import VoucherMatch, VoucherRefused, voucher_check

PASS_LIFETIME = timedelta(hours=1)


def needs_voucher(slots: Sequence[Slot]) -> bool:
    return any(slot.screening_type.voucher_required for slot in slots)


def pass_remember(*, form_token: str, match: VoucherMatch, now: datetime) -> None:
    """Remember a checked voucher for this booking; passes that have expired are deleted."""
    VoucherPass.objects.filter(expires_at__lte=now).delete()
    VoucherPass.objects.update_or_create(
        form_token=form_token, defaults={"number": match.number, "expires_at": now + PASS_LIFETIME}
    )


def booking_voucher(
    *, form_token: str, slots: Sequence[Slot], details: CitizenDetails, now: datetime
) -> VoucherMatch | None:
    """The voucher this booking is made with, checked again now; None for an open booking.

    Raises VoucherRefused: `voucher_missing` when the 受診券 step was not passed (or its
    hour is over), else voucher_check's refusal for the first voucher screening that the
    list (as it is now) does not allow with the details' date of birth, or `sex_mismatch`
    when the details' sex is not the list's.
    """
    needed = [slot for slot in slots if slot.screening_type.voucher_required]
    if not needed:
        return None
    voucher_pass = VoucherPass.objects.filter(form_token=form_token, expires_at__gt=now).first()
    if voucher_pass is None:
        raise VoucherRefused(refusals.VOUCHER_MISSING)
    return _check_all(voucher_pass.number, _types(needed), details, now)


def booking_fee_class(
    *, form_token: str, slots: Sequence[Slot], details: CitizenDetails, now: datetime
) -> str:
    """The fee class the confirm step would stamp on this booking, for the page that asks
    to confirm it: the list's for a 受診券 booking, "" for an open booking — and "" when the
    voucher no longer passes (the confirm step will refuse it then, in words)."""
    try:
        match = booking_voucher(form_token=form_token, slots=slots, details=details, now=now)
    except VoucherRefused:
        return ""
    return match.fee_class if match else ""


def desk_voucher(
    *, number: str, slots: Sequence[Slot], details: CitizenDetails, now: datetime
) -> VoucherMatch | None:
    """The phone desk's check of the 受診券番号 a caller reads out; None for an open booking.

    Raises VoucherRefused like booking_voucher (voucher_missing when no number was typed).
    Not rate-limited: staff, signed in with a second factor, are not guessing.
    """
    needed = [slot for slot in slots if slot.screening_type.voucher_required]
    if not needed:
        return None
    if not number.strip():
        raise VoucherRefused(refusals.VOUCHER_MISSING)
    return _check_all(number, _types(needed), details, now)


def stored_voucher(
    *,
    number: str,
    screening_types: Iterable[ScreeningType],
    details: CitizenDetails,
    now: datetime,
) -> VoucherMatch | None:
    """The voucher a lottery application or a waiting-list entry was made with, checked
    against the list as it is now (at the draw, before an offer, at its confirmation: the
    city may have replaced the list since); None when none of `screening_types` is in
    受診券 mode. Raises VoucherRefused like desk_voucher (voucher_missing when the
    application or entry carries no number: made before its screening was switched)."""
    needed = [screening for screening in screening_types if screening.voucher_required]
    if not needed:
        return None
    if not number:
        raise VoucherRefused(refusals.VOUCHER_MISSING)
    return _check_all(number, needed, details, now)


def stored_voucher_as_rule(
    *,
    number: str,
    screening_types: Iterable[ScreeningType],
    details: CitizenDetails,
    now: datetime,
) -> VoucherMatch | None:
    """stored_voucher, its refusal raised as a booking rule's (NotEligible, reason code
    "voucher_<code>": vouchers.refusals.as_reason), for the services that report every
    refusal that way (the waiting list, the lottery): their callers already show it."""
    try:
        return stored_voucher(
            number=number, screening_types=screening_types, details=details, now=now
        )
    except VoucherRefused as refused:
        raise NotEligible([refusals.as_reason(refused.code)]) from None


def _types(slots: Sequence[Slot]) -> list[ScreeningType]:
    return [slot.screening_type for slot in slots]


def _check_all(
    number: str, needed: Sequence[ScreeningType], details: CitizenDetails, now: datetime
) -> VoucherMatch:
    match = None
    for screening_type in needed:
        match = voucher_check(
            number=number,
            birth_date=details.birth_date,
            screening_type=screening_type,
            now=now,
        )
    assert match is not None
    if match.sex and details.sex != match.sex:
        raise VoucherRefused(refusals.SEX_MISMATCH)
    return match


def ticket_screenings(*, form_token: str, now: datetime) -> frozenset[str]:
    """The ScreeningType codes that the 受診券 checked for this booking includes, as the
    current list says (empty without a pass): the set-booking step offers only these of the
    受診券 screenings."""
    voucher_pass = VoucherPass.objects.filter(form_token=form_token, expires_at__gt=now).first()
    if voucher_pass is None:
        return frozenset()
    entry = (
        VoucherEntry.objects.filter(
            voucher_list__is_current=True, number_key=number_key(voucher_pass.number)
        )
        .only("screenings")
        .first()
    )
    return frozenset(entry.screening_codes) if entry is not None else frozenset()


def pass_forget(*, form_token: str) -> None:
    VoucherPass.objects.filter(form_token=form_token).delete()

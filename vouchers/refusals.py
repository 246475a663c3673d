"""Why a 受診券番号 + 生年月日 was refused: codes and the words for them.

vouchers.services.voucher_check raises VoucherRefused(code) with one of these codes; the
resident's page and the phone desk look the words up here (reservations.refusals.Refusal).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from reservations.eligibility import Reason
from reservations.refusals import HOME, Refusal

NOT_ON_LIST = "not_on_list"
BIRTH_MISMATCH = "birth_mismatch"
SCREENING_NOT_ALLOWED = "screening_not_allowed"
NO_LIST = "no_list"
# Raised by the booking's hooks (vouchers.booking), not by voucher_check.
VOUCHER_MISSING = "voucher_missing"
SEX_MISMATCH = "sex_mismatch"
CODES = (NOT_ON_LIST, BIRTH_MISMATCH, SCREENING_NOT_ALLOWED, NO_LIST, VOUCHER_MISSING, SEX_MISMATCH)

_CALL = _("If you think this is wrong, phone %(centre)s on %(phone)s and we will help you.")

PAGES: dict[str, Refusal] = {
    NOT_ON_LIST: Refusal(
        _("This screening ticket number is not on the city's list"),
        (
            _(
                "Check the 受診券番号 printed on the screening ticket (受診券) the city sent "
                "you, and type it again."
            ),
            _CALL,
        ),
        status=404,
    ),
    BIRTH_MISMATCH: Refusal(
        _("The date of birth does not match this screening ticket"),
        (_("Check the date of birth and type it again."), _CALL),
        status=404,
    ),
    SCREENING_NOT_ALLOWED: Refusal(
        _("This screening ticket is not for this screening"),
        (
            _("Your screening ticket does not include this screening. Nothing was booked."),
            _CALL,
        ),
        status=409,
        links=((HOME, _("See the other screenings")),),
    ),
    NO_LIST: Refusal(
        _("Booking with a screening ticket is not possible yet"),
        (
            _("The city's list of screening tickets has not been loaded yet. Nothing was booked."),
            _CALL,
        ),
        status=503,
        links=((HOME, _("Back to the top page")),),
    ),
    VOUCHER_MISSING: Refusal(
        _("Please enter your screening ticket again"),
        (
            _(
                "This screening is booked with the screening ticket (受診券) the city sent "
                "you, and more than an hour has passed since it was checked. Nothing was booked."
            ),
        ),
        status=403,
        links=((HOME, _("Start again from the top page")),),
    ),
    SEX_MISMATCH: Refusal(
        _("The sex does not match this screening ticket"),
        (_("Choose the sex as registered with the city, as on your screening ticket."), _CALL),
        status=409,
    ),
}

DESK: dict[str, object] = {
    NOT_ON_LIST: _("This screening ticket number is not on the city's list."),
    BIRTH_MISMATCH: _("The date of birth does not match this screening ticket."),
    SCREENING_NOT_ALLOWED: _("This screening ticket does not include this screening."),
    NO_LIST: _("No list of screening tickets has been imported yet."),
    SEX_MISMATCH: _("The sex does not match this screening ticket."),
    VOUCHER_MISSING: _("Enter the screening ticket number first."),
}


def as_reason(code: str) -> Reason:
    """A voucher refusal as a booking rule's reason (reservations.eligibility.Reason), for
    the services that report refusals as NotEligible (the waiting list, the lottery): the
    code is "voucher_<code>" (voucher_missing as it is), the words DESK's, which read
    well to a resident too."""
    return Reason(code if code.startswith("voucher_") else f"voucher_{code}", str(DESK[code]))

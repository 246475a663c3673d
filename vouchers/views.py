"""The resident's 受診券 step: 受診券番号 + 生年月日 before the details of a booking.

Rate-limited like the look-up (reservations.ratelimit, counted per client and per number,
the number under its own "voucher:" name); without the shared counter every check is
refused (503). A voucher that passes goes on to the booking's details form with the date
of birth and sex from the list filled in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie

from reservations import ratelimit
from reservations.display import health_centre_name
from reservations.eligibility import CitizenDetails
from reservations.models import ScreeningType, Slot, SlotState
from reservations.refusals import Refusal
from reservations.tokens import new_form_token
from reservations.views.http import allow, page, private, refuse
from vouchers import booking, refusals
from vouchers.forms import VoucherForm, VoucherNumberForm
from vouchers.services import VoucherRefused, voucher_check

log = logging.getLogger(__name__)

# Refusals that mean "this number and this date of birth are not a pair on the list":
# each counts as a wrong guess.
GUESSES = {refusals.NOT_ON_LIST, refusals.BIRTH_MISMATCH}


def _texts(refusal: Refusal) -> dict[str, object]:
    params = {"centre": health_centre_name(), "phone": settings.HEALTH_CENTRE_PHONE}
    return {
        "title": refusal.title,
        "paragraphs": [str(p) % params if "%(" in str(p) else str(p) for p in refusal.paragraphs],
    }


def refusal_page(request: HttpRequest, code: str, slot: Slot) -> HttpResponse:
    """A voucher refusal as a page of its own (from the booking's later steps)."""
    refusal = refusals.PAGES[code]
    links = [(reverse(name), label) for name, label in refusal.links]
    links.insert(0, (reverse("vouchers:start", args=[slot.pk]), _enter_again()))
    return page(
        request,
        "reservations/problem.html",
        {**_texts(refusal), "links": links},
        status=refusal.status,
    )


def _enter_again() -> str:
    from django.utils.translation import gettext

    return gettext("Enter the screening ticket again")


def _voucher_page(
    request: HttpRequest,
    slot: Slot,
    form: VoucherForm,
    *,
    refused: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, object] = {"slot": slot, "form": form}
    if refused:
        context["refusal"] = _texts(refusals.PAGES[refused])
        context["refusal_links"] = [
            (reverse(name), label) for name, label in refusals.PAGES[refused].links
        ]
    return page(
        request,
        "vouchers/voucher.html",
        context,
        status=status,
        switch_language=request.method == "GET",
    )


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def voucher_start(request: HttpRequest, slot_id: int) -> HttpResponse:
    """受診券番号 + 生年月日 for a screening in 受診券 mode; then the details form."""
    slot = get_object_or_404(
        Slot.objects.select_related("screening_type", "venue"),
        pk=slot_id,
        screening_type__is_active=True,
        screening_type__voucher_required=True,
    )
    now = timezone.now()
    if slot.window_state(now) != SlotState.OPEN:
        return refuse(request, "closed", link_args=(slot.screening_type.code,))
    if request.method != "POST":
        return _voucher_page(request, slot, VoucherForm())
    try:
        return _check(request, slot)
    except ratelimit.CounterUnavailable:
        params = {"centre": health_centre_name(), "phone": settings.HEALTH_CENTRE_PHONE}
        return refuse(request, "lookup_unavailable", params=params)


def blocked(request: HttpRequest) -> HttpResponse:
    params = {
        "minutes": max(ratelimit.retry_after_seconds() // 60, 1),
        "centre": health_centre_name(),
        "phone": settings.HEALTH_CENTRE_PHONE,
    }
    response = refuse(request, "lookup_blocked", params=params)
    response["Retry-After"] = str(ratelimit.retry_after_seconds())
    return response


def typed_voucher_number(
    request: HttpRequest,
    form: VoucherNumberForm,
    *,
    details: CitizenDetails,
    screening_types: Iterable[ScreeningType],
    now: datetime,
    show_form: Callable[[int], HttpResponse],
) -> str | HttpResponse:
    """The 受診券番号 typed in a page's own form (the waiting list's, the lottery
    application's), checked with that form's date of birth and sex against the current
    list and rate-limited as the 受診券 step is: the checked number ("" when no screening
    needs one), or the response to send — `show_form(status)` (the form again, the refusal
    on its number field), the too-many-guesses page, or the counter-down page (503)."""
    types = [screening for screening in screening_types if screening.voucher_required]
    if not types:
        return ""
    try:
        if ratelimit.client_blocked(request):
            return blocked(request)
        if not form.is_valid():
            return show_form(refusals.PAGES[refusals.VOUCHER_MISSING].status)
        number = form.cleaned_data["number"]
        counted_as = f"voucher:{number}"
        if ratelimit.number_blocked(counted_as):
            return blocked(request)
        try:
            match = booking.stored_voucher(
                number=number, screening_types=types, details=details, now=now
            )
        except VoucherRefused as refused:
            if refused.code in GUESSES:
                ratelimit.record_failure(request, counted_as)
            log.info("vouchers.check.refused code=%s", refused.code)
            form.add_error("number", str(refusals.PAGES[refused.code].title))
            return show_form(refusals.PAGES[refused.code].status)
    except ratelimit.CounterUnavailable:
        from reservations.views.lookup import _unavailable

        return _unavailable(request)
    assert match is not None  # a screening needs one, so a match or a refusal
    return match.number


def _check(request: HttpRequest, slot: Slot) -> HttpResponse:
    from reservations.views.booking import details_start

    if ratelimit.client_blocked(request):
        return blocked(request)
    form = VoucherForm(request.POST)
    if not form.is_valid():
        return _voucher_page(request, slot, form, status=400)
    number = form.cleaned_data["number"]
    counted_as = f"voucher:{number}"
    if ratelimit.number_blocked(counted_as):
        return blocked(request)
    now = timezone.now()
    try:
        match = voucher_check(
            number=number,
            birth_date=form.cleaned_data["birth_date"],
            screening_type=slot.screening_type,
            now=now,
        )
    except VoucherRefused as refused:
        if refused.code in GUESSES:
            ratelimit.record_failure(request, counted_as)
        log.info("vouchers.check.refused code=%s", refused.code)
        status = refusals.PAGES[refused.code].status
        return _voucher_page(request, slot, form, refused=refused.code, status=status)
    form_token = new_form_token()
    booking.pass_remember(form_token=form_token, match=match, now=now)
    return details_start(
        request,
        slot,
        form_token=form_token,
        initial={"birth_date": form.cleaned_data["birth_date"], "sex": match.sex},
    )

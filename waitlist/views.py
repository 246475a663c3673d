"""The resident's waiting-list pages: join from a full time, look up, leave, answer an offer.

Like the booking pages: no JavaScript, no session, CSRF on every form, never cached. The
proof of a look-up is a signed, expiring token in POST bodies; an offer's mailed link
carries a random token and the page still asks for the date of birth. Wrong guesses of a
number or date of birth are counted by reservations.ratelimit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from reservations import ratelimit
from reservations.display import health_centre_name
from reservations.errors import AlreadyBooked, BookingError, NotEligible
from reservations.forms import CitizenDetailsForm, error_summary
from reservations.models import Slot, SlotState
from reservations.views.http import allow, page, private
from vouchers.fees import reservation_payer
from vouchers.forms import VoucherNumberForm
from vouchers.views import typed_voucher_number
from waitlist import queries, services
from waitlist.forms import AcceptForm, BirthDateForm, EntryLookupForm
from waitlist.models import Offer, WaitlistEntry
from waitlist.refusals import PAGES

log = logging.getLogger("waitlist.views")

ENTRY_SALT = "waitlist.entry"
ENTRY_TOKEN_MAX_AGE = 60 * 60


def refuse(
    request: HttpRequest,
    code: str,
    *,
    params: Mapping[str, object] | None = None,
    reasons: list[str] | None = None,
    links: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    refusal = PAGES[code]
    paragraphs = [str(p) % params if params else str(p) for p in refusal.paragraphs]
    shown = list(links or []) + [(reverse(name), str(label)) for name, label in refusal.links]
    return page(
        request,
        "reservations/problem.html",
        {"title": refusal.title, "paragraphs": [*paragraphs, *(reasons or [])], "links": shown},
        status=refusal.status,
    )


def _refuse_error(request: HttpRequest, error: BookingError, slot: Slot) -> HttpResponse:
    if isinstance(error, NotEligible):
        return refuse(request, "not_eligible", reasons=[r.message for r in error.reasons])
    if isinstance(error, AlreadyBooked):
        return refuse(request, "already_booked")
    links = []
    if error.code == "places_free":
        links = [(reverse("reservations:book", args=[slot.pk]), _("Book this time"))]
    return refuse(request, error.code if error.code in PAGES else "bad_request", links=links)


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def join(request: HttpRequest, slot_id: int) -> HttpResponse:
    """From a full time: what the resident would accept, and their details."""
    slot = (
        Slot.objects.select_related("venue", "screening_type")
        .filter(pk=slot_id, screening_type__is_active=True)
        .first()
    )
    now = timezone.now()
    if slot is None:
        return page(request, "errors/404.html", status=404)
    if slot.window_state(now) != SlotState.OPEN:
        return refuse(request, "closed")
    if slot.remaining > 0 and request.method != "POST":
        return redirect("reservations:book", slot.pk)
    data = request.POST if request.method == "POST" else None
    accept, form = AcceptForm(data), CitizenDetailsForm(data)
    # 受診券 mode: the ticket's number comes first in the form, and is checked first.
    voucher_form = VoucherNumberForm(data, prefix="voucher")
    needs_voucher = slot.screening_type.voucher_required
    context = {
        "slot": slot,
        "accept_form": accept,
        "form": form,
        "voucher_form": voucher_form if needs_voucher else None,
    }
    if request.method != "POST":
        return page(request, "waitlist/join.html", context, switch_language=True)
    if not all([accept.is_valid(), form.is_valid(), not needs_voucher or voucher_form.is_valid()]):
        return page(request, "waitlist/join.html", _summarised(context), status=400)
    voucher_number = typed_voucher_number(
        request,
        voucher_form,
        details=form.to_details(),
        screening_types=[slot.screening_type],
        now=now,
        show_form=lambda status: page(
            request, "waitlist/join.html", _summarised(context), status=status
        ),
    )
    if isinstance(voucher_number, HttpResponse):
        return voucher_number
    choice = accept.cleaned_data["accept"]
    try:
        entry = services.entry_join(
            screening_type=slot.screening_type,
            details=form.to_details(),
            slots=[slot] if choice == "slot" else [],
            venue=slot.venue if choice == "venue" else None,
            first_date=accept.cleaned_data.get("first_date") if choice != "slot" else None,
            last_date=accept.cleaned_data.get("last_date") if choice != "slot" else None,
            language=get_language() or "ja",
            voucher_number=voucher_number,
            now=now,
        )
    except BookingError as error:
        return _refuse_error(request, error, slot)
    return _entry_page(request, entry, joined=True)


def _summarised(context: dict[str, Any]) -> dict[str, Any]:
    """The error summary of every form on the join page, in the order they appear."""
    forms = [context["voucher_form"], context["accept_form"], context["form"]]
    errors = [entry for form in forms if form is not None for entry in error_summary(form)]
    return {**context, "errors": errors}


def _entry_page(
    request: HttpRequest, entry: WaitlistEntry, *, joined: bool = False, status: int = 200
) -> HttpResponse:
    offer = queries.open_offer(entry)
    return page(
        request,
        "waitlist/entry.html",
        {
            "entry": entry,
            "joined": joined,
            "ahead": queries.people_ahead(entry),
            "accepted": queries.accepted_slots(entry)[:20],
            "offer": offer,
            "token": signing.dumps({"n": entry.number}, salt=ENTRY_SALT),
        },
        status=status,
    )


def _blocked(request: HttpRequest) -> HttpResponse:
    from reservations.views.http import refuse as reservations_refuse

    params = {
        "minutes": max(ratelimit.retry_after_seconds() // 60, 1),
        "centre": health_centre_name(),
        "phone": settings.HEALTH_CENTRE_PHONE,
    }
    response = reservations_refuse(request, "lookup_blocked", params=params)
    response["Retry-After"] = str(ratelimit.retry_after_seconds())
    return response


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def lookup(request: HttpRequest) -> HttpResponse:
    """Entry number + date of birth → where the entry stands; leave from there."""
    if request.method != "POST":
        return page(request, "waitlist/lookup.html", {"form": EntryLookupForm()})
    try:
        if ratelimit.client_blocked(request):
            return _blocked(request)
        form = EntryLookupForm(request.POST)
        if not form.is_valid():
            return page(request, "waitlist/lookup.html", {"form": form}, status=400)
        number = form.cleaned_data["number"]
        if ratelimit.number_blocked(number):
            return _blocked(request)
        entry = WaitlistEntry.objects.filter(number=number).first()
        if entry is None or entry.birth_date != form.cleaned_data["birth_date"]:
            ratelimit.record_failure(request, number)
            log.info("waitlist.lookup.failed")
            form.add_error(
                None,
                _(
                    "We could not find a waiting-list entry with this number and date of "
                    "birth. Check both and try again."
                ),
            )
            return page(request, "waitlist/lookup.html", {"form": form}, status=404)
    except ratelimit.CounterUnavailable:
        from reservations.views.http import refuse as reservations_refuse

        return reservations_refuse(request, "lookup_unavailable")
    return _entry_page(request, entry)


@allow("POST")
@private
def leave(request: HttpRequest) -> HttpResponse:
    """Leave the list (the signed token of a look-up proves who asks)."""
    try:
        data = signing.loads(
            request.POST.get("token", "")[:500], salt=ENTRY_SALT, max_age=ENTRY_TOKEN_MAX_AGE
        )
        number = str(data["n"])
    except (signing.BadSignature, KeyError, TypeError):
        return refuse(request, "token_expired")
    entry = WaitlistEntry.objects.filter(number=number).first()
    if entry is None:
        return refuse(request, "token_expired")
    try:
        entry = services.entry_leave(entry=entry)
    except BookingError as error:
        return refuse(request, error.code if error.code in PAGES else "bad_request")
    return page(request, "waitlist/left.html", {"entry": entry})


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def offer(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: the offer, then the date of birth to confirm or decline it."""
    found = (
        Offer.objects.select_related("entry", "slot", "slot__venue", "slot__screening_type")
        .filter(token=token[:64])
        .first()
    )
    if found is None:
        return refuse(request, "offer_not_found")
    now = timezone.now()
    if not found.is_open or found.expires_at <= now:
        return refuse(request, "offer_not_open")
    form = BirthDateForm(request.POST if request.method == "POST" else None)
    context = {"offer": found, "form": form}
    if request.method != "POST":
        return page(request, "waitlist/offer.html", context, switch_language=True)
    try:
        if ratelimit.client_blocked(request) or ratelimit.number_blocked(found.entry.number):
            return _blocked(request)
        if not form.is_valid():
            return page(request, "waitlist/offer.html", context, status=400)
        if form.cleaned_data["birth_date"] != found.entry.birth_date:
            ratelimit.record_failure(request, found.entry.number)
            form.add_error(
                "birth_date", _("This is not the date of birth given when joining. Check it.")
            )
            return page(request, "waitlist/offer.html", context, status=403)
    except ratelimit.CounterUnavailable:
        from reservations.views.http import refuse as reservations_refuse

        return reservations_refuse(request, "lookup_unavailable")
    try:
        if form.cleaned_data["answer"] == "confirm":
            reservation = services.offer_confirm(offer=found, now=now)
            return page(
                request,
                "waitlist/confirmed.html",
                {
                    "offer": found,
                    "reservation": reservation,
                    "payer": reservation_payer(reservation),  # its 受診券's fee class
                },
            )
        services.offer_decline(offer=found, now=now)
    except BookingError as error:
        return _refuse_error(request, error, found.slot)
    return page(request, "waitlist/declined.html", {"offer": found})

"""The health centre's waiting-list pages: the lists, the call list, callers added, offers
answered for those who phone. Every page that shows residents' details is audited (ids
only) before it is rendered; every change is audited in the service's transaction.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

import audit
from audit.context import AuditContext
from core.access import role_required
from core.roles import HEALTH_CENTRE
from reservations.errors import BookingError, NotEligible
from reservations.forms import CitizenDetailsForm
from reservations.models import ScreeningType, Slot, fiscal_year_of
from reservations.refusals import DESK
from staff.search import found_by
from vouchers import refusals as voucher_refusals
from waitlist import queries, services
from waitlist.forms import AcceptForm, EntryFindForm
from waitlist.models import Offer, WaitlistEntry

MAX_ROWS = 200

# The desk's one line per waiting-list refusal (reservations' DESK words the others).
DESK_LINES = {
    "already_waiting": _("This person is already on the waiting list for this screening."),
    "invalid_choice": _("There is no open time in that choice."),
    "offer_not_open": _("This offer is no longer open: answered, withdrawn or expired."),
    "entry_closed": _("This entry has already left the list."),
}


def _line(error: BookingError) -> str:
    if error.code in DESK_LINES:
        return str(DESK_LINES[error.code])
    return str(DESK.get(error.code, _("This could not be done.")))


def _listed(request: HttpRequest, via: str, entry_ids: list[int]) -> None:
    audit.record(
        action="waitlist.entries.listed",
        actor=request.user,
        request=request,
        details={"via": via, "results": len(entry_ids), "entry_ids": entry_ids},
    )


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET"])
def waitlist_home(request: HttpRequest) -> HttpResponse:
    """The call list (offers to residents without email) and every open offer."""
    offers = list(queries.open_offers()[:MAX_ROWS])
    _listed(request, "waitlist_offers", [o.entry_id for o in offers])
    return render(
        request,
        "waitlist/staff/home.html",
        {
            "call_list": [o for o in offers if not o.entry.email],
            "offers": offers,
            "screenings": ScreeningType.objects.filter(is_active=True),
            "find_form": EntryFindForm(),
        },
    )


@role_required(HEALTH_CENTRE)
@require_POST
def waitlist_find(request: HttpRequest) -> HttpResponse:
    """A caller's entries, by entry number or by フリガナ + date of birth (POST: nothing
    personal in URLs). The search and what it found are audited (ids only)."""
    form = EntryFindForm(request.POST)
    if not form.is_valid():
        return render(request, "waitlist/staff/find.html", {"find_form": form}, status=400)
    found, by = found_by(
        form.cleaned_data, WaitlistEntry.objects.all(), person_key_lookup="person_key__in"
    )
    entries = list(
        found.select_related("screening_type", "venue").order_by("-created_at")[:MAX_ROWS]
    )
    audit.record(
        action="waitlist.entries.searched",
        actor=request.user,
        request=request,
        details={"by": by, "results": len(entries), "entry_ids": [e.pk for e in entries]},
    )
    rows = [
        {
            "entry": entry,
            "ahead": queries.people_ahead(entry),
            "offer": queries.open_offer(entry),
            "closed": _closed_text(entry.closed_reason),
            "accepted": entry.slots.select_related("venue").order_by("starts_at")[:10]
            if entry.first_date is None
            else [],
        }
        for entry in entries
    ]
    return render(
        request,
        "waitlist/staff/find.html",
        {"find_form": form, "rows": rows},
        status=200 if rows else 404,
    )


# Why an entry left the list when the resident did not choose to: the eligibility rules'
# codes (reservations.eligibility) and the housekeeping's, in the desk's words.
CLOSED_LINES = {
    "window_closed": _("Booking for its times has closed."),
    "closed": _("Booking for its times has closed."),
    "not_offered": _("The screening is no longer offered."),
    "too_young": _("Not in the screening's age range."),
    "too_old": _("Not in the screening's age range."),
    "wrong_sex": _("The screening is for the other sex."),
    "interval": _("Booked or took this screening within its interval."),
    "already_booked": _("Booked this screening meanwhile."),
    "not_open": _("Booking for its times is not open."),
    "full": _("The time is full."),
    "held_for_lottery": _("Its times are given by a lottery draw."),
    "voucher_required": _("The screening needs a screening ticket (受診券)."),
}


def _closed_text(code: str) -> str:
    """Why an entry was closed, in the desk's words (the code when there are none)."""
    if not code:
        return ""
    if code in CLOSED_LINES:
        return str(CLOSED_LINES[code])
    # vouchers.refusals.as_reason's codes: "voucher_<code>", voucher_missing as it is.
    for voucher_code in (code, code.removeprefix("voucher_")):
        if code.startswith("voucher_") and voucher_code in voucher_refusals.DESK:
            return str(voucher_refusals.DESK[voucher_code])
    if code in DESK:
        return str(DESK[code])
    return code


@role_required(HEALTH_CENTRE)
@require_POST
def waitlist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a caller's entry off the list (an open offer of it is withdrawn and passed on)."""
    entry = get_object_or_404(WaitlistEntry, pk=pk)
    try:
        services.entry_leave(entry=entry, audit_context=AuditContext.from_request(request))
    except BookingError as error:
        messages.error(request, _line(error))
    else:
        messages.success(
            request,
            _("Entry %(number)s has been taken off the waiting list.")
            % {"number": entry.display_number},
        )
    return redirect("waitlist_staff:home")


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET"])
def waitlist_slot(request: HttpRequest, pk: int) -> HttpResponse:
    """One slot: its line in order and its open offers."""
    slot = get_object_or_404(Slot.objects.select_related("venue", "screening_type"), pk=pk)
    line = list(queries.slot_line(slot)[:MAX_ROWS])
    offers = list(queries.open_offers().filter(slot=slot))
    _listed(
        request, f"waitlist_slot:{slot.pk}", [e.pk for e in line] + [o.entry_id for o in offers]
    )
    return render(
        request, "waitlist/staff/slot.html", {"slot": slot, "line": line, "offers": offers}
    )


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET"])
def waitlist_screening(request: HttpRequest, code: str) -> HttpResponse:
    """One screening, this fiscal year: every live entry in line order, and its offers."""
    screening = get_object_or_404(ScreeningType, code=code)
    year = fiscal_year_of(timezone.localdate())
    entries = list(
        WaitlistEntry.objects.filter(
            screening_type=screening, fiscal_year__gte=year, status__in=WaitlistEntry.LIVE
        ).order_by("created_at", "id")[:MAX_ROWS]
    )
    offers = list(queries.open_offers().filter(slot__screening_type=screening))
    full_slots = list(
        Slot.objects.filter(
            screening_type=screening,
            starts_at__gt=timezone.now(),
            booked__gte=F("capacity") - F("held"),
        )
        .select_related("venue")
        .order_by("starts_at")[:MAX_ROWS]
    )
    counts = queries.waiting_counts(full_slots)
    _listed(request, f"waitlist_screening:{screening.pk}", [e.pk for e in entries])
    return render(
        request,
        "waitlist/staff/screening.html",
        {
            "screening": screening,
            "entries": entries,
            "offers": offers,
            "full_slots": [(s, counts.get(s.pk, 0)) for s in full_slots],
        },
    )


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET", "POST"])
def waitlist_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a caller on the list of a slot (or a date range around it)."""
    slot = get_object_or_404(Slot.objects.select_related("venue", "screening_type"), pk=pk)
    data = request.POST if request.method == "POST" else None
    accept, form = AcceptForm(data), CitizenDetailsForm(data, require_email=False)
    # 受診券 mode: the number the caller reads out (entry_join checks it against the list).
    voucher_number = request.POST.get("voucher_number", "")[:40]
    context = {"slot": slot, "accept_form": accept, "form": form, "voucher_number": voucher_number}
    if request.method != "POST":
        return render(request, "waitlist/staff/add.html", context)
    if not (accept.is_valid() and form.is_valid()):
        return render(request, "waitlist/staff/add.html", context, status=400)
    choice = accept.cleaned_data["accept"]
    try:
        entry = services.entry_join(
            screening_type=slot.screening_type,
            details=form.to_details(),
            slots=[slot] if choice == "slot" else [],
            venue=slot.venue if choice == "venue" else None,
            first_date=accept.cleaned_data.get("first_date") if choice != "slot" else None,
            last_date=accept.cleaned_data.get("last_date") if choice != "slot" else None,
            channel=WaitlistEntry.Channel.PHONE,
            added_by=cast(User, request.user),
            voucher_number=voucher_number,
            audit_context=AuditContext.from_request(request),
        )
    except NotEligible as error:
        context["refusal"] = _line(error)
        context["reasons"] = [r.message for r in error.reasons]
        return render(request, "waitlist/staff/add.html", context, status=409)
    except BookingError as error:
        context["refusal"] = _line(error)
        return render(request, "waitlist/staff/add.html", context, status=409)
    messages.success(
        request,
        _("Added to the waiting list. Entry number: %(number)s") % {"number": entry.display_number},
    )
    return redirect("waitlist_staff:slot", pk=slot.pk)


def _offer(pk: int) -> Offer:
    return get_object_or_404(Offer.objects.select_related("entry", "slot"), pk=pk)


@role_required(HEALTH_CENTRE)
@require_POST
def waitlist_offer_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The caller said yes on the phone: book the held place for them."""
    offer = _offer(pk)
    try:
        reservation = services.offer_confirm(
            offer=offer,
            user=cast(User, request.user),
            audit_context=AuditContext.from_request(request),
        )
    except BookingError as error:
        messages.error(request, _line(error))
        return redirect("waitlist_staff:home")
    messages.success(
        request,
        _("Booked. Reservation number: %(number)s") % {"number": reservation.display_number},
    )
    return redirect("staff:desk_reservation", pk=reservation.pk)


@role_required(HEALTH_CENTRE)
@require_POST
def waitlist_offer_decline(request: HttpRequest, pk: int) -> HttpResponse:
    """The caller said no: the place goes to the next in line."""
    offer = _offer(pk)
    try:
        services.offer_decline(offer=offer, audit_context=AuditContext.from_request(request))
    except BookingError as error:
        messages.error(request, _line(error))
        return redirect("waitlist_staff:home")
    messages.success(request, _("Declined. The place is offered to the next in line."))
    return redirect("waitlist_staff:home")

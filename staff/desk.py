"""The phone desk (電話受付): the health centre books, finds, moves and cancels for callers.

Same pool of places, same rules as the web: bookings go through reservations.services with
the residents' own form (CitizenDetailsForm), recorded as booked by phone and by whom.
Every look at a resident's details and every change is audited (ids and counts only).
"""

from __future__ import annotations

import datetime
from typing import cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

import audit
from audit.context import AuditContext
from core.access import role_required
from core.roles import HEALTH_CENTRE
from reservations import services
from reservations.errors import (
    BookingError,
    FormTokenReused,
    NotCancellable,
    NotEligible,
    SlotFull,
)
from reservations.forms import CitizenDetailsForm, add_eligibility_errors
from reservations.models import Reservation, ReservationItem, ScreeningType, Slot, Venue
from reservations.queries import is_id, items_in_time_order, slot_ids_from
from reservations.refusals import desk_message
from reservations.time_forms import ExtrasForm
from reservations.tokens import is_form_token, new_form_token
from staff.forms import FindBookingForm, MoveSearchForm, SlotSearchForm
from staff.search import found_by
from vouchers import refusals as voucher_refusals
from vouchers.booking import desk_voucher, needs_voucher
from vouchers.services import VoucherRefused

MAX_RESULTS = 100


def _staff(request: HttpRequest) -> User:
    # role_required let only a logged-in staff member this far.
    return cast(User, request.user)


def _bad_request(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def _details_form(data: QueryDict | None = None) -> CitizenDetailsForm:
    # Callers without an email address are common at the phone desk: email is optional.
    return CitizenDetailsForm(data, require_email=False)


def _bookable(
    queryset: QuerySet[Slot], *, date: datetime.date | None = None, venue: Venue | None = None
) -> QuerySet[Slot]:
    queryset = queryset.select_related("venue", "screening_type").order_by("starts_at", "venue")
    if date:
        queryset = queryset.filter(starts_at__date=date)
    if venue:
        queryset = queryset.filter(venue=venue)
    return queryset


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET"])
def desk_search(request: HttpRequest) -> HttpResponse:
    """Free places for one screening (optionally on a day, at a venue), and the find form."""
    form = SlotSearchForm(request.GET if "screening" in request.GET else None)
    slots = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        slots = list(
            _bookable(
                Slot.objects.bookable().filter(screening_type=data["screening"]),
                date=data["date"],
                venue=data["venue"],
            )[:MAX_RESULTS]
        )
    return render(
        request,
        "staff/desk/search.html",
        {"form": form, "slots": slots, "find_form": FindBookingForm(), "max_results": MAX_RESULTS},
    )


def _slots_from(values: list[str]) -> list[Slot] | None:
    """The slots named by ?slot=…&slot=…; None if any id is not a number or does not exist."""
    slot_ids = slot_ids_from(values, most=5)
    if slot_ids is None:
        return None
    ids = set(slot_ids)
    slots = list(Slot.objects.filter(pk__in=ids).select_related("venue", "screening_type"))
    return slots if len(slots) == len(ids) else None


def _set_partners(slots: list[Slot]) -> dict[ScreeningType, list[Slot]]:
    """Other screenings with a free place at the same venue on the same day, for a セット検診
    booking: each with its times, as the web's "add a screening" step offers them."""
    first = slots[0]
    partners: dict[ScreeningType, list[Slot]] = {}
    for slot in _bookable(
        Slot.objects.bookable()
        .filter(venue=first.venue, screening_type__is_active=True)
        .exclude(screening_type__in=[s.screening_type_id for s in slots]),
        date=first.local_date,
    ):
        partners.setdefault(slot.screening_type, []).append(slot)
    return partners


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET", "POST"])
def desk_book(request: HttpRequest) -> HttpResponse:
    """Book the chosen slot(s) for a caller with the residents' form and rules.

    One form: the caller's details and, when other screenings are free that day at that
    venue, one choice per screening to add (セット検診). Whatever is refused comes back
    with everything typed and chosen still in the form.
    """
    source = request.POST if request.method == "POST" else request.GET
    # "Instead": one of the nearest free times offered after a refusal, chosen with the
    # details still in the form; it shows the form again for that time, books nothing.
    instead = "instead" in request.POST
    slots = _slots_from(source.getlist("slot"))
    if slots is None:
        return _bad_request(request)
    if instead:
        chosen = _slots_from(request.POST.getlist("instead")[:1])
        if chosen is None:
            return _bad_request(request)
        # It takes the place of the time of its own screening; the rest stay chosen.
        slots = chosen + [s for s in slots if s.screening_type_id != chosen[0].screening_type_id]
    token = source.get("form_token", "")
    if not is_form_token(token):
        token = new_form_token()

    data = request.POST if request.method == "POST" else None
    form = _details_form(data)
    # After "instead" the form is shown again unbound, with the screenings that were
    # ticked still ticked where the new time's day and venue offer them.
    ticked = [
        value
        for name in request.POST
        if name.startswith("extra_")
        for value in request.POST.getlist(name)[:1]
        if is_id(value)
    ]
    partners = _set_partners(slots)
    extras = ExtrasForm(
        None if instead else data,
        candidates=partners,
        initial_ids=[int(v) for v in ticked] if instead else (),
    )
    problems, alternatives = [], []
    if form.is_bound and not instead and all([form.is_valid(), extras.is_valid()]):
        try:
            chosen = [*slots, *extras.chosen_slots()]
            # 受診券 mode: the number the caller reads out, checked against the city's list.
            voucher = desk_voucher(
                number=request.POST.get("voucher_number", "")[:40],
                slots=chosen,
                details=form.to_details(),
                now=timezone.now(),
            )
            # The booking and its audit record commit together, or neither does.
            booking = services.reservation_create(
                slots=chosen,
                details=form.to_details(),
                form_token=token,
                channel=Reservation.Channel.PHONE,
                booked_by=_staff(request),
                language="ja",
                audit_context=AuditContext.from_request(request),
                voucher_number=voucher.number if voucher else "",
                fee_class=voucher.fee_class if voucher else "",
            )
        except VoucherRefused as refused:
            problems = [str(voucher_refusals.DESK[refused.code])]
        except FormTokenReused:
            return _bad_request(request)
        except BookingError as refusal:
            if isinstance(refusal, NotEligible):
                # The same words the web shows, next to the field they are about.
                add_eligibility_errors(form, refusal.reasons)
            problems = [desk_message(refusal.code)]
            if isinstance(refusal, SlotFull) and refusal.slot in slots:
                # A time chosen as an extra has its other times in the form already.
                alternatives = refusal.alternatives
        else:
            if booking.created:
                messages.success(
                    request,
                    _("Booked. Reservation number: %(number)s")
                    % {"number": booking.reservation.display_number},
                )
            return redirect("staff:desk_reservation", pk=booking.reservation.pk)

    return render(
        request,
        "staff/desk/book.html",
        {
            "form": form,
            "extras": extras,
            "slots": slots,
            "form_token": token,
            "problems": problems,
            "alternatives": alternatives,
            "voucher_needed": needs_voucher(slots)
            or any(screening.voucher_required for screening in partners),
            "voucher_number": request.POST.get("voucher_number", "")[:40],
        },
        status=409 if problems else 200,
    )


@role_required(HEALTH_CENTRE)
@require_POST
def desk_find(request: HttpRequest) -> HttpResponse:
    """Find bookings by number, or by フリガナ + date of birth. POST: keeps them out of URLs."""
    form = FindBookingForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "staff/desk/search.html",
            {"form": SlotSearchForm(), "slots": None, "find_form": form},
            status=400,
        )
    found, by = found_by(
        form.cleaned_data, Reservation.objects.all(), person_key_lookup="items__person_key__in"
    )
    reservations = list(found.distinct().order_by("status", "-created_at")[:MAX_RESULTS])
    audit.record(
        action="reservations.reservation.searched",
        actor=request.user,
        request=request,
        details={"via": "phone_desk", "by": by, "results": len(reservations)},
    )
    if len(reservations) == 1:
        return redirect("staff:desk_reservation", pk=reservations[0].pk)
    return render(
        request,
        "staff/desk/find_results.html",
        {"reservations": reservations, "find_form": form},
        status=200 if reservations else 404,
    )


def _reservation(pk: int) -> Reservation:
    return get_object_or_404(Reservation.objects.select_related("citizen", "booked_by"), pk=pk)


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET"])
def desk_reservation(request: HttpRequest, pk: int) -> HttpResponse:
    """One booking with the caller's details: opening it is audited."""
    reservation = _reservation(pk)
    audit.record(
        action="citizens.citizen.viewed",
        actor=request.user,
        request=request,
        target=reservation.citizen,
        details={"via": "phone_desk", "reservation_id": reservation.pk},
    )
    return render(
        request,
        "staff/desk/reservation.html",
        {
            "reservation": reservation,
            "citizen": reservation.citizen,
            "items": items_in_time_order(reservation),
        },
    )


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET", "POST"])
def desk_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reservation = _reservation(pk)
    if request.method == "POST":
        try:
            # The cancellation and its audit record commit together, or neither does.
            services.reservation_cancel(
                reservation=reservation,
                by=Reservation.CancelledBy.STAFF,
                user=_staff(request),
                audit_context=AuditContext.from_request(request),
                audit_details={
                    "via": "phone_desk",
                    "slot_ids": sorted(i.slot_id for i in reservation.items.all()),
                },
            )
        except NotCancellable as refusal:
            messages.error(request, desk_message(refusal.code))
            return redirect("staff:desk_reservation", pk=reservation.pk)
        messages.success(request, _("The booking has been cancelled."))
        return redirect("staff:desk_reservation", pk=reservation.pk)
    if not reservation.is_live:
        raise Http404
    return render(
        request,
        "staff/desk/cancel.html",
        {"reservation": reservation, "items": items_in_time_order(reservation)},
    )


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET", "POST"])
def desk_drop(request: HttpRequest, pk: int, screening_type_id: int) -> HttpResponse:
    """Take one screening out of a set booking (セット検診); the others keep their times."""
    reservation = _reservation(pk)
    items = items_in_time_order(reservation)
    item = next((i for i in items if i.screening_type_id == screening_type_id), None)
    if request.method == "POST":
        try:
            # The change and its audit record commit together, or neither does.
            services.reservation_drop_screening(
                reservation=reservation,
                screening_type_id=screening_type_id,
                audit_context=AuditContext.from_request(request),
                audit_details={"via": "phone_desk"},
            )
        except BookingError as refusal:
            messages.error(request, desk_message(refusal.code, dropping=True))
        else:
            messages.success(
                request,
                _("%(screening)s has been taken out of the booking.")
                % {"screening": item.screening_type.name if item else ""},
            )
        return redirect("staff:desk_reservation", pk=reservation.pk)
    if not reservation.is_live or item is None or len(items) < 2:
        raise Http404
    return render(
        request,
        "staff/desk/drop.html",
        {
            "reservation": reservation,
            "item": item,
            "items": [i for i in items if i is not item],
        },
    )


def _move_choices(
    items: list[ReservationItem], *, date: datetime.date | None, venue: Venue | None
) -> list[tuple[ReservationItem, list[Slot]]]:
    """For each item of a booking, the free times of its screening it could move to."""
    return [
        (
            item,
            list(
                _bookable(
                    Slot.objects.bookable().filter(screening_type_id=item.screening_type_id),
                    date=date,
                    venue=venue,
                ).exclude(pk=item.slot_id)[:MAX_RESULTS]
            ),
        )
        for item in items
    ]


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET", "POST"])
def desk_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a booking to other times of the same screenings (one day, one venue)."""
    reservation = _reservation(pk)
    if not reservation.is_live:
        raise Http404
    items = items_in_time_order(reservation)
    search = MoveSearchForm(request.GET or None)
    date = venue = None
    if search.is_bound and search.is_valid():
        date, venue = search.cleaned_data["date"], search.cleaned_data["venue"]
    problems, alternatives = [], []

    if request.method == "POST":
        chosen = []
        for item in items:
            value = request.POST.get(f"slot_{item.screening_type_id}", "")
            if not is_id(value):
                problems = [desk_message("incomplete", moving=True)]
                break
            chosen.append(value)
        new_slots = _slots_from(chosen) if not problems else None
        if not problems and new_slots is None:
            return _bad_request(request)
        if new_slots is not None:
            try:
                # The move and its audit record commit together, or neither does.
                services.reservation_move(
                    reservation=reservation,
                    new_slots=new_slots,
                    user=_staff(request),
                    audit_context=AuditContext.from_request(request),
                )
            except NotEligible as refusal:
                problems = [reason.message for reason in refusal.reasons]
            except BookingError as refusal:
                problems = [desk_message(refusal.code, moving=True)]
                alternatives = refusal.alternatives if isinstance(refusal, SlotFull) else []
            else:
                messages.success(request, _("The booking has been moved."))
                return redirect("staff:desk_reservation", pk=reservation.pk)

    choices = _move_choices(items, date=date, venue=venue)
    return render(
        request,
        "staff/desk/move.html",
        {
            "reservation": reservation,
            "choices": choices,
            "search": search,
            "problems": problems,
            "alternatives": alternatives,
            "action": reverse("staff:desk_move", args=[reservation.pk]),
        },
        status=409 if problems else 200,
    )

"""Look-up and changes: find a booking with its number and date of birth, then cancel or
move it. Wrong guesses are rate-limited; the proof of a successful look-up is a signed,
expiring token carried in POST bodies (reservations.tokens).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from reservations import queries, ratelimit, services
from reservations.display import health_centre_name
from reservations.errors import (
    AlreadyBooked,
    BookingError,
    InvalidSelection,
    NotCancellable,
    NotEligible,
    OnlyScreening,
    SlotFull,
)
from reservations.forms import LookupForm
from reservations.language import screening_name
from reservations.models import Reservation, ReservationItem
from reservations.time_forms import MoveDayForm, MoveTimesForm
from reservations.tokens import read_manage_token, sign_manage_token
from reservations.views.booking import already_booked
from reservations.views.http import allow, bad_request, page, private, refuse

log = logging.getLogger("reservations.views")


def _blocked(request: HttpRequest) -> HttpResponse:
    params = {
        "minutes": max(ratelimit.retry_after_seconds() // 60, 1),
        "centre": health_centre_name(),
        "phone": settings.HEALTH_CENTRE_PHONE,
    }
    response = refuse(request, "lookup_blocked", params=params)
    response["Retry-After"] = str(ratelimit.retry_after_seconds())
    return response


# How soon a resident refused for want of the counter may try again: a cache restart.
UNAVAILABLE_RETRY_SECONDS = 60


def _unavailable(request: HttpRequest) -> HttpResponse:
    params = {"centre": health_centre_name(), "phone": settings.HEALTH_CENTRE_PHONE}
    response = refuse(request, "lookup_unavailable", params=params)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
    return response


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def lookup(request: HttpRequest) -> HttpResponse:
    """Reservation number + date of birth → the booking. Wrong guesses are rate-limited;
    without the shared counter of them, every look-up is refused (503)."""
    if request.method != "POST":
        return page(
            request, "reservations/lookup.html", {"form": LookupForm()}, switch_language=True
        )
    try:
        return _look_up(request)
    except ratelimit.CounterUnavailable:
        return _unavailable(request)


def _look_up(request: HttpRequest) -> HttpResponse:
    if ratelimit.client_blocked(request):
        return _blocked(request)
    form = LookupForm(request.POST)
    if not form.is_valid():
        return page(request, "reservations/lookup.html", {"form": form}, status=400)
    number = form.cleaned_data["number"]
    if ratelimit.number_blocked(number):
        return _blocked(request)
    reservation = Reservation.objects.select_related("citizen").filter(number=number).first()
    if reservation is None or reservation.citizen.birth_date != form.cleaned_data["birth_date"]:
        ratelimit.record_failure(request, number)
        log.info("reservations.lookup.failed")
        form.add_error(
            None,
            _(
                "We could not find a booking with this reservation number and date of birth. "
                "Check both and try again."
            ),
        )
        return page(request, "reservations/lookup.html", {"form": form}, status=404)
    return _manage_page(request, reservation)


def _manage_page(
    request: HttpRequest, reservation: Reservation, *, notice: str = "", status: int = 200
) -> HttpResponse:
    now = timezone.now()
    context = queries.booking_context(reservation)
    started = any(s.starts_at <= now for s in context["slots"])
    token = sign_manage_token(reservation.number)
    return page(
        request,
        "reservations/manage.html",
        {
            "reservation": reservation,
            "token": token,
            "can_change": reservation.is_live and not started,
            "started": started,
            "notice": notice,
            **context,
        },
        status=status,
        # The same booking in the other language: the token is all the page needs.
        language_switch=("reservations:manage", {"token": token}),
    )


def _reservation_from_token(request: HttpRequest) -> Reservation | None:
    try:
        number = read_manage_token(request.POST.get("token", ""))
    except signing.BadSignature:
        return None
    return Reservation.objects.select_related("citizen").filter(number=number).first()


def _token_expired(request: HttpRequest) -> HttpResponse:
    return refuse(request, "manage_token_expired")


@allow("POST")
@private
def manage(request: HttpRequest) -> HttpResponse:
    """The booking again, from the token (the "back" button of cancel and move)."""
    reservation = _reservation_from_token(request)
    if reservation is None:
        return _token_expired(request)
    return _manage_page(request, reservation)


@allow("POST")
@private
def cancel(request: HttpRequest) -> HttpResponse:
    """Ask once, then cancel. Cancelling twice shows the same "cancelled" page."""
    reservation = _reservation_from_token(request)
    if reservation is None:
        return _token_expired(request)
    context = {"reservation": reservation, "token": request.POST["token"]}
    context.update(queries.booking_context(reservation))
    if request.POST.get("confirm") != "yes":
        if not reservation.is_live:
            return page(request, "reservations/cancelled.html", context)
        return page(request, "reservations/cancel_confirm.html", context)
    try:
        services.reservation_cancel(reservation=reservation)
    except NotCancellable:
        reservation.refresh_from_db()
        if reservation.is_live:  # the screening has already started
            return refuse(request, "cancel_started")
    reservation.refresh_from_db()
    context["reservation"] = reservation
    return page(request, "reservations/cancelled.html", context)


def _live_item(reservation: Reservation, value: str) -> ReservationItem | None:
    if not queries.is_id(value):
        return None
    return (
        reservation.items.filter(is_live=True, screening_type_id=int(value))
        .select_related("slot__venue", "screening_type")
        .first()
    )


@allow("POST")
@private
def drop(request: HttpRequest) -> HttpResponse:
    """Take one screening out of a set booking (セット検診): ask once, then drop it; the
    others keep their times. Asking again for one already dropped shows the booking."""
    reservation = _reservation_from_token(request)
    if reservation is None:
        return _token_expired(request)
    if not reservation.is_live:
        return refuse(request, "move_not_cancellable")
    value = request.POST.get("screening", "")
    item = _live_item(reservation, value)
    if item is None:
        if not queries.is_id(value):
            return bad_request(request)
        # A second click of "yes", or another tab: the screening is no longer booked.
        return _manage_page(request, reservation)
    name = screening_name(item.screening_type)
    if request.POST.get("confirm") != "yes":
        booking = queries.booking_context(reservation)
        context = {
            "reservation": reservation,
            "token": request.POST["token"],
            "item": item,
            "kept": [s for s in booking["slots"] if s != item.slot],
            "fee_payer": booking["fee_payer"],
        }
        return page(request, "reservations/drop_confirm.html", context)
    try:
        services.reservation_drop_screening(
            reservation=reservation, screening_type_id=item.screening_type_id
        )
    except OnlyScreening:
        return refuse(request, "only_screening")
    except NotCancellable:
        return refuse(request, "move_not_cancellable")
    except InvalidSelection:  # dropped meanwhile from another tab
        pass
    reservation.refresh_from_db()
    notice = _("%(screening)s has been taken out of your booking.") % {"screening": name}
    return _manage_page(request, reservation, notice=notice)


def _live_or_problem(request: HttpRequest, reservation: Reservation) -> HttpResponse | None:
    if not reservation.is_live:
        return refuse(request, "move_cancelled")
    return None


@allow("POST")
@private
def move(request: HttpRequest) -> HttpResponse:
    """Choose a new day and venue where every screening of the booking has a place."""
    reservation = _reservation_from_token(request)
    if reservation is None:
        return _token_expired(request)
    if problem := _live_or_problem(request, reservation):
        return problem
    return _move_page(request, reservation, month=request.POST.get("month", ""))


def _move_page(
    request: HttpRequest,
    reservation: Reservation,
    *,
    month: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    options = queries.move_options(reservation)
    months = sorted({o.month for o in options})
    if month not in months:
        month = months[0] if months else ""
    form = MoveDayForm(options=[o for o in options if o.month == month])
    errors = [("form-errors", error)] if error else []
    return page(
        request,
        "reservations/move.html",
        {
            "reservation": reservation,
            "token": request.POST.get("token", ""),
            "form": form,
            "months": months,
            "month": month,
            "has_options": bool(options),
            "errors": errors,
            "extra_errors": [error] if error else [],
            **queries.booking_context(reservation),
        },
        status=status,
    )


@allow("POST")
@private
def move_times(request: HttpRequest) -> HttpResponse:
    """Choose the time of each screening on the chosen day, then move (atomic)."""
    reservation = _reservation_from_token(request)
    if reservation is None:
        return _token_expired(request)
    if problem := _live_or_problem(request, reservation):
        return problem
    options = queries.move_options(reservation)
    day_form = MoveDayForm(request.POST, options=options)
    if not day_form.is_valid():
        return _move_page(
            request,
            reservation,
            month=request.POST.get("month", ""),
            error=str(day_form.errors["choice"][0]),
            status=400,
        )
    option = day_form.chosen_option()
    current = set(reservation.items.filter(is_live=True).values_list("slot_id", flat=True))
    times = MoveTimesForm(
        request.POST if "confirm" in request.POST else None, option=option, current=current
    )
    context = {
        "reservation": reservation,
        "token": request.POST["token"],
        "option": option,
        "form": times,
        **queries.booking_context(reservation),
    }
    if "confirm" not in request.POST:
        return page(request, "reservations/move_times.html", context)
    if not times.is_valid():
        return page(request, "reservations/move_times.html", context, status=400)
    try:
        services.reservation_move(reservation=reservation, new_slots=times.chosen_slots())
    except BookingError as refused:
        return _move_refused(request, reservation, option.month, refused)
    reservation.refresh_from_db()
    return _manage_page(request, reservation, notice=_("Your booking has been moved."))


def _move_refused(
    request: HttpRequest, reservation: Reservation, month: str, refused: BookingError
) -> HttpResponse:
    """A move the service refused: a place taken meanwhile keeps the resident on the day
    page; the rest are the catalogue's pages."""
    if isinstance(refused, SlotFull):
        error = _("That time has just been taken by someone else. Choose another.")
        return _move_page(request, reservation, month=month, error=error, status=409)
    if isinstance(refused, NotEligible):
        return refuse(request, "move_not_eligible", reasons=[r.message for r in refused.reasons])
    if isinstance(refused, AlreadyBooked):
        return already_booked(request, refused)
    if isinstance(refused, NotCancellable):
        return refuse(request, "move_not_cancellable")
    return bad_request(request)

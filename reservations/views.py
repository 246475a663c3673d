"""The resident's journey: find a screening, book it, look it up, move or cancel it.

Two kinds of page:
- Public pages (top, availability) are the opening-day flood. They set no cookie, never
  touch the session (so no "Vary: Cookie") and carry a short public Cache-Control, so a CDN
  or reverse proxy can answer most requests. Their templates must not use {{ user }},
  {{ perms }}, messages or {% csrf_token %}.
- Form pages carry the CSRF cookie and are never cached. There is no session: the state
  between steps travels in signed hidden fields (reservations.tokens.BookingState) and the
  proof of a successful look-up in a signed, expiring token, always in POST bodies so that
  neither ends up in an access log or the browser history.

Views parse, call a service and render; the rules live in services and queries.
"""

from __future__ import annotations

import logging
import re
from functools import wraps

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, translate_url
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from reservations import queries, ratelimit, services
from reservations.eligibility import eligibility_reasons
from reservations.forms import (
    AvailabilityFilterForm,
    CitizenDetailsForm,
    ExtrasForm,
    LookupForm,
    MoveDayForm,
    MoveTimesForm,
    add_eligibility_errors,
    error_summary,
)
from reservations.language import is_english, screening_name
from reservations.models import Reservation, ScreeningType, Slot
from reservations.templatetags.resident import month_text, translated
from reservations.tokens import (
    BookingState,
    is_form_token,
    new_form_token,
    read_done_token,
    read_manage_token,
    sign_done_token,
    sign_manage_token,
)

log = logging.getLogger(__name__)


# --- Plumbing -----------------------------------------------------------------------------


def allow(*methods):
    """Like require_http_methods, but the refusal is a readable page in the right language."""
    allowed = {m.upper() for m in methods}
    if "GET" in allowed:
        allowed.add("HEAD")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in allowed:
                response = render(request, "errors/405.html", status=405)
                response["Allow"] = ", ".join(sorted(allowed))
                add_never_cache_headers(response)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def public(view):
    """Cacheable by anyone for PUBLIC_CACHE_SECONDS (read at request time, not import)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = render(request, "errors/404.html", status=404)
        if response.status_code in (200, 400, 404):
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        _leave_cookies_alone(request)
        return response

    return wrapper


def _leave_cookies_alone(request) -> None:
    """Keep the middleware from answering a public page with cookies.

    A malformed csrftoken cookie makes CsrfViewMiddleware send a fresh one, and a malformed
    session cookie makes SessionMiddleware delete it; both add "Vary: Cookie". On a page a
    CDN shares, the first would hand one CSRF secret to everyone. The form pages set the
    CSRF cookie anyway; the session cookie is the staff pages' business.
    """
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
    request.COOKIES.pop(settings.SESSION_COOKIE_NAME, None)


def private(view):
    """Personal data or a CSRF token: no cache anywhere may keep it."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    return wrapper


def _page(request, template, context=None, *, status=200, switch_language=False):
    """render() plus the other language's address for the header's language link.

    Only pages reached by GET get a link to themselves in the other language; a page that
    answers a POST links to the other language's top page instead.
    """
    context = dict(context or {})
    if switch_language:
        other = "en" if get_language() == "ja" else "ja"
        context["alternate_url"] = translate_url(request.get_full_path(), other)
    if "form" in context and "errors" not in context:
        context["errors"] = error_summary(context["form"])
    return render(request, template, context, status=status)


def _problem(request, title, paragraphs, *, status, links=(), extra=None):
    """A plain explanation: what happened, why, and where to go next."""
    return _page(
        request,
        "reservations/problem.html",
        {"title": title, "paragraphs": paragraphs, "links": links, **(extra or {})},
        status=status,
    )


def _bad_request(request):
    return _problem(
        request,
        _("This page could not be used"),
        [
            _(
                "The information sent from this page was incomplete or has expired. Nothing "
                "was saved."
            )
        ],
        status=400,
        links=[(reverse("reservations:home"), _("Start again from the top page"))],
    )


# --- Public pages -------------------------------------------------------------------------


@allow("GET")
@public
def home(request):
    """The screenings offered, who each is for, the fee, and when booking opens."""
    now = timezone.now()
    return _page(
        request,
        "reservations/home.html",
        {
            "summaries": queries.screening_summaries(now),
        },
        switch_language=True,
    )


@allow("GET")
@public
def availability(request, code):
    """Dates × venues for one screening, with the places left; filter by venue and month."""
    screening = get_object_or_404(ScreeningType, code=code, is_active=True)
    now = timezone.now()
    slots = queries.upcoming_slots(screening, now)
    venues = queries.venues_by_id(s.venue_id for s in slots)
    venue_ids = sorted(venues, key=lambda pk: (venues[pk].name, pk))
    months = sorted({queries.month_key(s.local_date) for s in slots})
    venue_choices = [(pk, translated(venues[pk], "name")) for pk in venue_ids]
    month_choices = [(m, month_text(m)) for m in months]
    form = AvailabilityFilterForm(request.GET or None, venues=venue_choices, months=month_choices)
    context = {
        "screening": screening,
        "form": form,
        "fiscal_years": (queries.current_fiscal_year(),),
        "show_table": False,
    }
    if request.GET and not form.is_valid():
        return _page(request, "reservations/availability.html", context, status=400)
    venue = form.cleaned_data.get("venue") if form.is_bound else None
    month = form.cleaned_data.get("month") if form.is_bound else None
    if not form.is_bound or "month" not in request.GET:
        month = queries.default_month(slots, now)
        # Show the month on display as chosen in the filter.
        context["form"] = AvailabilityFilterForm(
            initial={"month": month, "venue": venue}, venues=venue_choices, months=month_choices
        )
    columns = [venue] if venue else venue_ids
    days = queries.availability_grid(slots, venue_ids, venue=venue, month=month)
    context.update(
        {
            "now": now,
            "show_table": True,
            "venue": venue,
            "month": month,
            "columns": [venues[pk] for pk in columns],
            "days": days,
            "fiscal_years": queries.shown_fiscal_years(days, month),
            "month_links": _month_links(request, months, month, venue),
        }
    )
    return _page(request, "reservations/availability.html", context, switch_language=True)


def _month_links(request, months, month, venue):
    """Previous / next month links for the availability page."""
    if month not in months:
        return {}
    index = months.index(month)
    base = request.path
    suffix = f"&venue={venue}" if venue else ""
    return {
        "previous": f"{base}?month={months[index - 1]}{suffix}" if index > 0 else None,
        "next": f"{base}?month={months[index + 1]}{suffix}" if index + 1 < len(months) else None,
    }


# --- Booking ------------------------------------------------------------------------------


def _slot_or_404(slot_id) -> Slot:
    return get_object_or_404(
        Slot.objects.select_related("screening_type", "venue"),
        pk=slot_id,
        screening_type__is_active=True,
    )


def _slots_from_state(state: BookingState) -> list[Slot] | None:
    """The state's slots in its order (primary first), or None if any has vanished."""
    return _slots_by_id(state.slot_ids)


def _slots_by_id(slot_ids: list[int]) -> list[Slot] | None:
    """The slots in the order given, or None if any has vanished or comes twice."""
    found = {
        s.pk: s
        for s in Slot.objects.select_related("screening_type", "venue").filter(pk__in=slot_ids)
    }
    if len(found) != len(set(slot_ids)) or len(slot_ids) != len(set(slot_ids)):
        return None
    return [found[pk] for pk in slot_ids]


def _load_state(request) -> BookingState | None:
    try:
        state = BookingState.loads(request.POST.get("state", ""))
        details = state.citizen_details()
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return None
    if details is None:
        return None
    return state


def _slot_unavailable(request, slot: Slot, now):
    """The chosen time cannot be booked now: say why and offer the nearest free ones."""
    state = slot.window_state(now)
    if state == "not_open":
        return _problem(
            request,
            _("Booking for this time has not opened yet"),
            [_opens_text(slot)],
            status=200,
            links=[
                (
                    reverse("reservations:availability", args=[slot.screening_type.code]),
                    _("See other dates"),
                )
            ],
        )
    if state == "closed":
        return _problem(
            request,
            _("Booking for this time has closed"),
            [_("Booking for this time has closed.")],
            status=200,
            links=[
                (
                    reverse("reservations:availability", args=[slot.screening_type.code]),
                    _("See other dates"),
                )
            ],
        )
    return _page(
        request,
        "reservations/book_full.html",
        {"slot": slot, "alternatives": queries.nearest_free_slots(slot, now=now)},
    )


def _opens_text(slot: Slot) -> str:
    return _("Booking for this time opens on %(opens)s.") % {
        "opens": date_format(timezone.localtime(slot.opens_at), "DATETIME_FORMAT")
    }


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def book(request, slot_id):
    """Step 1: the resident's details for the chosen time, checked for eligibility."""
    slot = _slot_or_404(slot_id)
    now = timezone.now()
    if request.method != "POST":
        if slot.window_state(now) != "open" or slot.remaining <= 0:
            return _slot_unavailable(request, slot, now)
        form = CitizenDetailsForm()
        return _details_page(request, slot, form, new_form_token(), switch_language=True)

    form_token = request.POST.get("form_token", "")
    if not is_form_token(form_token):
        return _bad_request(request)
    previous = _load_state(request) if request.POST.get("state") else None
    form = CitizenDetailsForm(request.POST)
    if not form.is_valid():
        return _details_page(request, slot, form, form_token, previous=previous, status=400)
    details = form.to_details()
    reasons = eligibility_reasons(slot=slot, person=details, now=now, check_places=False)
    if reasons:
        add_eligibility_errors(form, reasons)
        return _details_page(request, slot, form, form_token, previous=previous, status=400)

    state = BookingState(form_token, [slot.pk], BookingState.pack_details(details))
    chosen = previous.slot_ids[1:] if previous and previous.slot_ids[0] == slot.pk else []
    if slot.remaining <= 0:
        # Filled while they were typing: offer the nearest free times, details kept (and
        # the other screenings of the set, when they came back to change their details).
        extra = _slots_by_id(chosen) or []
        return _full_page(request, state, slot, now, chosen=[slot, *extra])
    return _extras_or_confirm(request, state, slot, details, chosen=chosen, now=now)


def _details_page(request, slot, form, form_token, *, previous=None, status=200, **kwargs):
    return _page(
        request,
        "reservations/book_details.html",
        {
            "slot": slot,
            "form": form,
            "form_token": form_token,
            "previous_state": previous.dumps() if previous else "",
        },
        status=status,
        **kwargs,
    )


def _extras_or_confirm(request, state, primary, details, *, chosen=(), now=None, status=200):
    """Step 2 (add a screening on the same day, if one is free) or straight to step 3."""
    candidates = queries.set_candidates(primary, details, now)
    if not candidates:
        state.slot_ids = [primary.pk]
        return _confirm_page(request, state, [primary], details, can_change=False)
    form = ExtrasForm(candidates=candidates, initial_ids=chosen)
    return _page(
        request,
        "reservations/book_extras.html",
        {"state": state.dumps(), "primary": primary, "form": form, "details": details},
        status=status,
    )


def _confirm_page(request, state, slots, details, *, can_change=None, status=200):
    if can_change is None:
        can_change = len(slots) > 1 or bool(queries.set_candidates(slots[0], details))
    return _page(
        request,
        "reservations/book_confirm.html",
        {
            "state": state.dumps(),
            "slots": slots,
            "details": details,
            "fee": sum(s.screening_type.fee for s in slots),
            "can_change_screenings": can_change,
        },
        status=status,
    )


def _full_page(request, state, slot, now, *, chosen=(), alternatives=None, lost_race=False):
    """Someone else took the place: the nearest free times, with the details kept.

    When the place was one of a set (セット検診), the alternatives are days where every
    chosen screening has a place, and the others can be booked without the one that
    filled: no screening the resident chose is dropped without their say.
    """
    others = [s for s in chosen if s.pk != slot.pk]
    context = {"slot": slot, "state": state.dumps(), "lost_race": lost_race}
    if others:
        context.update(
            {
                "others": _(", ").join(translated(s.screening_type, "name") for s in others),
                "set_alternatives": queries.set_alternatives(list(chosen), full=slot, now=now),
                "kept": queries.still_bookable(others, now),
            }
        )
    else:
        if alternatives is None:
            alternatives = queries.nearest_free_slots(slot, now=now)
        context["alternatives"] = alternatives
    return _page(request, "reservations/book_full.html", context, status=409)


@allow("POST")
@private
def book_extras(request):
    """Step 2: add other screenings on the same day at the same venue (セット検診)."""
    state = _load_state(request)
    if state is None:
        return _bad_request(request)
    slots = _slots_from_state(state)
    if slots is None:
        return _bad_request(request)
    primary, details = slots[0], state.citizen_details()
    now = timezone.now()
    candidates = queries.set_candidates(primary, details, now)
    if "change" in request.POST:  # "change the screenings" from the confirm page
        return _extras_or_confirm(request, state, primary, details, chosen=state.slot_ids[1:])
    form = ExtrasForm(request.POST, candidates=candidates)
    if not form.is_valid():
        return _page(
            request,
            "reservations/book_extras.html",
            {"state": state.dumps(), "primary": primary, "form": form, "details": details},
            status=400,
        )
    extra = form.chosen_slots()
    state.slot_ids = [primary.pk, *(s.pk for s in extra)]
    return _confirm_page(request, state, [primary, *extra], details, can_change=True)


@allow("POST")
@private
def book_edit(request):
    """Back from step 2 or 3 to the details form, with everything typed so far."""
    state = _load_state(request)
    if state is None:
        return _bad_request(request)
    slots = _slots_from_state(state)
    if slots is None:
        return _bad_request(request)
    form = CitizenDetailsForm(initial=CitizenDetailsForm.initial_from(state.citizen_details()))
    return _details_page(request, slots[0], form, state.form_token, previous=state)


@allow("POST")
@private
def book_choose(request):
    """The loser of a race picks one of the nearest free times (or, for a set booking,
    one day with a time for each screening); their details are kept."""
    state = _load_state(request)
    if state is None:
        return _bad_request(request)
    values = request.POST.getlist("slot")
    # Digits that fit a database integer (a 40-digit number would overflow SQLite's).
    if not values or not all(re.fullmatch(r"[0-9]{1,18}", value) for value in values):
        return _bad_request(request)
    slot_ids = [int(value) for value in values]
    slots = _slots_by_id(slot_ids[:10])
    if not slots or len(slots) != len(slot_ids):
        return _bad_request(request)
    if not all(s.screening_type.is_active for s in slots):
        return _bad_request(request)
    try:
        services.validate_selection(slots)
    except services.InvalidSelection:
        return _bad_request(request)
    details = state.citizen_details()
    now = timezone.now()
    reasons = [
        (slot, reason)
        for slot in slots
        for reason in eligibility_reasons(slot=slot, person=details, now=now)
    ]
    state.slot_ids = slot_ids
    for slot, reason in reasons:
        if reason.code == "full":
            return _full_page(request, state, slot, now, chosen=slots)
    if reasons:
        return _problem(
            request,
            _("This time cannot be booked"),
            [reason.message for _slot, reason in reasons],
            status=409,
            links=[(reverse("reservations:home"), _("Back to the top page"))],
        )
    if len(slots) > 1:
        return _confirm_page(request, state, slots, details, can_change=True)
    return _extras_or_confirm(request, state, slots[0], details, now=now)


@allow("POST")
@private
def book_confirm(request):
    """Step 3: make the booking. A replayed or double-clicked submit finds the first one."""
    state = _load_state(request)
    if state is None:
        return _bad_request(request)
    slots = _slots_from_state(state)
    if slots is None:
        return _bad_request(request)
    details = state.citizen_details()
    now = timezone.now()
    try:
        services.reservation_create(
            slots=slots,
            details=details,
            form_token=state.form_token,
            language="en" if is_english() else "ja",
            now=now,
        )
    except services.SlotFull as full:
        return _full_page(
            request,
            state,
            _slot_or_404(full.slot.pk),
            now,
            chosen=slots,
            alternatives=full.alternatives,
            lost_race=True,
        )
    except services.AlreadyBooked as already:
        return _already_booked(request, already)
    except services.NotEligible as refused:
        return _problem(
            request,
            _("This booking cannot be made"),
            [r.message for r in refused.reasons],
            status=409,
            links=[(reverse("reservations:home"), _("Back to the top page"))],
        )
    except (services.InvalidSelection, services.FormTokenReused):
        # FormTokenReused: a form token only comes back to the person who was given it.
        return _bad_request(request)
    # 303: the browser fetches the done page with GET, so reloading it never re-posts.
    response = redirect(reverse("reservations:book_done", args=[sign_done_token(state.form_token)]))
    response.status_code = 303
    return response


def _already_booked(request, already: services.AlreadyBooked):
    name = screening_name(already.screening_type) if already.screening_type else _("this screening")
    return _problem(
        request,
        _("You already have a booking"),
        [
            _("You already have a booking for %(screening)s in this fiscal year.")
            % {"screening": name},
            _("To change its date, look it up with your reservation number."),
        ],
        status=409,
        links=[(reverse("reservations:lookup"), _("Check, change or cancel a booking"))],
    )


@allow("GET")
@private
def book_done(request, token):
    """The reservation number, large, and what to do next. Safe to reload and print.

    The signed token in the address shows the number and the screening, never personal
    data: the address may end up in a log.
    """
    try:
        form_token = read_done_token(token)
    except signing.BadSignature:
        return _problem(
            request,
            _("This confirmation page has expired"),
            [
                _(
                    "Your booking is not affected. You can see it at any time with your "
                    "reservation number and date of birth."
                )
            ],
            status=404,
            links=[(reverse("reservations:lookup"), _("Look up a booking"))],
        )
    reservation = Reservation.objects.filter(form_token=form_token).first()
    if reservation is None:
        raise Http404
    return _page(
        request,
        "reservations/book_done.html",
        {"reservation": reservation, **_booking_context(reservation)},
        switch_language=True,
    )


def _booking_context(reservation: Reservation) -> dict:
    items = list(
        reservation.items.select_related("slot__venue", "slot__screening_type").order_by(
            "slot__starts_at"
        )
    )
    slots = [item.slot for item in items]
    return {
        "slots": slots,
        "venue": slots[0].venue if slots else None,
        "fee": sum(s.screening_type.fee for s in slots),
    }


# --- Look-up, cancel, move ----------------------------------------------------------------


def _blocked(request):
    minutes = max(ratelimit.retry_after_seconds() // 60, 1)
    response = _problem(
        request,
        _("Too many unsuccessful attempts"),
        [
            _(
                "For your security, look-ups are paused for up to %(minutes)s minutes after "
                "several reservation numbers or dates of birth that did not match."
            )
            % {"minutes": minutes},
            _("Please try again later, or phone %(centre)s on %(phone)s and we will help you.")
            % {"centre": settings.HEALTH_CENTRE_NAME, "phone": settings.HEALTH_CENTRE_PHONE},
        ],
        status=429,
    )
    response["Retry-After"] = str(ratelimit.retry_after_seconds())
    return response


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def lookup(request):
    """Reservation number + date of birth → the booking. Wrong guesses are rate-limited."""
    if request.method != "POST":
        return _page(
            request, "reservations/lookup.html", {"form": LookupForm()}, switch_language=True
        )
    if ratelimit.client_blocked(request):
        return _blocked(request)
    form = LookupForm(request.POST)
    if not form.is_valid():
        return _page(request, "reservations/lookup.html", {"form": form}, status=400)
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
        return _page(request, "reservations/lookup.html", {"form": form}, status=404)
    return _manage_page(request, reservation)


def _manage_page(request, reservation, *, notice="", status=200):
    now = timezone.now()
    context = _booking_context(reservation)
    started = any(s.starts_at <= now for s in context["slots"])
    return _page(
        request,
        "reservations/manage.html",
        {
            "reservation": reservation,
            "token": sign_manage_token(reservation.number),
            "can_change": reservation.is_live and not started,
            "started": started,
            "notice": notice,
            **context,
        },
        status=status,
    )


def _reservation_from_token(request) -> Reservation | None:
    try:
        number = read_manage_token(request.POST.get("token", ""))
    except signing.BadSignature:
        return None
    return Reservation.objects.select_related("citizen").filter(number=number).first()


def _token_expired(request):
    return _problem(
        request,
        _("Please look up your booking again"),
        [
            _(
                "For your security, this page can only be used for 24 hours after you look "
                "up your booking. Nothing was changed."
            )
        ],
        status=403,
        links=[(reverse("reservations:lookup"), _("Look up a booking"))],
    )


@allow("POST")
@private
def manage(request):
    """The booking again, from the token (the "back" button of cancel and move)."""
    reservation = _reservation_from_token(request)
    if reservation is None:
        return _token_expired(request)
    return _manage_page(request, reservation)


@allow("POST")
@private
def cancel(request):
    """Ask once, then cancel. Cancelling twice shows the same "cancelled" page."""
    reservation = _reservation_from_token(request)
    if reservation is None:
        return _token_expired(request)
    context = {"reservation": reservation, "token": request.POST["token"]}
    context.update(_booking_context(reservation))
    if request.POST.get("confirm") != "yes":
        if not reservation.is_live:
            return _page(request, "reservations/cancelled.html", context)
        return _page(request, "reservations/cancel_confirm.html", context)
    try:
        services.reservation_cancel(reservation=reservation)
    except services.NotCancellable:
        reservation.refresh_from_db()
        if reservation.is_live:  # the screening has already started
            return _problem(
                request,
                _("This booking can no longer be cancelled"),
                [_("The screening has already taken place.")],
                status=409,
            )
    reservation.refresh_from_db()
    context["reservation"] = reservation
    return _page(request, "reservations/cancelled.html", context)


def _live_or_problem(request, reservation):
    if not reservation.is_live:
        return _problem(
            request,
            _("This booking has been cancelled"),
            [_("A cancelled booking cannot be moved. You can make a new booking instead.")],
            status=409,
            links=[(reverse("reservations:home"), _("Book a screening"))],
        )
    return None


@allow("POST")
@private
def move(request):
    """Choose a new day and venue where every screening of the booking has a place."""
    reservation = _reservation_from_token(request)
    if reservation is None:
        return _token_expired(request)
    if problem := _live_or_problem(request, reservation):
        return problem
    return _move_page(request, reservation, month=request.POST.get("month", ""))


def _move_page(request, reservation, *, month="", error="", status=200):
    options = queries.move_options(reservation)
    months = sorted({o.month for o in options})
    if month not in months:
        month = months[0] if months else ""
    form = MoveDayForm(options=[o for o in options if o.month == month])
    errors = [("form-errors", error)] if error else []
    return _page(
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
            **_booking_context(reservation),
        },
        status=status,
    )


@allow("POST")
@private
def move_times(request):
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
            error=day_form.errors["choice"][0],
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
        **_booking_context(reservation),
    }
    if "confirm" not in request.POST:
        return _page(request, "reservations/move_times.html", context)
    if not times.is_valid():
        return _page(request, "reservations/move_times.html", context, status=400)
    try:
        services.reservation_move(reservation=reservation, new_slots=times.chosen_slots())
    except services.SlotFull:
        return _move_page(
            request,
            reservation,
            month=option.month,
            error=_("That time has just been taken by someone else. Choose another."),
            status=409,
        )
    except services.NotEligible as refused:
        return _problem(
            request,
            _("The booking cannot be moved to this day"),
            [r.message for r in refused.reasons],
            status=409,
        )
    except services.AlreadyBooked as already:
        return _already_booked(request, already)
    except services.NotCancellable:
        return _problem(
            request,
            _("This booking can no longer be changed"),
            [_("It has been cancelled or the screening has already taken place.")],
            status=409,
        )
    except services.InvalidSelection:
        return _bad_request(request)
    reservation.refresh_from_db()
    return _manage_page(request, reservation, notice=_("Your booking has been moved."))

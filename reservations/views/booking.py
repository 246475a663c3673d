"""The booking journey: what is offered, where places are free, and booking one.

Home and availability are public (cacheable) pages; the steps of booking (details, extra
screenings of a set, confirm) carry their state in signed hidden fields, and the done page
is found again through a short-lived signed cookie that the booking POST sets. Views parse,
call a service and render; the rules live in eligibility, queries and services.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from reservations import queries, services
from reservations.display import availability_rows, availability_table_rows, datetime_text
from reservations.eligibility import CitizenDetails, Reason, eligibility_reasons
from reservations.errors import (
    AlreadyBooked,
    FormTokenReused,
    HeldForLottery,
    InvalidSelection,
    NotEligible,
    SlotFull,
)
from reservations.fees import FeePayer, fee_for
from reservations.first_step_cache import cached_full_page, first_step_page
from reservations.forms import (
    AvailabilityFilterForm,
    CitizenDetailsForm,
    add_eligibility_errors,
)
from reservations.language import is_english, screening_name
from reservations.models import Reservation, ScreeningType, Slot, SlotState
from reservations.refusals import REASON_LINKS
from reservations.templatetags.resident import month_text, translated, translated_html
from reservations.time_forms import ExtrasForm
from reservations.tokens import (
    DONE_COOKIE,
    DONE_MAX_AGE,
    DONE_SALT,
    SIGNED_MAX_LENGTH,
    BookingState,
    DetailsDraft,
    is_form_token,
)
from reservations.views.http import allow, bad_request, page, private, public, refuse
from vouchers import booking as voucher_booking
from vouchers import views as voucher_views
from vouchers.fees import fee_class_rule
from vouchers.services import VoucherRefused


@allow("GET")
@public
def home(request: HttpRequest) -> HttpResponse:
    """The screenings offered, who each is for, the fee, and when booking opens."""
    now = timezone.now()
    return page(
        request,
        "reservations/home.html",
        {
            "summaries": queries.screening_summaries(now),
        },
        switch_language=True,
    )


@allow("GET")
@public
def availability(request: HttpRequest, code: str) -> HttpResponse:
    """Dates × venues for one screening, with the places left; filter by venue and month."""
    screening = get_object_or_404(ScreeningType, code=code, is_active=True)
    now = timezone.now()
    # The filter's venues and months from one grouped query, the slots of the month shown
    # only (not the season's thousands), laid out as text once (display.availability_rows).
    index = queries.availability_index(screening, now)
    venues = index.venues
    venue_ids = sorted(venues, key=lambda pk: (venues[pk].name, pk))
    months = list(index.months)
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
        return page(request, "reservations/availability.html", context, status=400)
    venue = form.cleaned_data.get("venue") if form.is_bound else None
    month = form.cleaned_data.get("month") if form.is_bound else None
    if not form.is_bound or "month" not in request.GET:
        month = index.default_month
        # Show the month on display as chosen in the filter.
        context["form"] = AvailabilityFilterForm(
            initial={"month": month, "venue": venue}, venues=venue_choices, months=month_choices
        )
    columns = [venues[pk] for pk in ([venue] if venue else venue_ids)]
    slots = queries.month_slots(screening, month or None, venue=venue, now=now)
    days = queries.availability_grid(slots, venue_ids, venue=venue, month=month)
    context.update(
        {
            "now": now,
            "show_table": True,
            "venue": venue,
            "month": month,
            "columns": columns,
            "days": days,
            "table_rows": availability_table_rows(
                availability_rows(
                    days, columns, now, _id_url("reservations:book"), _id_url("waitlist:join")
                )
            ),
            "fiscal_years": queries.shown_fiscal_years(days, month),
            "month_links": _month_links(request, months, month, venue),
        }
    )
    return page(request, "reservations/availability.html", context, switch_language=True)


def _id_url(name: str) -> Callable[[int], str]:
    """reverse(name, args=[pk]) for any number of pks at the cost of one reverse()."""
    marker = 987654321
    head, _marker, tail = reverse(name, args=[marker]).partition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def _month_links(
    request: HttpRequest, months: list[str], month: str | None, venue: int | None
) -> dict[str, str | None]:
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

# Details, then confirm; adding a screening of the same day (セット検診) is a page off the
# confirm step, not a step of its own.
BOOKING_STEPS = 2


def _slot_or_404(slot_id: int) -> Slot:
    slot = queries.active_slot(slot_id)
    if slot is None:
        raise Http404
    return slot


def _state_and_slots(request: HttpRequest) -> tuple[BookingState, list[Slot]] | None:
    """The signed state and its slots in its order (primary first); None if the state is
    not valid or any slot has vanished."""
    state = _load_state(request)
    if state is None:
        return None
    slots = queries.slots_by_id(state.slot_ids)
    return (state, slots) if slots is not None else None


def _load_state(request: HttpRequest) -> BookingState | None:
    try:
        state = BookingState.loads(request.POST.get("state", ""))
        details = state.citizen_details()
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return None
    if details is None:
        return None
    return state


def _slot_unavailable(request: HttpRequest, slot: Slot, now: datetime) -> HttpResponse:
    """The chosen time cannot be booked now: say why and offer the nearest free ones."""
    state = slot.window_state(now)
    if state in (SlotState.NOT_OPEN, SlotState.CLOSED):
        opens = datetime_text(slot.opens_at)
        return refuse(
            request, state, params={"opens": opens}, link_args=(slot.screening_type.code,)
        )
    return first_step_page(
        request,
        slot.pk,
        "full",
        lambda _token: page(
            request,
            "reservations/book_full.html",
            {"slot": slot, "alternatives": queries.nearest_free_slots(slot, now=now)},
        ),
    )


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def book(request: HttpRequest, slot_id: int) -> HttpResponse:
    """Step 1: the resident's details for the chosen time, checked for eligibility."""
    if request.method != "POST" and (full := cached_full_page(request, slot_id)):
        return full  # most of those who open a time on opening day: no query at all
    slot = _slot_or_404(slot_id)
    now = timezone.now()
    if request.method != "POST":
        if slot.window_state(now) != SlotState.OPEN or slot.remaining <= 0:
            return _slot_unavailable(request, slot, now)
        try:
            # A lottery round's time: say so before the resident types anything.
            services.refuse_if_held_for_lottery([slot], now)
        except HeldForLottery as held:
            return refuse(request, "held_for_lottery", reasons=[r.message for r in held.reasons])
        if slot.screening_type.voucher_required:  # 受診券 mode: the voucher comes first
            return redirect(reverse("vouchers:start", args=[slot.pk]))
        # The same page for everyone but its tokens: from the shared cache (issue #12).
        return first_step_page(
            request,
            slot.pk,
            "form",
            lambda token: _details_page(
                request, slot, CitizenDetailsForm(), token, now=now, switch_language=True
            ),
        )

    form_token = request.POST.get("form_token", "")
    if not is_form_token(form_token):
        return bad_request(request)
    previous = _load_state(request) if request.POST.get("state") else None
    form = CitizenDetailsForm(request.POST)
    details, reasons = _checked_details(form, slot, now)
    if details is None:
        return _details_page(
            request,
            slot,
            form,
            form_token,
            previous=previous,
            now=now,
            status=400,
            refusal_links=_refusal_links(reasons),
        )
    if refused := _voucher_refusal(request, form_token, [slot], details, now):
        return refused

    state = BookingState(form_token, [slot.pk], BookingState.pack_details(details))
    chosen = previous.slot_ids[1:] if previous and previous.slot_ids[0] == slot.pk else []
    if slot.remaining <= 0:
        # Filled while they were typing: offer the nearest free times, details kept (and
        # the other screenings of the set, when they came back to change their details).
        extra = queries.slots_by_id(chosen) or []
        return _full_page(request, state, slot, now, chosen=[slot, *extra])
    return _extras_or_confirm(request, state, slot, details, chosen=chosen, now=now)


def details_start(
    request: HttpRequest, slot: Slot, *, form_token: str, initial: dict[str, object]
) -> HttpResponse:
    """Step 1 with what an earlier step already knows (the 受診券 step: birth date, sex)."""
    form = CitizenDetailsForm(initial=initial)
    return _details_page(request, slot, form, form_token, now=timezone.now())


def _voucher_refusal(
    request: HttpRequest,
    form_token: str,
    slots: Sequence[Slot],
    details: CitizenDetails,
    now: datetime,
) -> HttpResponse | None:
    """The 受診券 check of a booking (vouchers.booking); None when it passes or is not needed."""
    try:
        voucher_booking.booking_voucher(
            form_token=form_token, slots=slots, details=details, now=now
        )
    except VoucherRefused as refused:
        return voucher_views.refusal_page(request, refused.code, slots[0])
    return None


def _checked_details(
    form: CitizenDetailsForm, slot: Slot, now: datetime
) -> tuple[CitizenDetails | None, Sequence[Reason]]:
    """The details if the form is valid and the person may book `slot` (else None), and
    the reasons they may not, which are also added to the form."""
    if not form.is_valid():
        return None, ()
    details = form.to_details()
    reasons = eligibility_reasons(slot=slot, person=details, now=now, check_places=False)
    if reasons:
        add_eligibility_errors(form, reasons)
        return None, reasons
    return details, ()


def _details_page(
    request: HttpRequest,
    slot: Slot,
    form: CitizenDetailsForm,
    form_token: str,
    *,
    previous: BookingState | None = None,
    now: datetime | None = None,
    status: int = 200,
    switch_language: bool = False,
    refusal_links: Sequence[tuple[str, str]] = (),
) -> HttpResponse:
    switch: tuple[str, dict[str, str]] | None = None
    if form.is_bound:  # what was typed, errors and all
        typed = {
            key: value
            for key, value in form.data.items()
            if any(key == name or key.startswith(f"{name}_") for name in form.fields)
        }
        draft = DetailsDraft(slot.pk, form_token, typed, previous.dumps() if previous else "")
        signed = draft.dumps()
        if len(signed) <= SIGNED_MAX_LENGTH:  # else (a huge paste) no switch, and why
            switch = ("reservations:book_language", {"step": "book", "draft": signed})
    elif previous is not None:  # back from step 2 or 3
        switch = ("reservations:book_language", {"step": "book_edit", "state": previous.dumps()})
    return page(
        request,
        "reservations/book_details.html",
        {
            "slot": slot,
            "form": form,
            "form_token": form_token,
            "previous_state": previous.dumps() if previous else "",
            "steps": BOOKING_STEPS,
            "refusal_links": refusal_links,
        },
        status=status,
        switch_language=switch_language,
        language_switch=switch,
    )


def _set_candidates(
    primary: Slot, details: CitizenDetails, form_token: str, now: datetime | None = None
) -> dict[ScreeningType, list[Slot]]:
    """queries.set_candidates, with the screenings this booking's 受診券 includes (a pass
    exists only when the first screening is in 受診券 mode: no query otherwise)."""
    now = now or timezone.now()
    ticket: frozenset[str] = frozenset()
    if primary.screening_type.voucher_required:
        ticket = voucher_booking.ticket_screenings(form_token=form_token, now=now)
    return queries.set_candidates(primary, details, now, ticket_screenings=ticket)


def _refusal_links(reasons: Sequence[Reason]) -> list[tuple[str, str]]:
    """Where to go next for a reason the form cannot fix (already booked → 予約の確認・
    変更・取消), from the catalogue of refusals."""
    return [
        (reverse(name), str(label))
        for reason in reasons
        for name, label in REASON_LINKS.get(reason.code, ())
    ]


def _extras_or_confirm(
    request: HttpRequest,
    state: BookingState,
    primary: Slot,
    details: CitizenDetails,
    *,
    chosen: Sequence[int] = (),
    adding: bool = False,
    now: datetime | None = None,
    status: int = 200,
) -> HttpResponse:
    """The confirm page, which offers the other screenings free on the same day (セット検診)
    with a button to add them; the "add a screening" page itself when `adding` (that
    button, or "change the screenings") or when screenings were chosen before (back from
    the details), to be checked again.

    Not a step of its own for everyone (issue #12): most residents add nothing, and a page
    fewer is a request fewer for each of them on opening day."""
    candidates = _set_candidates(primary, details, state.form_token, now)
    if not candidates or not (chosen or adding):
        state.slot_ids = [primary.pk]
        # Screenings chosen or asked for, none left (filled, or no longer for this person):
        # the page says so rather than booking the first one alone without a word.
        gone = bool(chosen or adding) and not candidates
        return _confirm_page(
            request, state, [primary], details, addable=list(candidates), extras_gone=gone
        )
    form = ExtrasForm(candidates=candidates, initial_ids=chosen)
    return _extras_page(request, state, primary, form, details, chosen=chosen, status=status)


def _extras_page(
    request: HttpRequest,
    state: BookingState,
    primary: Slot,
    form: ExtrasForm,
    details: CitizenDetails,
    *,
    chosen: Sequence[int] = (),
    status: int = 200,
) -> HttpResponse:
    # The switch carries the screenings already chosen, so that they stay ticked.
    switching = BookingState(state.form_token, [primary.pk, *chosen], state.details)
    return page(
        request,
        "reservations/book_extras.html",
        {"state": state.dumps(), "primary": primary, "form": form, "details": details},
        status=status,
        language_switch=(
            "reservations:book_language",
            {"step": "book_extras", "state": switching.dumps()},
        ),
    )


def _confirm_page(
    request: HttpRequest,
    state: BookingState,
    slots: list[Slot],
    details: CitizenDetails,
    *,
    addable: Sequence[ScreeningType] | None = None,
    extras_gone: bool = False,
    status: int = 200,
) -> HttpResponse:
    """Step 2: what will be booked, and the buttons to book, change the details or the
    screenings; `addable`: the other screenings this person could add (looked up when
    None and only one screening is chosen)."""
    if addable is None:
        addable = (
            [] if len(slots) > 1 else list(_set_candidates(slots[0], details, state.form_token))
        )
    # The fee class the list gives this voucher, as the booking will carry it.
    fee_class = voucher_booking.booking_fee_class(
        form_token=state.form_token, slots=slots, details=details, now=timezone.now()
    )
    payer = FeePayer(details.birth_date, fee_class_rule(fee_class))
    return page(
        request,
        "reservations/book_confirm.html",
        {
            "state": state.dumps(),
            "slots": slots,
            "details": details,
            "fee_payer": payer,
            "fee": sum(
                fee_for(
                    s.screening_type, payer.birth_date, s.local_date, fee_class=payer.fee_class
                ).amount
                for s in slots
            ),
            # A set booking may change its screenings; a single one is offered the others.
            "can_change_screenings": len(slots) > 1,
            "extras_gone": extras_gone,
            # Escaped by translated_html (lang="ja" where English falls back to Japanese).
            "addable": mark_safe(  # noqa: S308
                conditional_escape(_(", ")).join(
                    translated_html(screening, "name") for screening in addable
                )
            ),
            "steps": BOOKING_STEPS,
        },
        status=status,
        language_switch=(
            "reservations:book_language",
            {"step": "book_confirm", "state": state.dumps()},
        ),
    )


def _full_page(
    request: HttpRequest,
    state: BookingState,
    slot: Slot,
    now: datetime,
    *,
    chosen: Sequence[Slot] = (),
    alternatives: list[Slot] | None = None,
    lost_race: bool = False,
) -> HttpResponse:
    """Someone else took the place: the nearest free times, with the details kept.

    When the place was one of a set (セット検診), the alternatives are days where every
    chosen screening has a place, and the others can be booked without the one that
    filled: no screening the resident chose is dropped without their say.
    """
    others = [s for s in chosen if s.pk != slot.pk]
    context: dict[str, object] = {"slot": slot, "state": state.dumps(), "lost_race": lost_race}
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
    return page(request, "reservations/book_full.html", context, status=409)


@allow("POST")
@private
def book_extras(request: HttpRequest) -> HttpResponse:
    """Step 2: add other screenings on the same day at the same venue (セット検診)."""
    loaded = _state_and_slots(request)
    if loaded is None:
        return bad_request(request)
    state, slots = loaded
    primary, details = slots[0], state.person()
    if "change" in request.POST:  # "add a screening" or "change the screenings" on the confirm page
        return _extras_or_confirm(
            request, state, primary, details, chosen=state.slot_ids[1:], adding=True
        )
    candidates = _set_candidates(primary, details, state.form_token)
    form = ExtrasForm(request.POST, candidates=candidates)
    if not form.is_valid():
        return _extras_page(request, state, primary, form, details, status=400)
    extra = form.chosen_slots()
    state.slot_ids = [primary.pk, *(s.pk for s in extra)]
    addable = [] if extra else list(candidates)
    return _confirm_page(request, state, [primary, *extra], details, addable=addable)


@allow("POST")
@private
def book_edit(request: HttpRequest) -> HttpResponse:
    """Back from step 2 or 3 to the details form, with everything typed so far."""
    loaded = _state_and_slots(request)
    if loaded is None:
        return bad_request(request)
    state, slots = loaded
    return _edit_page(request, state, slots[0])


def _edit_page(request: HttpRequest, state: BookingState, slot: Slot) -> HttpResponse:
    form = CitizenDetailsForm(initial=CitizenDetailsForm.initial_from(state.person()))
    return _details_page(request, slot, form, state.form_token, previous=state)


@allow("POST")
@private
def book_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch on a booking step reached by POST: the same step again,
    in the language of this address, with everything typed or chosen so far.

    `step` names the view whose page is shown again; what it shows comes only from the
    signed state (or, for the details form with errors, the signed draft of it), so a
    tampered one is refused like anywhere else in the booking.
    """
    step = request.POST.get("step", "")
    if step == "book":
        return _details_again(request)
    loaded = _state_and_slots(request)
    if loaded is None or step not in ("book_edit", "book_extras", "book_confirm"):
        return bad_request(request)
    state, slots = loaded
    details = state.person()
    if step == "book_edit":
        return _edit_page(request, state, slots[0])
    if step == "book_extras":
        return _extras_or_confirm(
            request, state, slots[0], details, chosen=state.slot_ids[1:], adding=True
        )
    return _confirm_page(request, state, slots, details)


def _details_again(request: HttpRequest) -> HttpResponse:
    """The details form as it was typed, checked again: its errors in this language."""
    try:
        draft = DetailsDraft.loads(request.POST.get("draft", ""))
        previous = BookingState.loads(draft.previous_state) if draft.previous_state else None
    except (signing.BadSignature, ValueError):
        return bad_request(request)
    slot = _slot_or_404(draft.slot_id)
    form = CitizenDetailsForm(draft.data)
    details, reasons = _checked_details(form, slot, timezone.now())
    return _details_page(
        request,
        slot,
        form,
        draft.form_token,
        previous=previous,
        status=400 if details is None else 200,
        refusal_links=_refusal_links(reasons),
    )


@allow("POST")
@private
def book_choose(request: HttpRequest) -> HttpResponse:
    """The loser of a race picks one of the nearest free times (or, for a set booking,
    one day with a time for each screening); their details are kept."""
    state = _load_state(request)
    if state is None:
        return bad_request(request)
    slot_ids = queries.slot_ids_from(request.POST.getlist("slot"), most=10)
    slots = queries.slots_by_id(slot_ids) if slot_ids else None
    if not slots or not all(s.screening_type.is_active for s in slots):
        return bad_request(request)
    try:
        services.validate_selection(slots)
    except InvalidSelection:
        return bad_request(request)
    details = state.person()
    now = timezone.now()
    reasons = [
        (slot, reason)
        for slot in slots
        for reason in eligibility_reasons(slot=slot, person=details, now=now)
    ]
    state.slot_ids = [s.pk for s in slots]
    for slot, reason in reasons:
        if reason.code == "full":
            return _full_page(request, state, slot, now, chosen=slots)
    if reasons:
        return refuse(
            request, "choose_not_eligible", reasons=[reason.message for _slot, reason in reasons]
        )
    if len(slots) > 1:
        return _confirm_page(request, state, slots, details)
    return _extras_or_confirm(request, state, slots[0], details, now=now)


@allow("POST")
@private
def book_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: make the booking. A replayed or double-clicked submit finds the first one."""
    loaded = _state_and_slots(request)
    if loaded is None:
        return bad_request(request)
    state, slots = loaded
    details = state.person()
    now = timezone.now()
    try:
        voucher = voucher_booking.booking_voucher(
            form_token=state.form_token, slots=slots, details=details, now=now
        )
    except VoucherRefused as refused:
        return voucher_views.refusal_page(request, refused.code, slots[0])
    try:
        services.reservation_create(
            slots=slots,
            details=details,
            form_token=state.form_token,
            language="en" if is_english() else "ja",
            now=now,
            voucher_number=voucher.number if voucher else "",
            fee_class=voucher.fee_class if voucher else "",
        )
    except SlotFull as full:
        slot = _slot_or_404(full.slot.pk)
        return _full_page(
            request, state, slot, now, chosen=slots, alternatives=full.alternatives, lost_race=True
        )
    except AlreadyBooked as already:
        return already_booked(request, already)
    except NotEligible as refused:
        return refuse(request, "not_eligible", reasons=[r.message for r in refused.reasons])
    except (InvalidSelection, FormTokenReused):
        # FormTokenReused: a form token only comes back to the person who was given it.
        return bad_request(request)
    # 303: the browser fetches the done page with GET, so reloading it never re-posts.
    response = redirect(reverse("reservations:book_done"))
    response.status_code = 303
    _remember_booking(response, state.form_token)
    return response


def already_booked(request: HttpRequest, already: AlreadyBooked) -> HttpResponse:
    name = screening_name(already.screening_type) if already.screening_type else _("this screening")
    return refuse(request, "already_booked", params={"screening": name})


# --- Done ---------------------------------------------------------------------------------


def _remember_booking(response: HttpResponse, form_token: str) -> None:
    """Let this browser, and only it, open the done page for a while.

    The booking's own random form token, signed, in an HttpOnly cookie: the done page's
    address holds nothing (access logs keep paths), and the cookie is useless after
    DONE_MAX_AGE. Set after the booking POST only; the public pages never set a cookie.
    """
    response.set_signed_cookie(
        DONE_COOKIE,
        form_token,
        salt=DONE_SALT,
        max_age=DONE_MAX_AGE,
        secure=settings.CSRF_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _remembered_booking(request: HttpRequest) -> Reservation | None:
    """The booking this browser has just made, or None (no cookie, forged, expired, purged)."""
    form_token = request.get_signed_cookie(
        DONE_COOKIE, default=None, salt=DONE_SALT, max_age=DONE_MAX_AGE
    )
    if not form_token or not is_form_token(form_token):
        return None
    return queries.reservation_by_form_token(form_token)


def _done_expired(request: HttpRequest) -> HttpResponse:
    # The refusal page ends with the health centre's phone number, for whoever did not
    # keep the reservation number.
    return refuse(request, "done_expired")


@allow("GET")
@private
def book_done(request: HttpRequest) -> HttpResponse:
    """The reservation number, large, and what to do next. Safe to reload and print.

    Only the browser that booked sees it, for DONE_MAX_AGE (see _remember_booking); then
    a page that says how to look the booking up.
    """
    reservation = _remembered_booking(request)
    if reservation is None:
        return _done_expired(request)
    return page(
        request,
        "reservations/book_done.html",
        {"reservation": reservation, **queries.booking_context(reservation)},
        switch_language=True,
    )


@allow("GET")
@private
def book_done_print(request: HttpRequest) -> HttpResponse:
    """The same booking on one printable sheet: everything needed on the day. A plain
    link from the done page, so printing needs no JavaScript."""
    reservation = _remembered_booking(request)
    if reservation is None:
        return _done_expired(request)
    return page(
        request,
        "reservations/book_done_print.html",
        {
            "reservation": reservation,
            # The address as the mail gives it: the slip goes on the fridge, not online.
            "lookup_url": settings.SITE_URL + reverse("reservations:lookup"),
            **queries.booking_context(reservation),
        },
    )


@allow("GET")
@private
def book_done_old_address(request: HttpRequest, token: str) -> HttpResponse:
    """/book/done/<token>/, the old done address, which access logs hold: it shows
    nothing any more, only how to look the booking up."""
    return _done_expired(request)

"""Booking for the family (家族・代理予約): several people's details on one page, one
check, one booking, each person with their own reservation number.

Like the single booking, the steps carry their state in a signed hidden field
(reservations.group_forms.GroupState) and no session; the done page is found again
through a short-lived signed cookie that only the booking POST sets. The rules live in
reservations.group.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from reservations import queries
from reservations.errors import FormTokenReused, HeldForLottery, InvalidSelection
from reservations.forms import add_eligibility_errors
from reservations.group import (
    GroupDoesNotFit,
    GroupNotEligible,
    SamePersonTwice,
    Session,
    _session_slots,
    check_group,
    place_people,
    reservation_create_group,
    session_choices,
    sessions_that_fit,
)
from reservations.group_forms import GroupForms, GroupState, people_count, person_label
from reservations.language import is_english, screening_name
from reservations.models import ReservationGroup, Slot, SlotState
from reservations.services import refuse_if_held_for_lottery
from reservations.tokens import (
    DONE_MAX_AGE,
    SIGNED_MAX_LENGTH,
    STATE_MAX_AGE,
    is_form_token,
    new_form_token,
)
from reservations.views.booking import _refusal_links, _slot_or_404, _slot_unavailable
from reservations.views.http import allow, bad_request, page, private, refuse

# Its own cookie and salt: a single booking's done cookie is never a group's, nor back.
GROUP_DONE_COOKIE = "kenshin_group_done"
GROUP_DONE_SALT = "reservations.group.done.browser"
# The details page as typed, for its language switch (as tokens.DetailsDraft for one person).
GROUP_DRAFT_SALT = "reservations.group.details.draft"


def _choices(session: Sequence[Slot]) -> list[tuple[int, str]]:
    return [(s.screening_type_id, screening_name(s.screening_type)) for s in session]


def _details_page(
    request: HttpRequest,
    primary: Slot,
    forms: GroupForms,
    form_token: str,
    *,
    status: int = 200,
    extra_errors: Sequence[str] = (),
    refusal_links: Sequence[tuple[str, str]] = (),
    checked: bool = True,
) -> HttpResponse:
    bound = forms.contact.is_bound
    switch: tuple[str, dict[str, str]] | None = None
    if bound:  # what was typed, in a signed draft, for the header's language switch
        sent = cast(QueryDict, forms.contact.data)
        typed = {
            key: sent.getlist(key)
            for key in sent
            if key not in ("csrfmiddlewaretoken", "add", "remove")
        }
        typed["people"] = [str(len(forms.people))]
        draft = signing.dumps(
            {"slot": primary.pk, "data": typed, "checked": checked},
            salt=GROUP_DRAFT_SALT,
            compress=True,
        )
        if len(draft) <= SIGNED_MAX_LENGTH:
            switch = ("reservations:group_language", {"draft": draft})
    return page(
        request,
        "reservations/group_details.html",
        {
            "slot": primary,
            "forms": forms,
            "people": [(GroupForms.who(p), p) for p in forms.people],
            "count": len(forms.people),
            "max_people": settings.GROUP_MAX_PEOPLE,
            "form_token": form_token,
            "errors": forms.errors() if bound else [],
            "extra_errors": extra_errors,
            "refusal_links": refusal_links,
        },
        status=status,
        switch_language=not bound,
        language_switch=switch,
    )


@allow("GET", "POST")
@private
def group_book(request: HttpRequest, slot_id: int) -> HttpResponse:
    """Step 1: each person's details, the contact's, and (where the session offers more
    than one) each person's screenings; all checked, each person by name."""
    primary = _slot_or_404(slot_id)
    now = timezone.now()
    if primary.window_state(now) != SlotState.OPEN or primary.remaining <= 0:
        return _slot_unavailable(request, primary, now)
    try:
        refuse_if_held_for_lottery([primary], now)
    except HeldForLottery:
        held = True
    else:
        held = False
    if held or primary.screening_type.voucher_required:
        # A lottery round's time, or one that needs a 受診券: the single booking's page says
        # what to do instead (apply to the round; book each person with their ticket).
        return redirect(reverse("reservations:book", args=[primary.pk]))
    session = session_choices(primary, now)
    if request.method != "POST":
        forms = GroupForms.build(count=2, screenings=_choices(session))
        return _details_page(request, primary, forms, new_form_token())

    return _details_posted(request, primary, session, request.POST, now=now)


def _details_posted(
    request: HttpRequest,
    primary: Slot,
    session: list[Slot],
    data: QueryDict,
    *,
    now: datetime,
    checked: bool = True,
) -> HttpResponse:
    """The details page as sent (`data`): more or fewer people, or checked and on to the
    check page; `checked=False` shows it again as typed (the language switch)."""
    form_token = data.get("form_token", "")
    count = people_count(data.get("people"))
    if not is_form_token(form_token) or count is None:
        return bad_request(request)
    if "add" in data or "remove" in data or not checked:
        # More or fewer people (or the same page in the other language): what was typed
        # stays, unchecked; a new block is empty.
        if "add" in data:
            count = min(count + 1, settings.GROUP_MAX_PEOPLE)
        elif "remove" in data:
            count -= 1
        forms = GroupForms.build(data, count=max(count, 1), screenings=_choices(session))
        for form in [forms.contact, *forms.people]:
            # Nothing is checked yet: what was typed is shown as it was, without errors.
            form.errors.clear()
        if "add" in data:
            forms.people[-1].data, forms.people[-1].is_bound = {}, False
        return _details_page(request, primary, forms, form_token, checked=False)

    forms = GroupForms.build(data, count=count, screenings=_choices(session))
    if not forms.is_valid():
        return _details_page(request, primary, forms, form_token, status=400)
    people = forms.details()
    wanted = [p.wanted(primary.screening_type_id) for p in forms.people]
    chosen = [s for s in session if any(s.screening_type_id in ids for ids in wanted)]
    try:
        check_group(chosen=chosen, people=people, wanted=wanted, now=now)
    except SamePersonTwice as twice:
        forms.people[twice.position].add_error(
            "furigana",
            ValidationError(
                _("This person is already in the list above: each person only once."),
                code="twice",
            ),
        )
        return _details_page(request, primary, forms, form_token, status=400)
    except GroupNotEligible as refused:
        for refusal in refused.refusals:
            add_eligibility_errors(forms.people[refusal.position], refusal.reasons)
        reasons = [r for refusal in refused.refusals for r in refusal.reasons]
        return _details_page(
            request,
            primary,
            forms,
            form_token,
            status=400,
            refusal_links=_refusal_links(reasons),
        )
    except InvalidSelection:
        return bad_request(request)
    state = GroupState.pack(
        form_token=form_token,
        slot_ids=[s.pk for s in chosen],
        people=people,
        wanted=wanted,
        contact=forms.contact.contact(),
    )
    return _confirm_or_full(request, state, chosen, now)


def _load(request: HttpRequest) -> tuple[GroupState, list[Slot]] | None:
    try:
        state = GroupState.loads(request.POST.get("state", ""))
    except (signing.BadSignature, ValueError):
        return None
    slots = queries.slots_by_id(state.slot_ids)
    return (state, slots) if slots else None


def _placement(state: GroupState, chosen: list[Slot], now: datetime) -> list[list[Slot]] | None:
    return place_people(
        chosen=chosen, wanted=state.wanted, session_slots=_session_slots(chosen), now=now
    )


def _confirm_or_full(
    request: HttpRequest, state: GroupState, chosen: list[Slot], now: datetime
) -> HttpResponse:
    placed = _placement(state, chosen, now)
    if placed is None:
        alternatives = sessions_that_fit(chosen=chosen, wanted=state.wanted, now=now)
        return _full_page(request, state, chosen, alternatives)
    return _confirm_page(request, state, chosen, placed)


def _members(state: GroupState, placed: list[list[Slot]] | None) -> list[dict[str, object]]:
    people = state.person_details()
    return [
        {
            "label": person_label(position),
            "details": person,
            "slots": sorted(placed[position], key=lambda s: s.starts_at) if placed else [],
        }
        for position, person in enumerate(people)
    ]


def _confirm_page(
    request: HttpRequest,
    state: GroupState,
    chosen: list[Slot],
    placed: list[list[Slot]],
    *,
    status: int = 200,
) -> HttpResponse:
    signed = state.dumps()
    return page(
        request,
        "reservations/group_confirm.html",
        {
            "state": signed,
            "slot": chosen[0],
            "members": _members(state, placed),
            "contact": state.contact_details(),
        },
        status=status,
        language_switch=("reservations:group_language", {"state": signed}),
    )


def _full_page(
    request: HttpRequest,
    state: GroupState,
    chosen: list[Slot],
    alternatives: list[Session],
    *,
    lost_race: bool = False,
) -> HttpResponse:
    """The group does not fit in the session: the nearest sessions where it does, each a
    button that keeps every detail typed."""
    return page(
        request,
        "reservations/group_full.html",
        {
            "state": state.dumps(),
            "slot": chosen[0],
            "people": len(state.people),
            "alternatives": alternatives,
            "lost_race": lost_race,
        },
        status=409,
    )


@allow("POST")
@private
def group_edit(request: HttpRequest) -> HttpResponse:
    """Back from the check page to the details, everything typed still there."""
    loaded = _load(request)
    if loaded is None:
        return bad_request(request)
    state, slots = loaded
    primary = slots[0]
    session = session_choices(primary, timezone.now())
    forms = GroupForms.build(count=len(state.people), screenings=_choices(session), initial=state)
    return _details_page(request, primary, forms, state.form_token)


@allow("POST")
@private
def group_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch on a page reached by POST: the details page as typed
    (a signed draft), or the check page (the signed state), in the other language."""
    if "draft" in request.POST:
        return _details_again(request)
    loaded = _load(request)
    if loaded is None:
        return bad_request(request)
    state, slots = loaded
    return _confirm_or_full(request, state, slots, timezone.now())


def _details_again(request: HttpRequest) -> HttpResponse:
    value = request.POST.get("draft", "")
    try:
        if len(value) > SIGNED_MAX_LENGTH:
            raise signing.BadSignature("oversized draft")
        draft = signing.loads(value, salt=GROUP_DRAFT_SALT, max_age=STATE_MAX_AGE)
        data = QueryDict(mutable=True)
        for key, values in dict(draft["data"]).items():
            data.setlist(str(key), [str(v) for v in values])
        slot_id, checked = int(draft["slot"]), bool(draft["checked"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return bad_request(request)
    primary = _slot_or_404(slot_id)
    now = timezone.now()
    if primary.window_state(now) != SlotState.OPEN or primary.remaining <= 0:
        return _slot_unavailable(request, primary, now)
    try:
        refuse_if_held_for_lottery([primary], now)
    except HeldForLottery:
        held = True
    else:
        held = False
    if held or primary.screening_type.voucher_required:
        # A lottery round's time, or one that needs a 受診券: the single booking's page says
        # what to do instead (apply to the round; book each person with their ticket).
        return redirect(reverse("reservations:book", args=[primary.pk]))
    session = session_choices(primary, now)
    return _details_posted(request, primary, session, data, now=now, checked=checked)


@allow("POST")
@private
def group_choose(request: HttpRequest) -> HttpResponse:
    """One of the sessions offered when the group did not fit: the same people and
    screenings there, checked again, then the check page."""
    loaded = _load(request)
    if loaded is None:
        return bad_request(request)
    state, old = loaded
    slot_ids = queries.slot_ids_from(request.POST.getlist("slot"), most=10)
    slots = queries.slots_by_id(slot_ids) if slot_ids else None
    if not slots or sorted(s.screening_type_id for s in slots) != sorted(
        s.screening_type_id for s in old
    ):
        return bad_request(request)
    now = timezone.now()
    try:
        check_group(chosen=slots, people=state.person_details(), wanted=state.wanted, now=now)
    except GroupNotEligible as refused:
        return _not_eligible(request, refused)
    except (InvalidSelection, SamePersonTwice):
        return bad_request(request)
    state.slot_ids = [s.pk for s in slots]
    return _confirm_or_full(request, state, slots, now)


def _not_eligible(request: HttpRequest, refused: GroupNotEligible) -> HttpResponse:
    return refuse(
        request,
        "group_not_eligible",
        reasons=[
            f"{person_label(r.position)} ({r.name}): {reason.message}"
            for r in refused.refusals
            for reason in r.reasons
        ],
    )


@allow("POST")
@private
def group_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: book everyone, or nobody. A replayed submit finds the first group."""
    loaded = _load(request)
    if loaded is None:
        return bad_request(request)
    state, slots = loaded
    now = timezone.now()
    try:
        reservation_create_group(
            slots=slots,
            people=state.person_details(),
            contact=state.contact_details(),
            wanted=state.wanted,
            form_token=state.form_token,
            language="en" if is_english() else "ja",
            now=now,
        )
    except GroupDoesNotFit as full:
        return _full_page(request, state, slots, full.alternatives, lost_race=True)
    except GroupNotEligible as refused:
        return _not_eligible(request, refused)
    except HeldForLottery as held:
        # A round began holding the session while the family was filling in the form.
        return refuse(request, "held_for_lottery", reasons=[r.message for r in held.reasons])
    except (InvalidSelection, SamePersonTwice, FormTokenReused):
        return bad_request(request)
    response = redirect(reverse("reservations:group_done"))
    response.status_code = 303
    response.set_signed_cookie(
        GROUP_DONE_COOKIE,
        state.form_token,
        salt=GROUP_DONE_SALT,
        max_age=DONE_MAX_AGE,
        secure=settings.CSRF_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _remembered_group(request: HttpRequest) -> ReservationGroup | None:
    form_token = request.get_signed_cookie(
        GROUP_DONE_COOKIE, default=None, salt=GROUP_DONE_SALT, max_age=DONE_MAX_AGE
    )
    if not form_token or not is_form_token(form_token):
        return None
    return ReservationGroup.objects.filter(form_token=form_token).first()


def _done_context(group: ReservationGroup) -> dict[str, object]:
    members = list(group.members.select_related("citizen").order_by("group_position"))
    rows = [
        {
            "label": person_label(m.group_position or 0),
            "reservation": m,
            **queries.booking_context(m),
        }
        for m in members
    ]
    return {
        "group": group,
        "members": rows,
        "any_live": any(m.is_live for m in members),
        "lookup_url": settings.SITE_URL + reverse("reservations:lookup"),
    }


@allow("GET")
@private
def group_done(request: HttpRequest) -> HttpResponse:
    """Everyone's reservation number, large, by name; safe to reload and print."""
    group = _remembered_group(request)
    if group is None:
        return refuse(request, "done_expired")
    return page(request, "reservations/group_done.html", _done_context(group), switch_language=True)


@allow("GET")
@private
def group_done_print(request: HttpRequest) -> HttpResponse:
    """One printable sheet listing every person: a plain link, no JavaScript needed."""
    group = _remembered_group(request)
    if group is None:
        return refuse(request, "done_expired")
    return page(request, "reservations/group_done_print.html", _done_context(group))

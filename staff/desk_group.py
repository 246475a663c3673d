"""The phone desk books for several people at once (家族・代理予約), as the web does.

A caller books both parents: one form with the caller's contact details and each person's,
booked through reservations.group (all or none, each with their own reservation number),
recorded as booked by phone and by whom; every reservation made is audited.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.context import AuditContext
from core.access import role_required
from core.roles import HEALTH_CENTRE
from reservations.errors import BookingError, FormTokenReused
from reservations.forms import add_eligibility_errors
from reservations.group import (
    GroupDoesNotFit,
    GroupNotEligible,
    SamePersonTwice,
    Session,
    reservation_create_group,
    session_choices,
)
from reservations.group_forms import GroupForms, people_count
from reservations.language import screening_name
from reservations.models import Reservation, Slot
from reservations.queries import slot_ids_from
from reservations.refusals import desk_message
from reservations.tokens import is_form_token, new_form_token
from staff.desk import _bad_request


def _slots(values: list[str]) -> list[Slot] | None:
    ids = slot_ids_from(values, most=5)
    if not ids:
        return None
    slots = list(
        Slot.objects.filter(pk__in=set(ids), screening_type__is_active=True).select_related(
            "venue", "screening_type"
        )
    )
    return sorted(slots, key=lambda s: ids.index(s.pk)) if len(slots) == len(set(ids)) else None


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET", "POST"])
def desk_group_book(request: HttpRequest) -> HttpResponse:
    """Book the chosen session for everyone the caller names, or for nobody.

    ?slot=<id> (one per screening, the first is the time chosen) and people=<n>. "Add a
    person" and "choose this day instead" show the form again with everything typed.
    """
    source = request.POST if request.method == "POST" else request.GET
    chosen = _slots(source.getlist("slot"))
    count = people_count(source.get("people"))
    if chosen is None or count is None:
        return _bad_request(request)
    token = source.get("form_token", "")
    if not is_form_token(token):
        token = new_form_token()
    if "instead" in request.POST:
        # One of the sessions offered when the group did not fit: the same form, there.
        instead = _slots(request.POST.get("instead", "").split(","))
        if instead is None:
            return _bad_request(request)
        chosen = instead
    session = session_choices(chosen[0], timezone.now())
    choices = [(s.screening_type_id, screening_name(s.screening_type)) for s in session]
    data = request.POST if request.method == "POST" else None
    if "add" in request.POST:
        count = min(count + 1, settings.GROUP_MAX_PEOPLE)
    forms = GroupForms.build(data, count=count, screenings=choices)
    problems: list[str] = []
    alternatives: list[Session] = []
    only_show = "add" in request.POST or "instead" in request.POST
    if only_show:
        for form in [forms.contact, *forms.people]:
            form.errors.clear()
        if "add" in request.POST:
            forms.people[-1].data, forms.people[-1].is_bound = {}, False
    elif data is not None and forms.is_valid():
        people = forms.details()
        wanted = [p.wanted(chosen[0].screening_type_id) for p in forms.people]
        slots = [s for s in session if any(s.screening_type_id in ids for ids in wanted)]
        try:
            # The bookings and their audit records commit together, or none does.
            result = reservation_create_group(
                slots=slots,
                people=people,
                contact=forms.contact.contact(),
                wanted=wanted,
                form_token=token,
                channel=Reservation.Channel.PHONE,
                booked_by=cast(User, request.user),
                language="ja",
                audit_context=AuditContext.from_request(request),
            )
        except FormTokenReused:
            return _bad_request(request)
        except SamePersonTwice as twice:
            forms.people[twice.position].add_error(
                "furigana", ValidationError(desk_message(twice.code), code="twice")
            )
            problems = [desk_message(twice.code)]
        except GroupNotEligible as refused:
            for refusal in refused.refusals:
                add_eligibility_errors(forms.people[refusal.position], refusal.reasons)
            problems = [
                f"{GroupForms.who(forms.people[r.position])}: {reason.message}"
                for r in refused.refusals
                for reason in r.reasons
            ]
        except GroupDoesNotFit as full:
            problems = [desk_message(full.code)]
            alternatives = full.alternatives
        except BookingError as refusal:
            problems = [desk_message(refusal.code)]
        else:
            if result.created:
                messages.success(
                    request,
                    _("Booked %(count)s people. Reservation numbers: %(numbers)s")
                    % {
                        "count": len(result.reservations),
                        "numbers": ", ".join(r.display_number for r in result.reservations),
                    },
                )
            return redirect("staff:desk_reservation", pk=result.reservations[0].pk)

    return render(
        request,
        "staff/desk/group_book.html",
        {
            "slots": chosen,
            "forms": forms,
            "people": [(GroupForms.who(p), p) for p in forms.people],
            "count": len(forms.people),
            "max_people": settings.GROUP_MAX_PEOPLE,
            "form_token": token,
            "problems": problems,
            "alternatives": [
                (option, ",".join(str(s.pk) for s in option.slots)) for option in alternatives
            ],
        },
        status=409 if problems else (400 if data is not None and not only_show else 200),
    )

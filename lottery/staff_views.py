"""The lottery for staff: rounds with their statistics, the phone desk's application entry
(the same service and rules as the web), and the call list of results without email.

Statistics hold no personal data; entering an application and opening the call list are
audited (lottery.application.entered_by_phone, lottery.call_list.viewed).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

import audit
from audit.context import AuditContext
from core import roles
from core.access import role_required, staff_required
from core.roles import HEALTH_CENTRE
from lottery import services
from lottery.errors import LotteryError, NotChangeable
from lottery.forms import ApplicationFindForm, PreferencesForm
from lottery.models import Application, Round
from lottery.refusals import DESK
from lottery.stats import round_statistics
from reservations.errors import BookingError, NotEligible
from reservations.forms import CitizenDetailsForm, add_eligibility_errors
from reservations.tokens import is_form_token, new_form_token
from staff.search import found_by

CALL_LIST_MAX = 1000


@staff_required
@require_http_methods(["GET"])
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = Round.objects.order_by("-opens_at")[:50]
    # Finding a caller's application is the phone desk's (the health-centre role).
    can_find = roles.HEALTH_CENTRE in roles.user_roles(request.user)
    return render(
        request,
        "lottery/staff/rounds.html",
        {"rounds": rounds, "find_form": ApplicationFindForm() if can_find else None},
    )


@role_required(HEALTH_CENTRE)
@require_POST
def find(request: HttpRequest) -> HttpResponse:
    """A caller's applications, by application number or by フリガナ + date of birth (POST:
    nothing personal in URLs). The search and what it found are audited (ids only)."""
    form = ApplicationFindForm(request.POST)
    if not form.is_valid():
        return render(request, "lottery/staff/find.html", {"find_form": form}, status=400)
    found, by = found_by(
        form.cleaned_data, Application.objects.all(), person_key_lookup="person_key__in"
    )
    applications = list(
        found.select_related("round", "reservation")
        .prefetch_related("screenings__screening_type")
        .order_by("-created_at")[:CALL_LIST_MAX]
    )
    audit.record(
        action="lottery.applications.searched",
        actor=request.user,
        request=request,
        details={
            "by": by,
            "results": len(applications),
            "application_ids": [a.pk for a in applications],
        },
    )
    return render(
        request,
        "lottery/staff/find.html",
        {"find_form": form, "applications": applications},
        status=200 if applications else 404,
    )


@role_required(HEALTH_CENTRE)
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a caller's application while the round takes applications (audited)."""
    application = get_object_or_404(Application, pk=pk)
    try:
        services.application_withdraw(
            application=application, audit_context=AuditContext.from_request(request)
        )
    except NotChangeable:
        messages.error(
            request,
            _(
                "This application can no longer be withdrawn: withdrawn already, "
                "or applications have closed."
            ),
        )
    else:
        messages.success(
            request,
            _("Application %(number)s has been withdrawn.")
            % {"number": application.display_number},
        )
    return redirect("lottery_staff:rounds")


@staff_required
@require_http_methods(["GET"])
def round_stats(request: HttpRequest, round_id: int) -> HttpResponse:
    """Applications, places, winners per slot and per preference rank, lost: counts only."""
    round_ = get_object_or_404(Round, pk=round_id)
    return render(
        request,
        "lottery/staff/stats.html",
        {"round": round_, "stats": round_statistics(round_), "phase": round_.phase()},
    )


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET", "POST"])
def desk_apply(request: HttpRequest, round_id: int) -> HttpResponse:
    """Enter a caller's application: the residents' details form and preferences."""
    round_ = get_object_or_404(Round, pk=round_id)
    data = request.POST if request.method == "POST" else None
    form = CitizenDetailsForm(data)
    preferences = PreferencesForm(data, round_=round_)
    token = request.POST.get("form_token", "")
    if not is_form_token(token):
        token = new_form_token()
    problems: list[str] = []
    created: Application | None = None
    status = 200
    if data is not None and form.is_valid() and preferences.is_valid():
        try:
            created = services.application_create(
                round_=round_,
                details=form.to_details(),
                screening_ids=preferences.screening_ids(),
                preferences=preferences.preferences(),
                waitlist_consent=preferences.cleaned_data["waitlist_consent"],
                channel=Application.Channel.PHONE,
                entered_by=request.user,  # type: ignore[arg-type]
                form_token=token,
                # 受診券 mode: the number the caller reads out (checked against the list).
                voucher_number=request.POST.get("voucher_number", "")[:40],
                audit_context=AuditContext.from_request(request),
            )
        except (LotteryError, BookingError) as refusal:
            if isinstance(refusal, NotEligible):
                add_eligibility_errors(form, refusal.reasons)
            problems = [str(DESK.get(refusal.code, DESK["not_eligible"]))]
            status = 409
    elif data is not None:
        status = 400
    return render(
        request,
        "lottery/staff/apply.html",
        {
            "round": round_,
            "form": form,
            "preferences_form": preferences,
            "form_token": token,
            "problems": problems,
            "created": created,
            "voucher_needed": any(s.voucher_required for s in round_.screening_types.all()),
            "voucher_number": request.POST.get("voucher_number", "")[:40],
        },
        status=status,
    )


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET"])
def call_list(request: HttpRequest, round_id: int) -> HttpResponse:
    """After the draw: applicants without email, with their result, to phone them."""
    round_ = get_object_or_404(Round, pk=round_id)
    rows = list(
        round_.applications.filter(email="", status=Application.Status.LIVE)
        .exclude(draw_position=None)
        .select_related("reservation")
        .order_by("draw_position")[:CALL_LIST_MAX]
    )
    audit.record(
        action="lottery.call_list.viewed",
        request=request,
        target=round_,
        details={"results": len(rows), "application_ids": [a.pk for a in rows][:200]},
    )
    return render(request, "lottery/staff/call_list.html", {"round": round_, "applications": rows})

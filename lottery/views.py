"""The residents' lottery pages: a round (its commitment, later its seed and result list),
applying, and looking an application up to change or withdraw it.

Round pages and the result lists are public (cacheable, no cookie); the form pages are
private. Views parse, call lottery.services and render.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from lottery import services
from lottery.errors import (
    AlreadyApplied,
    InvalidPreferences,
    NotChangeable,
    RoundNotOpen,
)
from lottery.forms import ApplicationLookupForm, PreferencesForm
from lottery.models import Application, Round, RoundPhase
from lottery.publication import places_csv, results_csv
from lottery.refusals import PAGES
from lottery.stats import round_statistics
from reservations import ratelimit
from reservations.errors import AlreadyBooked, NotEligible
from reservations.forms import CitizenDetailsForm, add_eligibility_errors
from reservations.language import is_english, screening_name
from reservations.tokens import is_form_token, new_form_token
from reservations.views.http import allow, bad_request, page, private, public
from reservations.views.lookup import _blocked, _unavailable
from vouchers.forms import VoucherNumberForm
from vouchers.views import typed_voucher_number

log = logging.getLogger(__name__)

MANAGE_SALT = "lottery.manage"
MANAGE_MAX_AGE = 24 * 60 * 60


def refuse(
    request: HttpRequest,
    code: str,
    *,
    params: Mapping[str, object] | None = None,
    reasons: list[str] | None = None,
) -> HttpResponse:
    refusal = PAGES[code]
    paragraphs = [str(p) % params if params else str(p) for p in refusal.paragraphs]
    links = [(reverse(name), label) for name, label in refusal.links]
    return page(
        request,
        "reservations/problem.html",
        {"title": refusal.title, "paragraphs": [*paragraphs, *(reasons or [])], "links": links},
        status=refusal.status,
    )


def _round_or_404(round_id: int) -> Round:
    return get_object_or_404(Round.objects.prefetch_related("screening_types"), pk=round_id)


# --- Public pages ---------------------------------------------------------------------------


@allow("GET")
@public
def round_list(request: HttpRequest) -> HttpResponse:
    """Rounds that are open, coming or drawn in the last months."""
    rounds = Round.objects.prefetch_related("screening_types").order_by("-opens_at")[:20]
    return page(request, "lottery/rounds.html", {"rounds": rounds, "now": timezone.now()})


@allow("GET")
@public
def round_page(request: HttpRequest, round_id: int) -> HttpResponse:
    """When to apply and when the draw is; the commitment from the window's opening; the
    seed, the counts and the result lists after the draw."""
    round_ = _round_or_404(round_id)
    now = timezone.now()
    phase = round_.phase(now)
    context = {
        "round": round_,
        "phase": phase,
        "screenings": [screening_name(s) for s in round_.screening_types.all()],
        "show_commitment": phase != RoundPhase.SCHEDULED,
        "slots": sorted(services.round_slots(round_).values(), key=lambda s: (s.starts_at, s.pk)),
    }
    if phase == RoundPhase.DRAWN:
        context["stats"] = round_statistics(round_)
    return page(request, "lottery/round.html", context)


def _csv_response(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@allow("GET")
@public
def results_download(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round_or_404(round_id)
    if round_.drawn_at is None:
        raise Http404("not drawn yet")
    return _csv_response(results_csv(round_), f"lottery-{round_.pk}-results.csv")


@allow("GET")
@public
def places_download(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round_or_404(round_id)
    if round_.drawn_at is None:
        raise Http404("not drawn yet")
    return _csv_response(places_csv(round_), f"lottery-{round_.pk}-places.csv")


# --- Applying -------------------------------------------------------------------------------


def _apply_page(
    request: HttpRequest,
    round_: Round,
    details: CitizenDetailsForm,
    preferences: PreferencesForm,
    form_token: str,
    voucher: VoucherNumberForm | None,
    *,
    status: int = 200,
) -> HttpResponse:
    errors = [*_summary(voucher), *_summary(details), *_summary(preferences)]
    return page(
        request,
        "lottery/apply.html",
        {
            "round": round_,
            "form": details,
            "preferences_form": preferences,
            "voucher_form": voucher,
            "form_token": form_token,
            "errors": errors,
        },
        status=status,
        switch_language=request.method == "GET",
    )


def _summary(form: object) -> list[tuple[str, object]]:
    from reservations.forms import error_summary

    return list(error_summary(form)) if getattr(form, "is_bound", False) else []  # type: ignore[arg-type]


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def apply(request: HttpRequest, round_id: int) -> HttpResponse:
    """The details form and up to three preferences; the application number on success."""
    round_ = _round_or_404(round_id)
    now = timezone.now()
    if not round_.accepts_applications(now):
        return refuse(request, "round_not_open")
    data = request.POST if request.method == "POST" else None
    # 受診券 mode: the ticket's number comes first in the form, and is checked first.
    voucher_types = [s for s in round_.screening_types.all() if s.voucher_required]
    voucher_form = VoucherNumberForm(data, prefix="voucher") if voucher_types else None
    if data is None:
        return _apply_page(
            request,
            round_,
            CitizenDetailsForm(),
            PreferencesForm(round_=round_),
            new_form_token(),
            voucher_form,
        )
    form_token = request.POST.get("form_token", "")
    if not is_form_token(form_token):
        return bad_request(request)
    details_form = CitizenDetailsForm(data)
    preferences_form = PreferencesForm(data, round_=round_)

    def again(status: int) -> HttpResponse:
        return _apply_page(
            request, round_, details_form, preferences_form, form_token, voucher_form, status=status
        )

    chosen = set(preferences_form.screening_ids()) if preferences_form.is_valid() else set()
    needed = [s for s in voucher_types if s.pk in chosen]
    valid = [details_form.is_valid(), preferences_form.is_valid()]
    if needed and voucher_form is not None:
        valid.append(voucher_form.is_valid())
    elif voucher_form is not None:  # the number is kept, its errors not shown (not needed)
        typed = data.get("voucher-number", "")[:40]
        voucher_form = VoucherNumberForm(initial={"number": typed}, prefix="voucher")
    if not all(valid):
        return again(400)
    voucher_number = ""
    if needed and voucher_form is not None:
        checked = typed_voucher_number(
            request,
            voucher_form,
            details=details_form.to_details(),
            screening_types=needed,
            now=now,
            show_form=again,
        )
        if isinstance(checked, HttpResponse):
            return checked
        voucher_number = checked
    return _applied(
        request,
        round_,
        details_form,
        preferences_form,
        form_token=form_token,
        voucher_number=voucher_number,
        now=now,
        again=again,
    )


def _applied(
    request: HttpRequest,
    round_: Round,
    details_form: CitizenDetailsForm,
    preferences_form: PreferencesForm,
    *,
    form_token: str,
    voucher_number: str,
    now: datetime,
    again: Callable[[int], HttpResponse],
) -> HttpResponse:
    """The application made (its number on the page), or the page that says why not:
    the form again with the reason on it, or a refusal page."""
    try:
        application = services.application_create(
            round_=round_,
            details=details_form.to_details(),
            screening_ids=preferences_form.screening_ids(),
            preferences=preferences_form.preferences(),
            waitlist_consent=preferences_form.cleaned_data["waitlist_consent"],
            language="en" if is_english() else "ja",
            form_token=form_token,
            voucher_number=voucher_number,
            now=now,
        )
    except NotEligible as refused:
        add_eligibility_errors(details_form, refused.reasons)
        return again(409)
    except InvalidPreferences:
        preferences_form.add_error(
            None, _("These choices cannot be used together. Check the dates and screenings.")
        )
        return again(400)
    except AlreadyBooked as already:
        name = screening_name(already.screening_type) if already.screening_type else ""
        return refuse(request, "already_booked", params={"screening": name})
    except AlreadyApplied:
        return refuse(request, "already_applied")
    except RoundNotOpen:
        return refuse(request, "round_not_open")
    return page(request, "lottery/applied.html", {"application": application, "round": round_})


# --- Look-up, change, withdraw ----------------------------------------------------------------


def sign_manage_token(number: str) -> str:
    return signing.dumps({"n": number}, salt=MANAGE_SALT)


def _application_from_token(request: HttpRequest) -> Application | None:
    try:
        data = signing.loads(
            request.POST.get("token", ""), salt=MANAGE_SALT, max_age=MANAGE_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return Application.objects.select_related("round").filter(number=data.get("n")).first()


def _manage_page(
    request: HttpRequest,
    application: Application,
    *,
    notice: str = "",
    form: PreferencesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    round_ = application.round
    can_change = application.is_live and round_.accepts_applications()
    token = sign_manage_token(application.number)
    if form is None and can_change:
        form = PreferencesForm(initial=PreferencesForm.initial_from(application), round_=round_)
        form.fields.pop("screenings", None)
    return page(
        request,
        "lottery/manage.html",
        {
            "application": application,
            "round": round_,
            "preferences": application.preferences.prefetch_related("slots__venue").select_related(
                "venue"
            ),
            "can_change": can_change,
            "token": token,
            "preferences_form": form,
            "notice": notice,
        },
        status=status,
    )


@allow("GET", "POST")
@private
@ensure_csrf_cookie
def lookup(request: HttpRequest) -> HttpResponse:
    """Application number + date of birth → the application. Wrong guesses count against
    the same limit as booking look-ups (reservations.ratelimit)."""
    if request.method != "POST":
        return page(
            request, "lottery/lookup.html", {"form": ApplicationLookupForm()}, switch_language=True
        )
    try:
        if ratelimit.client_blocked(request):
            return _blocked(request)
        form = ApplicationLookupForm(request.POST)
        if not form.is_valid():
            return page(request, "lottery/lookup.html", {"form": form}, status=400)
        number = form.cleaned_data["number"]
        if ratelimit.number_blocked(number):
            return _blocked(request)
        application = Application.objects.select_related("round").filter(number=number).first()
        if application is None or application.birth_date != form.cleaned_data["birth_date"]:
            ratelimit.record_failure(request, number)
            log.info("lottery.lookup.failed")
            form.add_error(
                None,
                _(
                    "We could not find an application with this number and date of birth. "
                    "Check both and try again."
                ),
            )
            return page(request, "lottery/lookup.html", {"form": form}, status=404)
    except ratelimit.CounterUnavailable:
        return _unavailable(request)
    return _manage_page(request, application)


@allow("POST")
@private
def change(request: HttpRequest) -> HttpResponse:
    application = _application_from_token(request)
    if application is None:
        return refuse(request, "manage_token_expired")
    form = PreferencesForm(request.POST, round_=application.round)
    form.fields.pop("screenings", None)
    if not form.is_valid():
        return _manage_page(request, application, form=form, status=400)
    try:
        services.application_change(
            application=application,
            preferences=form.preferences(),
            waitlist_consent=form.cleaned_data["waitlist_consent"],
        )
    except NotChangeable:
        return refuse(request, "not_changeable")
    except InvalidPreferences:
        form.add_error(None, _("These choices cannot be used together. Check the dates."))
        return _manage_page(request, application, form=form, status=400)
    return _manage_page(request, application, notice=_("Your choices have been changed."))


@allow("POST")
@private
def withdraw(request: HttpRequest) -> HttpResponse:
    application = _application_from_token(request)
    if application is None:
        return refuse(request, "manage_token_expired")
    try:
        services.application_withdraw(application=application)
    except NotChangeable:
        return refuse(request, "not_changeable")
    return _manage_page(request, application, notice=_("Your application has been withdrawn."))

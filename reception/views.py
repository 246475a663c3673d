"""The health centre's screening-day pages: the reception roster (受付名簿), check-in, and
calling a session off.

Every view needs the health_centre role and a second factor verified in this session
(core.access.role_required). Opening or printing the roster is audited with the venue and
day (never the names); marks and call-offs are audited by their services. Every form is a
plain POST that redirects back (no JavaScript needed at a reception tablet).
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.context import AuditContext
from core.access import role_required
from core.roles import HEALTH_CENTRE
from reception import queries, services
from reception.forms import CallOffConfirmForm, CallOffForm, DayForm
from reservations.models import Reservation, ReservationItem, Venue

# A refusal code → (title, status). The services raise the codes.
REFUSALS = {
    "not_screening_day": (
        gettext_lazy("Attendance is marked on the screening day, and undone on the same day."),
        409,
    ),
    "booking_cancelled": (gettext_lazy("This booking has been cancelled."), 409),
    "nothing_to_call_off": (
        gettext_lazy("There is no session left to call off at that venue on that day."),
        409,
    ),
    "bad_action": (gettext_lazy("That is not something this button can do."), 400),
}


def _refuse(request: HttpRequest, code: str) -> HttpResponse:
    title, status = REFUSALS[code]
    return render(
        request,
        "reception/refused.html",
        {"message": title, "back": request.META.get("HTTP_REFERER", "")},
        status=status,
    )


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


@role_required(HEALTH_CENTRE)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Choose a venue and a day; the roster of today at the first venue by default."""
    form = DayForm(request.GET or None, initial={"day": timezone.localdate()})
    if request.GET and form.is_valid():
        return HttpResponseRedirect(
            reverse(
                "reception:roster",
                args=[form.cleaned_data["venue"].pk, form.cleaned_data["day"].isoformat()],
            )
        )
    return render(request, "reception/index.html", {"form": form})


def _roster_context(request: HttpRequest, venue_id: int, day: str, action: str) -> dict:
    venue = get_object_or_404(Venue, pk=venue_id)
    screening_day = _day(day)
    groups = queries.roster(venue, screening_day)
    count = sum(len(g.rows) for g in groups)
    # The venue and the day, never the names: the trail says a roster was opened.
    audit.record(
        action=action,
        context=AuditContext.from_request(request),
        target=venue,
        details={"venue_id": venue.pk, "day": screening_day.isoformat(), "bookings": count},
    )
    return {
        "venue": venue,
        "day": screening_day,
        "groups": groups,
        "count": count,
        "is_today": screening_day == timezone.localdate(),
        "slots": queries.day_slots(venue, screening_day),
    }


@role_required(HEALTH_CENTRE)
@require_GET
def roster_page(request: HttpRequest, venue_id: int, day: str) -> HttpResponse:
    context = _roster_context(request, venue_id, day, "reception.roster.viewed")
    return render(request, "reception/roster.html", context)


@role_required(HEALTH_CENTRE)
@require_GET
def roster_print(request: HttpRequest, venue_id: int, day: str) -> HttpResponse:
    """The roster laid out for A4 paper: one time per page, header and page numbers on
    every page (reception/static/reception/roster.css)."""
    context = _roster_context(request, venue_id, day, "reception.roster.printed")
    return render(request, "reception/roster_print.html", context)


@role_required(HEALTH_CENTRE)
@require_POST
def attendance(request: HttpRequest, item_id: int) -> HttpResponse:
    """受付済 / 欠席 / undo for one reserved screening, then back to its row."""
    item = get_object_or_404(
        ReservationItem.objects.select_related("slot", "reservation"), pk=item_id
    )
    action = request.POST.get("action", "")
    context = AuditContext.from_request(request)
    try:
        if action == "undo":
            services.attendance_undo(item=item, audit_context=context)
        elif action in ("attended", "absent"):
            services.attendance_mark(
                item=item, status=action, user=context.actor, audit_context=context
            )
        else:
            return _refuse(request, "bad_action")
    except services.ReceptionError as refused:
        return _refuse(request, refused.code)
    day = timezone.localtime(item.slot.starts_at).date().isoformat()
    url = reverse("reception:roster", args=[item.slot.venue_id, day])
    return HttpResponseRedirect(f"{url}#booking-{item.reservation_id}")


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET", "POST"])
def call_off_page(request: HttpRequest) -> HttpResponse:
    """GET with a venue and day: what calling it off would cancel (the preview). POST:
    the second confirmation (the day typed again, a box ticked), then the call-off."""
    form: CallOffForm
    if request.method == "POST":
        form = CallOffConfirmForm(request.POST)
    else:
        form = CallOffForm(request.GET or None, initial={"day": timezone.localdate()})
    context: dict = {"form": form}
    valid = form.is_bound and form.is_valid()
    if valid or (form.is_bound and _preview_fields_ok(form)):
        data = form.cleaned_data
        slots = services.call_off_slots(venue=data["venue"], day=data["day"], slot_id=data["slot"])
        confirm = (
            form
            if request.method == "POST"
            else CallOffConfirmForm(
                initial={"venue": data["venue"].pk, "day": data["day"], "slot": data["slot"]}
            )
        )
        context.update(
            preview=True,
            slots=slots,
            bookings=services.bookings_on(slots) if slots else [],
            venue=data["venue"],
            day=data["day"],
            confirm=confirm,
        )
    if request.method == "POST" and valid:
        data = form.cleaned_data
        audit_context = AuditContext.from_request(request)
        try:
            result = services.call_off(
                venue=data["venue"],
                day=data["day"],
                slot_id=data["slot"],
                user=audit_context.actor,
                audit_context=audit_context,
            )
        except services.ReceptionError as refused:
            return _refuse(request, refused.code)
        messages.success(
            request,
            _(
                "Called off: %(slots)s sessions, %(cancelled)s bookings cancelled, "
                "%(mailed)s mails queued, %(calls)s residents to phone."
            )
            % {
                "slots": result.slots,
                "cancelled": result.cancelled,
                "mailed": result.mailed,
                "calls": result.without_email,
            },
        )
        return HttpResponseRedirect(
            reverse("reception:call_list", args=[data["venue"].pk, data["day"].isoformat()])
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "reception/call_off.html", context, status=status)


def _preview_fields_ok(form: CallOffForm) -> bool:
    """A confirmation that failed only on its own two fields still shows the preview."""
    return not any(field in form.errors for field in ("venue", "day", "slot"))


@role_required(HEALTH_CENTRE)
@require_GET
def call_list(request: HttpRequest, venue_id: int, day: str) -> HttpResponse:
    """Residents whose booking was called off and who gave no email: phone them."""
    venue = get_object_or_404(Venue, pk=venue_id)
    called_off_day = _day(day)
    start, end = queries.day_bounds(called_off_day)
    reservations = list(
        Reservation.objects.filter(
            cancel_reason=Reservation.CancelReason.CALLED_OFF,
            citizen__email="",
            items__slot__venue=venue,
            items__slot__starts_at__gte=start,
            items__slot__starts_at__lt=end,
        )
        .distinct()
        .select_related("citizen")
        .order_by("citizen__furigana", "pk")
    )
    audit.record(
        action="citizens.citizen.listed",
        context=AuditContext.from_request(request),
        details={
            "via": "call_off_call_list",
            "venue_id": venue.pk,
            "day": called_off_day.isoformat(),
            "results": len(reservations),
            "reservation_ids": [r.pk for r in reservations],
        },
    )
    return render(
        request,
        "reception/call_list.html",
        {"venue": venue, "day": called_off_day, "reservations": reservations},
    )


def _fiscal_year(request: HttpRequest) -> int:
    from reservations.models import fiscal_year_of

    value = request.GET.get("year", "")
    if value.isdigit() and 2000 <= int(value) <= 2100:
        return int(value)
    return fiscal_year_of(timezone.localdate())


@role_required(HEALTH_CENTRE)
@require_GET
def season_page(request: HttpRequest) -> HttpResponse:
    """Fill rates, bookings per day, channels, cancellations and no-shows, age × sex: counts
    only (no personal data), each chart with its table."""
    from reception.charts import bar_chart
    from reception.season import season_figures

    figures = season_figures(_fiscal_year(request))
    charts = [
        {
            "key": key,
            "title": title,
            "rows": rows,
            "rate": key.startswith("fill") or key == "channels",
            "svg": bar_chart(title, rows, rate=key.startswith("fill") or key == "channels"),
        }
        for key, title, rows in figures.sections()
    ]
    return render(request, "reception/season.html", {"figures": figures, "charts": charts})


@role_required(HEALTH_CENTRE)
@require_GET
def season_csv(request: HttpRequest) -> HttpResponse:
    """The same figures as the page, as CSV (UTF-8 with BOM for Excel): no personal data."""
    import csv

    from reception.season import season_figures

    figures = season_figures(_fiscal_year(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="season-{figures.fiscal_year}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(["区分", "項目", "件数", "母数", "割合(%)"])
    for _key, title, rows in figures.sections():
        for row in rows:
            writer.writerow(
                [title, row.label, row.value, row.total or "", row.percent if row.total else ""]
            )
    return response

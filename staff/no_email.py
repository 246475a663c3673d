"""Bookings without an email address (メールなしの予約): whom the health centre must phone or
send a postcard to, since no confirmation, reminder or change mail reaches them.

A list of residents' names and phone numbers is a view of their details: it is audited
(one record naming the reservations shown) before the page is rendered, as the phone
desk audits opening one booking.
"""

from __future__ import annotations

from django.db.models import Min, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

import audit
from core.access import role_required
from core.roles import HEALTH_CENTRE
from reservations.models import Reservation, ReservationItem

MAX_ROWS = 500


def upcoming_without_email() -> QuerySet[Reservation]:
    """Live bookings whose screening is still to come and whose resident gave no email
    address, the soonest first, each with its live items (`live_items`) in time order."""
    live = Q(items__is_live=True)
    return (
        Reservation.objects.filter(status=Reservation.Status.CONFIRMED, citizen__email="")
        .annotate(first_start=Min("items__slot__starts_at", filter=live))
        .filter(first_start__gt=timezone.now())
        .select_related("citizen")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=ReservationItem.objects.filter(is_live=True)
                .select_related("slot__venue", "screening_type")
                .order_by("slot__starts_at"),
                to_attr="live_items",
            )
        )
        .order_by("first_start", "pk")
    )


@role_required(HEALTH_CENTRE)
@require_http_methods(["GET"])
def no_email_list(request: HttpRequest) -> HttpResponse:
    """Upcoming bookings without email: name, phone, screenings, times, number."""
    rows = list(upcoming_without_email()[: MAX_ROWS + 1])
    more = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    audit.record(
        action="citizens.citizen.listed",
        actor=request.user,
        request=request,
        details={
            "via": "no_email_list",
            "results": len(rows),
            "reservation_ids": [r.pk for r in rows],
        },
    )
    return render(
        request,
        "staff/no_email/list.html",
        {"reservations": rows, "more": more, "max_rows": MAX_ROWS},
    )

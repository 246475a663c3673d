"""The administrators' audit page: filter, page through, export as CSV."""

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import audit
from audit.actions import action_label
from audit.context import AuditContext
from audit.display import readable_details, target_label
from audit.forms import AuditFilterForm
from audit.models import AuditEvent
from core.access import role_required
from core.roles import ADMINISTRATOR

PAGE_SIZE = 50
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent] | None]:
    """(form, events): the filtered queryset, or None when the filter is invalid."""
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.order_by("-id")
    if not form.is_bound:
        return form, events
    if form.is_valid():
        return form, form.filter(events)
    return form, None


@never_cache
@require_GET
@role_required(ADMINISTRATOR)
def event_list(request: HttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    if events is None:
        return render(request, "audit/event_list.html", {"form": form, "page": None}, status=400)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.label = action_label(event.action)  # type: ignore[attr-defined]
        event.target_text = target_label(event.target_type, event.target_id)  # type: ignore[attr-defined]
        event.detail_lines = readable_details(event.details, event.target_type)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@never_cache
@require_GET
@role_required(ADMINISTRATOR)
def event_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered records as CSV; the export itself is recorded before the first byte."""
    form, events = _filtered(request)
    if events is None:
        return render(request, "audit/event_list.html", {"form": form, "page": None}, status=400)
    # The file ends at the last record that exists now, so that it holds exactly the rows
    # its own record counts: not that record itself, nor any written while it streams.
    last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    events = events.filter(id__lte=last_id)
    rows = events.count()
    audit.record(
        action="audit.events.exported",
        context=AuditContext.from_request(request),
        details={"rows": rows, "filter": form.summary() if form.is_bound else {}},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        _csv_lines(_csv_header(), events.order_by("id").iterator(chunk_size=2000)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


class _Line:
    """A file-like object for csv.writer that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ opens as text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv_header() -> list[str]:
    # Translated now, in the request's language, not later while the response streams.
    return [
        _("ID"),
        _("Time (UTC)"),
        _("Time (Japan)"),
        _("User ID"),
        _("User"),
        _("Action"),
        _("Outcome"),
        _("Target type"),
        _("Target ID"),
        _("Client IP"),
        _("User agent"),
        _("Details"),
        _("MAC"),
    ]


def _csv_lines(header: list[str], events: Iterable[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Line())  # CRLF line ends, as spreadsheets expect
    # A byte-order mark so that Excel opens the Japanese header as UTF-8.
    yield "\ufeff" + writer.writerow(header)
    for event in events:
        yield writer.writerow(
            _cell(value)
            for value in (
                event.pk,
                event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor_id,
                event.actor_username,
                event.action,
                event.outcome,
                event.target_type,
                event.target_id,
                event.ip,
                event.user_agent,
                json.dumps(event.details, sort_keys=True, ensure_ascii=False),
                event.mac,
            )
        )

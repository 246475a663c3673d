"""/metrics in Prometheus' text format: the request figures and the system's health figures.

Requests and latencies come from django-prometheus' middleware (per view, never per raw
path: no reservation number or token becomes a label). The figures that matter to an
operator are read from the database at scrape time, so they are the same whichever app
container answers and whatever number of gunicorn workers it runs:

- kenshin_reservations{status}, kenshin_bookings_last_hour, kenshin_places{state}
  (upcoming slots' capacity, booked);
- kenshin_outbox_messages{status}, kenshin_outbox_oldest_due_seconds: the mail backlog,
  kenshin_outbox_failed is what needs a person;
- kenshin_export_last_batch_age_seconds: alert when the nightly export has not run;
- kenshin_audit_records, kenshin_audit_chain_intact (1/0), kenshin_audit_chain_checked_age_seconds:
  the whole chain is verified at most every AUDIT_METRICS_INTERVAL seconds and the
  result kept in the shared cache.

Who may read it: a client inside STAFF_ALLOWED_NETWORKS (the same address as the staff
allow-list, core.client), or anyone sending `Authorization: Bearer <METRICS_TOKEN>`.
Everyone else gets 404, as for the staff pages outside the allow-list. With neither set,
nobody can read it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.client import client_ip

log = logging.getLogger("ops.metrics")

AUDIT_STATE_KEY = "kenshin:ops:audit-chain-state"


def may_read_metrics(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    networks = settings.STAFF_ALLOWED_NETWORKS
    address = client_ip(request)
    if not networks or address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def _audit_chain_state() -> tuple[bool, float, int]:
    """(intact, when it was checked as a Unix time, records): verified at most every
    AUDIT_METRICS_INTERVAL seconds, the result shared through the cache."""
    try:
        state = cache.get(AUDIT_STATE_KEY)
    except Exception as exc:  # noqa: BLE001 - a cache that is down must not stop the figures
        log.warning("ops.metrics.cache_unavailable: %s", type(exc).__name__)
        state = None
    if state is None:
        from audit.services import verify_audit_chain

        report = verify_audit_chain()
        state = (report.broken_id is None, time.time(), report.count)
        try:
            cache.set(AUDIT_STATE_KEY, state, settings.AUDIT_METRICS_INTERVAL)
        except Exception as exc:  # noqa: BLE001
            log.warning("ops.metrics.cache_unavailable: %s", type(exc).__name__)
    return state


def _feature_mails_failed() -> int:
    """Failed mails of the waiting list's and the lottery's own outboxes."""
    from django.apps import apps

    failed = 0
    for label, model in (("waitlist", "WaitlistMail"), ("lottery", "LotteryNotification")):
        if apps.is_installed(label):
            failed += apps.get_model(label, model).objects.filter(status="failed").count()
    return failed


class KenshinCollector(Collector):
    """The health figures, read from the database on each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from exports.models import Batch
        from reservations.models import Notification, Reservation, Slot

        now = timezone.now()
        reservations = GaugeMetricFamily(
            "kenshin_reservations", "Reservations held, by status.", labels=["status"]
        )
        counts = dict(Reservation.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in Reservation.Status.values:
            reservations.add_metric([status], counts.get(status, 0))
        yield reservations
        yield GaugeMetricFamily(
            "kenshin_bookings_last_hour",
            "Reservations made in the last hour.",
            value=Reservation.objects.filter(created_at__gte=now - timedelta(hours=1)).count(),
        )
        places = Slot.objects.filter(starts_at__gte=now).aggregate(
            capacity=Sum("capacity"), booked=Sum("booked")
        )
        gauge = GaugeMetricFamily("kenshin_places", "Places in upcoming slots.", labels=["state"])
        for state in ("capacity", "booked"):
            gauge.add_metric([state], places[state] or 0)
        yield gauge

        outbox = GaugeMetricFamily(
            "kenshin_outbox_messages", "Mails in the outbox, by status.", labels=["status"]
        )
        by_status = dict(
            Notification.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        for status in Notification.Status.values:
            outbox.add_metric([status], by_status.get(status, 0))
        yield outbox
        yield GaugeMetricFamily(
            "kenshin_outbox_failed",
            "Mails that gave up, the booking, waiting-list and lottery outboxes together "
            "(need a person: admin, each outbox's list, Failed).",
            value=by_status.get(Notification.Status.FAILED, 0) + _feature_mails_failed(),
        )
        oldest = Notification.objects.filter(
            status=Notification.Status.PENDING, next_attempt_at__lte=now
        ).aggregate(first=Min("next_attempt_at"))["first"]
        yield GaugeMetricFamily(
            "kenshin_outbox_oldest_due_seconds",
            "How long the oldest due mail has waited (0 when none is due).",
            value=(now - oldest).total_seconds() if oldest else 0,
        )

        newest = Batch.objects.order_by("-created_at").values_list("created_at", flat=True).first()
        yield GaugeMetricFamily(
            "kenshin_export_last_batch_age_seconds",
            "Seconds since the newest export batch was made (NaN: none yet).",
            value=(now - newest).total_seconds() if newest else float("nan"),
        )

        intact, checked_at, records = _audit_chain_state()
        yield GaugeMetricFamily(
            "kenshin_audit_chain_intact",
            "1 when every audit record's MAC and link verified, 0 at a break.",
            value=1 if intact else 0,
        )
        yield GaugeMetricFamily(
            "kenshin_audit_chain_checked_age_seconds",
            "Seconds since the audit chain was last verified for these figures.",
            value=max(0.0, time.time() - checked_at),
        )
        yield GaugeMetricFamily(
            "kenshin_audit_records",
            "Audit records in the chain when it was verified.",
            value=records,
        )


def render_metrics() -> bytes:
    """Request figures (every gunicorn worker's, with PROMETHEUS_MULTIPROC_DIR) + ours."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        requests = generate_latest(registry)
    else:
        requests = generate_latest(REGISTRY)
    ours = CollectorRegistry()
    ours.register(KenshinCollector())
    return requests + generate_latest(ours)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_read_metrics(request):
        raise Http404
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)

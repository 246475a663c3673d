"""/metrics: Prometheus text with request and health figures, for the staff networks or a
token holder only."""

import ipaddress
from datetime import timedelta

import pytest
from django.utils import timezone

import audit
from audit.models import AuditEvent
from exports.models import Batch
from reservations import services as booking
from reservations.models import Notification
from tests.factories import SlotFactory, details

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789abcdef"


@pytest.fixture
def metrics_settings(settings):
    settings.STAFF_ALLOWED_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    settings.METRICS_TOKEN = TOKEN
    return settings


def _values(text):
    """{'name{labels}': value} of every sample line."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_from_a_staff_network_the_figures_are_served(client, metrics_settings):
    slot = SlotFactory(capacity=10)
    booking.reservation_create(slots=[slot], details=details())
    client.get("/")  # a request for the request counters

    response = client.get("/metrics", REMOTE_ADDR="10.20.1.2")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = _values(response.content.decode())
    assert samples['kenshin_reservations{status="confirmed"}'] == 1
    assert samples["kenshin_bookings_last_hour"] == 1
    assert samples['kenshin_places{state="capacity"}'] == 10
    assert samples['kenshin_places{state="booked"}'] == 1
    assert samples['kenshin_outbox_messages{status="pending"}'] == 1
    assert samples["kenshin_outbox_failed"] == 0
    assert samples["kenshin_outbox_oldest_due_seconds"] >= 0
    assert samples["kenshin_audit_chain_intact"] == 1
    # django-prometheus: requests and latencies per view, never per raw path
    assert any(k.startswith("django_http_requests_latency_seconds_by_view_method") for k in samples)
    assert any(
        k.startswith("django_http_responses_total_by_status_view_method") and 'status="200"' in k
        for k in samples
    )


def test_with_the_token_the_figures_are_served_from_anywhere(client, metrics_settings):
    response = client.get("/metrics", REMOTE_ADDR="192.0.2.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": TOKEN}],
    ids=["no token", "wrong token", "not a bearer header"],
)
def test_outside_the_staff_networks_without_the_token_it_does_not_exist(
    client, metrics_settings, headers
):
    response = client.get("/metrics", REMOTE_ADDR="192.0.2.9", **headers)
    assert response.status_code == 404
    assert b"kenshin_" not in response.content


def test_with_no_networks_and_no_token_nobody_reads_it(client, settings):
    settings.STAFF_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_post_is_refused(client, metrics_settings):
    assert client.post("/metrics", REMOTE_ADDR="10.20.1.2").status_code == 405


def test_failed_mail_export_age_and_a_broken_chain_show(client, metrics_settings, export_settings):
    from exports import services as exports

    slot = SlotFactory(opens_at=timezone.now() - timedelta(days=3))
    booked_at = timezone.now() - timedelta(hours=31)
    booking.reservation_create(slots=[slot], details=details(), now=booked_at)
    Notification.objects.update(status=Notification.Status.FAILED)
    batch = exports.batch_create_delta(cutoff=booked_at + timedelta(minutes=5)).batch
    Batch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(hours=30))
    audit.record(action="ops.test.one")
    # Someone edits a record behind the app's back. On PostgreSQL the trigger refuses even
    # that (tests/audit); on SQLite the chain is what notices.
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL trigger refuses the forgery itself (tests/audit)")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'ops.test.forged'")

    samples = _values(client.get("/metrics", REMOTE_ADDR="10.20.1.2").content.decode())

    assert samples["kenshin_outbox_failed"] == 1
    assert 30 * 3600 - 60 < samples["kenshin_export_last_batch_age_seconds"] < 30 * 3600 + 60
    assert samples["kenshin_audit_chain_intact"] == 0
    assert AuditEvent.objects.count() >= 1


def test_failed_waiting_list_and_lottery_mails_count_as_failed_mails(client, metrics_settings):
    from lottery.models import LotteryNotification
    from tests.lottery.helpers import apply, make_round
    from tests.waitlist.helpers import fill, join
    from waitlist.models import WaitlistMail

    full = SlotFactory(capacity=1)
    fill(full)
    join(full, 1)  # the "joined" mail
    lottery_slot = SlotFactory()
    apply(make_round([lottery_slot]), [lottery_slot], n=2)  # the "received" mail
    WaitlistMail.objects.update(status="failed")
    LotteryNotification.objects.update(status="failed")

    samples = _values(client.get("/metrics", REMOTE_ADDR="10.20.1.2").content.decode())

    assert samples["kenshin_outbox_failed"] == 2

"""Several mail workers at once, each on its own database connection (PostgreSQL).

Without SKIP LOCKED and the lease, two workers read the same due rows and both send them;
these tests count what really arrives at an SMTP server.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from reservations import notifications, services
from reservations.models import Notification
from tests.factories import ScreeningTypeFactory, SlotFactory, local_dt
from tests.reservations.race import person, race
from tests.reservations.smtp import smtp_server, use_smtp

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.SITE_URL = "https://kenshin.example.jp"
    settings.HEALTH_CENTRE_COPY_EMAIL = ""
    settings.REMINDER_DAYS_BEFORE = 3


def book_people(slot, count, *, now=None):
    return [
        services.reservation_create(
            slots=[slot], details=services.CitizenDetails(**person(n)), now=now
        ).reservation
        for n in range(count)
    ]


def test_concurrent_workers_deliver_each_message_exactly_once(settings):
    lung = ScreeningTypeFactory(code="mail-pg-lung", name="肺がん検診", fee=500, min_age=40)
    slot = SlotFactory(screening_type=lung, capacity=100)
    book_people(slot, 60)
    assert Notification.objects.count() == 60

    # A little latency per message keeps the four workers' batches overlapping.
    with smtp_server(delay=0.005) as server:
        use_smtp(settings, server.port)
        outcomes = race([lambda: notifications.send_due(batch_size=3) for _ in range(4)])
        received = list(server.messages)

    assert all(isinstance(o, notifications.PassResult) for o in outcomes), outcomes
    assert sum(o.sent for o in outcomes) == 60
    assert sum(o.lease_lost for o in outcomes) == 0
    ids = Counter(m.message["Message-ID"] for m in received)
    assert len(received) == 60 and set(ids.values()) == {1}
    recipients = Counter(tuple(m.rcpt_tos) for m in received)
    assert len(recipients) == 60 and set(recipients.values()) == {1}
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}
    # More than one worker really took part.
    assert sum(1 for o in outcomes if o.sent) >= 2


def test_claim_skips_rows_another_worker_is_claiming_instead_of_waiting():
    lung = ScreeningTypeFactory(code="mail-pg-lung2", name="肺がん検診", fee=500, min_age=40)
    slot = SlotFactory(screening_type=lung, capacity=100)
    book_people(slot, 10)
    pks = list(Notification.objects.order_by("next_attempt_at", "pk").values_list("pk", flat=True))
    locked, release = threading.Event(), threading.Event()

    def other_worker_mid_claim():
        try:
            with transaction.atomic():
                list(Notification.objects.filter(pk__in=pks[:4]).select_for_update())
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker_mid_claim)
    thread.start()
    try:
        assert locked.wait(30)
        claims = notifications.claim_due(limit=100)  # would block here without SKIP LOCKED
    finally:
        release.set()
        thread.join()

    assert sorted(c.pk for c in claims) == pks[4:]


def test_concurrent_reminder_passes_queue_one_reminder_per_reservation():
    lung = ScreeningTypeFactory(code="mail-pg-lung3", name="肺がん検診", fee=500, min_age=40)
    slot = SlotFactory(
        screening_type=lung,
        capacity=100,
        starts_at=local_dt(timezone.localdate() + timedelta(days=2), 10, 0),
        opens_at=timezone.now() - timedelta(days=14),
    )
    book_people(slot, 20, now=timezone.now() - timedelta(days=5))

    outcomes = race([notifications.queue_reminders for _ in range(4)])

    assert sum(outcomes) == 20, outcomes
    assert Notification.objects.filter(kind="reminder").count() == 20

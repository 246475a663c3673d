"""The outbox worker's rules: claims and leases, skipping, reminders, errors, the command,
and the admin's retry. Mail goes to Django's in-memory backend (mail.outbox) here; the
SMTP conversation itself is tested in test_notifications.py."""

import itertools
import os
import signal
import smtplib
import threading
import time
from datetime import time as dtime
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from reservations import notifications, services
from reservations.models import Notification
from tests.factories import ScreeningTypeFactory, SlotFactory, details, local_dt
from tests.helpers import login_staff, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://kenshin.example.jp"
    settings.HEALTH_CENTRE_COPY_EMAIL = ""
    settings.MAIL_MAX_ATTEMPTS = 8
    settings.REMINDER_DAYS_BEFORE = 3


@pytest.fixture
def all_day(monkeypatch):
    """Reminders may go out at any hour, so a test does not depend on when it runs."""
    monkeypatch.setattr(notifications, "REMINDER_EARLIEST", dtime.min)
    monkeypatch.setattr(notifications, "REMINDER_LATEST", dtime.max)


@pytest.fixture
def lung():
    return ScreeningTypeFactory(code="mail-lung", name="肺がん検診", fee=500, min_age=40)


def book(slot, n=0, *, now=None, **overrides):
    person = details(furigana=f"ヤマダ ハナコ{'アイウエオカキクケコ'[n % 10]}{n}", **overrides)
    return services.reservation_create(slots=[slot], details=person, now=now).reservation


def slot_in(lung, days, hour=10):
    """A slot `days` from today whose booking window has been open for a fortnight."""
    return SlotFactory(
        screening_type=lung,
        starts_at=local_dt(timezone.localdate() + timedelta(days=days), hour, 0),
        opens_at=timezone.now() - timedelta(days=14),
    )


def booked_days_ago(slot, days, n=0, **overrides):
    return book(slot, n, now=timezone.now() - timedelta(days=days), **overrides)


# --- Claims and leases ------------------------------------------------------------------------


def test_claimed_message_is_not_claimed_again_until_its_lease_expires(lung):
    book(SlotFactory(screening_type=lung))
    now = timezone.now()

    first = notifications.claim_due(now=now)
    assert [c.attempt for c in first] == [1]
    assert notifications.claim_due(now=now) == []
    assert notifications.claim_due(now=now + notifications.LEASE - timedelta(seconds=1)) == []
    again = notifications.claim_due(now=now + notifications.LEASE + timedelta(seconds=1))
    assert [(c.pk, c.attempt) for c in again] == [(first[0].pk, 2)]


def test_message_of_a_worker_that_died_mid_send_is_sent_after_the_lease(lung):
    book(SlotFactory(screening_type=lung))
    now = timezone.now()
    notifications.claim_due(now=now)  # this worker dies before sending

    assert notifications.send_due(now=now).sent == 0
    assert mail.outbox == []
    result = notifications.send_due(now=now + notifications.LEASE + timedelta(minutes=1))
    assert result.sent == 1
    assert len(mail.outbox) == 1


def test_worker_that_lost_its_lease_cannot_overwrite_the_newer_outcome(lung):
    reservation = book(SlotFactory(screening_type=lung))
    now = timezone.now()
    [stale] = notifications.claim_due(now=now)
    notifications.send_due(now=now + notifications.LEASE + timedelta(minutes=1))

    assert notifications._record(stale, status=Notification.Status.FAILED) is False
    row = Notification.objects.get(reservation=reservation)
    assert row.status == Notification.Status.SENT


def test_stopping_worker_hands_back_the_rest_of_its_batch(lung):
    slot = SlotFactory(screening_type=lung)
    for n in range(3):
        book(slot, n)

    result = notifications.send_due(should_stop=lambda: len(mail.outbox) >= 1)

    assert result.sent == 1 and len(mail.outbox) == 1
    waiting = Notification.objects.filter(status=Notification.Status.PENDING)
    assert waiting.count() == 2
    assert all(row.attempts == 0 for row in waiting)
    assert len(notifications.claim_due()) == 2  # due at once for the next worker


def test_worker_does_not_start_a_send_once_its_lease_is_nearly_over(lung, monkeypatch):
    slot = SlotFactory(screening_type=lung)
    for n in range(3):
        book(slot, n)
    # Each look at the clock finds four minutes gone (a very slow server): with a ten-minute
    # lease and a minute's margin, the second message may still start, the third not.
    clock = itertools.count(step=240)
    monkeypatch.setattr(notifications, "monotonic", lambda: next(clock))

    result = notifications.send_due()

    assert result.sent == 2 and result.handed_back == 1
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(status="pending", attempts=0).count() == 1


def test_unreachable_server_ends_the_pass_without_spending_everyones_attempts(
    lung, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: refused
    slot = SlotFactory(screening_type=lung)
    for n in range(5):
        book(slot, n)

    result = notifications.send_due(batch_size=2)

    assert result.retrying == 2 and result.server_unreachable
    attempts = sorted(Notification.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 0, 1, 1]


# --- Send-time decisions ---------------------------------------------------------------------


def test_confirmation_for_a_booking_cancelled_before_sending_is_not_sent(lung):
    reservation = book(SlotFactory(screening_type=lung))
    services.reservation_cancel(reservation=reservation)

    result = notifications.send_due()

    assert result.sent == 1 and result.skipped == 1
    assert len(mail.outbox) == 1 and "取り消しました" in mail.outbox[0].subject
    confirmation = Notification.objects.get(kind=Notification.Kind.CONFIRMATION)
    assert confirmation.status == Notification.Status.SKIPPED
    assert confirmation.last_error == "reservation cancelled"


def test_health_centre_copy_is_skipped_when_no_address_is_configured_any_more(lung, settings):
    settings.HEALTH_CENTRE_COPY_EMAIL = "copy@city.example.jp"
    book(SlotFactory(screening_type=lung))
    settings.HEALTH_CENTRE_COPY_EMAIL = ""

    result = notifications.send_due()

    assert result.sent == 1 and result.skipped == 1
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"]]


def test_error_in_rendering_is_retried_and_recorded_without_details(lung, monkeypatch):
    book(SlotFactory(screening_type=lung))

    def broken(notification):
        raise KeyError("hanako@example.jp")

    monkeypatch.setattr(notifications, "build_message", broken)
    result = notifications.send_due()

    assert result.retrying == 1
    row = Notification.objects.get()
    assert row.last_error.startswith("KeyError at test_notifications_worker.py:")
    assert "hanako" not in row.last_error


# --- Errors and backoff ----------------------------------------------------------------------


def test_error_descriptions_keep_class_and_codes_but_no_addresses():
    refused = smtplib.SMTPRecipientsRefused(
        {"hanako@example.jp": (550, b"5.1.1 <hanako@example.jp> unknown")}
    )
    data = smtplib.SMTPDataError(451, b"4.3.0 hanako@example.jp mailbox busy")
    sender = smtplib.SMTPSenderRefused(553, b"bad sender", "kenshin@city.example.jp")

    assert notifications.describe_error(refused) == "SMTPRecipientsRefused: SMTP 550"
    assert notifications.describe_error(data) == "SMTPDataError: SMTP 451 4.3.0"
    assert notifications.describe_error(sender) == "SMTPSenderRefused: SMTP 553"
    assert notifications.describe_error(ConnectionRefusedError(111, "refused")) == (
        "ConnectionRefusedError: errno 111"
    )
    assert notifications.describe_error(TimeoutError()) == "TimeoutError"
    assert notifications.is_permanent(refused)
    assert not notifications.is_permanent(data)


def test_backoff_doubles_from_a_minute_up_to_an_hour():
    minutes = [notifications.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 10)]
    for got, base in zip(minutes, [1, 2, 4, 8, 60], strict=True):
        assert base <= got <= base * 1.1


# --- Reminders -------------------------------------------------------------------------------


def test_reminder_is_queued_once_for_a_screening_within_the_window(lung, all_day):
    booked_days_ago(slot_in(lung, 3), 5)

    assert notifications.queue_reminders() == 1
    assert notifications.queue_reminders() == 0
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 1
    notifications.send_due()
    assert notifications.queue_reminders() == 0  # sent ones count too
    assert sum("ご予約日です" in m.subject for m in mail.outbox) == 1


def test_no_reminder_for_a_screening_beyond_the_window(lung):
    booked_days_ago(slot_in(lung, 4), 5)

    assert notifications.queue_reminders() == 0


def test_no_reminder_for_a_cancelled_booking(lung):
    reservation = booked_days_ago(slot_in(lung, 2), 5)
    services.reservation_cancel(reservation=reservation)

    assert notifications.queue_reminders() == 0


def test_no_reminder_without_an_email_address(lung):
    booked_days_ago(slot_in(lung, 2), 5, email="")

    assert notifications.queue_reminders() == 0


def test_no_reminder_right_after_the_booking(lung):
    book(slot_in(lung, 2))  # the confirmation has only just gone out

    assert notifications.queue_reminders() == 0
    assert notifications.queue_reminders(now=timezone.now() + timedelta(hours=25)) == 1


def test_reminder_for_a_booking_cancelled_after_queueing_is_not_sent(lung, all_day):
    reservation = booked_days_ago(slot_in(lung, 2), 5)
    notifications.send_due()  # the confirmation
    assert notifications.queue_reminders() == 1
    services.reservation_cancel(reservation=reservation)

    result = notifications.send_due()

    assert result.sent == 1 and result.skipped == 1
    assert "取り消しました" in mail.outbox[-1].subject
    assert not any("ご予約日です" in m.subject for m in mail.outbox)
    reminder = Notification.objects.get(kind=Notification.Kind.REMINDER)
    assert reminder.status == Notification.Status.SKIPPED


def test_reminder_queued_at_night_waits_for_the_morning(lung):
    today = timezone.localdate()
    booked_days_ago(slot_in(lung, 4), 1)
    night = local_dt(today + timedelta(days=2), 23, 0)

    assert notifications.queue_reminders(now=night) == 1
    reminder = Notification.objects.get(kind=Notification.Kind.REMINDER)
    assert reminder.next_attempt_at == local_dt(today + timedelta(days=3), 8, 0)


def test_reminder_for_a_screening_that_already_began_is_skipped(lung, all_day):
    booked_days_ago(slot_in(lung, 1), 5)
    notifications.send_due()
    notifications.queue_reminders()

    result = notifications.send_due(now=timezone.now() + timedelta(days=2))

    assert result.skipped == 1 and result.sent == 0


def test_reminder_for_a_booking_moved_later_waits_for_the_new_date(lung, all_day):
    reservation = booked_days_ago(slot_in(lung, 2), 5)
    notifications.queue_reminders()
    later = slot_in(lung, 20)
    services.reservation_move(reservation=reservation, new_slots=[later])

    result = notifications.send_due()

    assert result.deferred == 1
    assert not any("ご予約日です" in m.subject for m in mail.outbox)
    reminder = Notification.objects.get(kind=Notification.Kind.REMINDER)
    assert reminder.status == Notification.Status.PENDING and reminder.attempts == 0
    window = later.local_date - timedelta(days=3)
    assert reminder.next_attempt_at == local_dt(window, 0, 0)


# --- The command -------------------------------------------------------------------------------


def run(*args):
    out = StringIO()
    call_command("send_notifications", *args, stdout=out)
    return out.getvalue()


def test_command_sends_and_prints_one_summary_line(lung):
    book(SlotFactory(screening_type=lung))

    output = run()

    assert output == (
        "send_notifications: 1 sent, 0 to retry, 0 failed, 0 not needed; 0 reminders queued.\n"
    )
    assert len(mail.outbox) == 1


def test_command_reminders_pass_queues_and_sends_them(lung, all_day):
    booked_days_ago(slot_in(lung, 2), 5)

    output = run("--reminders")

    assert "2 sent" in output and "1 reminders queued" in output
    assert any("ご予約日です" in m.subject for m in mail.outbox)


def test_command_refuses_nonsense_options():
    with pytest.raises(CommandError):
        call_command("send_notifications", "--loop", "--interval", "0")
    with pytest.raises(CommandError):
        call_command("send_notifications", "--batch-size", "0")


# The worker recycles database connections between passes, as a long-running process must;
# inside a test's wrapping transaction that would close the test's own connection.
@pytest.mark.django_db(transaction=True)
def test_worker_loop_exits_cleanly_on_sigterm(lung):
    book(SlotFactory(screening_type=lung))
    original = signal.getsignal(signal.SIGTERM)

    def terminate_once_the_mail_is_out():
        # Wait (however slow the machine) for the worker to install its handler, then for
        # the mail; never give up silently, or the worker would run until --max-passes.
        while signal.getsignal(signal.SIGTERM) is original:
            time.sleep(0.02)
        deadline = time.monotonic() + 60
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)  # the worker's handler, not pytest's

    killer = threading.Thread(target=terminate_once_the_mail_is_out, daemon=True)
    killer.start()
    # --max-passes bounds the run (≈ 100 s) should the signal ever be lost.
    output = run("--loop", "--interval", "0.05", "--max-passes", "2000")
    killer.join(timeout=5)

    assert output.startswith("send_notifications: 1 sent, 0 to retry")
    assert output.rstrip().endswith("passes).")
    assert signal.getsignal(signal.SIGTERM) is original


# --- Admin -----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    user = make_staff("mailadmin")
    user.is_superuser = True
    user.save()
    return login_staff(client, user)


def test_admin_lists_failed_messages_with_their_error(admin_client, lung):
    reservation = book(SlotFactory(screening_type=lung))
    Notification.objects.update(
        status=Notification.Status.FAILED, attempts=8, last_error="SMTPDataError: SMTP 451"
    )

    response = admin_client.get(
        reverse("admin:reservations_notification_changelist"), {"status__exact": "failed"}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert reservation.display_number in body
    assert "SMTPDataError: SMTP 451" in body
    assert "hanako" not in body


def test_admin_retry_puts_only_failed_messages_back_in_the_queue(admin_client, lung):
    slot = SlotFactory(screening_type=lung)
    book(slot, 0)
    book(slot, 1)
    failed, sent = Notification.objects.order_by("pk")
    Notification.objects.filter(pk=failed.pk).update(
        status=Notification.Status.FAILED, attempts=8, last_error="TimeoutError"
    )
    Notification.objects.filter(pk=sent.pk).update(status=Notification.Status.SENT)

    response = admin_client.post(
        reverse("admin:reservations_notification_changelist"),
        {"action": "retry_failed", "_selected_action": [failed.pk, sent.pk]},
    )

    assert response.status_code == 302
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status == Notification.Status.PENDING
    assert failed.attempts == 0 and failed.last_error == ""
    assert sent.status == Notification.Status.SENT
    assert notifications.send_due().sent == 1
    assert len(mail.outbox) == 1

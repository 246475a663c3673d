"""Mail through a real SMTP server on 127.0.0.1: what arrives, and what never does.

Every test here starts an aiosmtpd server (tests/reservations/smtp.py) and points Django's
SMTP backend at it, so the messages are parsed from what really went over the wire.
"""

from datetime import time, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from reservations import mail, notifications, services
from reservations.models import Notification, Reservation
from tests.factories import (
    ScreeningTypeFactory,
    SlotFactory,
    details,
    health_centre,
    local_dt,
)
from tests.reservations.smtp import free_port, smtp_server, use_smtp

pytestmark = pytest.mark.django_db

SITE = "https://kenshin.example.jp"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "検診予約 <kenshin@city.example.jp>"
    settings.EMAIL_REPLY_TO = []
    settings.HEALTH_CENTRE_COPY_EMAIL = ""
    settings.MAIL_MAX_ATTEMPTS = 8


@pytest.fixture
def smtp(settings):
    with smtp_server() as server:
        use_smtp(settings, server.port)
        yield server


@pytest.fixture
def lung():
    return ScreeningTypeFactory(
        code="mail-lung",
        name="肺がん検診",
        name_en="Lung cancer screening",
        fee=500,
        what_to_bring="受診票と費用をお持ちください。",
        what_to_bring_en="Bring your screening form and the fee.",
        display_order=20,
    )


@pytest.fixture
def slot(lung):
    venue = health_centre(address="埼玉県新座市野火止1-1-1")
    return SlotFactory(screening_type=lung, venue=venue)


def book(slot, **overrides):
    language = overrides.pop("language", "ja")
    return services.reservation_create(
        slots=[slot], details=details(**overrides), language=language
    ).reservation


def jp_short(slot):
    day = slot.local_date
    return f"{day.month}月{day.day}日"


def test_booking_delivers_exactly_one_confirmation_to_the_resident(smtp, slot):
    reservation = book(slot)

    result = notifications.send_due()

    assert result.sent == 1
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.rcpt_tos == ["hanako@example.jp"]
    assert received.mail_from == "kenshin@city.example.jp"
    assert received.subject == f"【新座市】肺がん検診のご予約を受け付けました（{jp_short(slot)}）"
    day = slot.local_date
    for part in (received.text, received.html):
        assert reservation.display_number in part  # 1234-5678-9012
        assert f"{day.year}年{day.month}月{day.day}日" in part
        assert "9:00〜9:30" in part
        assert "新座市保健センター" in part and "志木駅からバス10分" in part
        assert "受診票と費用をお持ちください。" in part
        assert "500円" in part
        assert mail.lookup_url("ja") in part
    assert mail.lookup_url("ja").startswith(SITE + "/")
    assert "/en/" not in mail.lookup_url("ja")
    assert received.message["Message-ID"].endswith("@city.example.jp>")
    assert received.message["Auto-Submitted"] == "auto-generated"
    row = Notification.objects.get(reservation=reservation)
    assert row.status == Notification.Status.SENT and row.sent_at is not None

    # A second pass has nothing left to send.
    assert notifications.send_due().sent == 0
    assert len(smtp.messages) == 1


def test_mail_never_contains_the_residents_personal_details(smtp, slot, settings):
    settings.HEALTH_CENTRE_COPY_EMAIL = "copy@city.example.jp"
    book(slot)
    notifications.send_due()

    assert len(smtp.messages) == 2
    for received in smtp.messages:
        for part in (received.subject, received.text, received.html):
            for personal in ("山田", "花子", "ヤマダ", "1970", "野火止1-2-3", "048-481-0000"):
                assert personal not in part
            assert "hanako" not in part


def test_cancellation_delivers_exactly_one_cancellation_mail(smtp, slot):
    reservation = book(slot)
    notifications.send_due()
    services.reservation_cancel(reservation=reservation)

    result = notifications.send_due()

    assert result.sent == 1
    assert len(smtp.messages) == 2
    received = smtp.messages[1]
    assert received.rcpt_tos == ["hanako@example.jp"]
    assert received.subject == f"【新座市】肺がん検診のご予約を取り消しました（{jp_short(slot)}）"
    assert reservation.display_number in received.text
    assert "次のご予約を取り消しました。" in received.text
    assert "9:00〜9:30" in received.text
    # Nothing to bring to a screening that is off.
    assert "持ち物" not in received.text and "持ち物" not in received.html


def test_english_booking_gets_english_mail_with_english_link(smtp, slot):
    reservation = book(slot, language="en")
    notifications.send_due()

    received = smtp.messages[0]
    day = slot.local_date
    assert received.subject.startswith("[新座市] Booked: Lung cancer screening, ")
    assert f" {day.day} " in received.subject
    assert "Niiza Health Centre" in received.text
    assert "10 minutes by bus from Shiki Station" in received.text
    assert "Bring your screening form and the fee." in received.text
    assert "¥500" in received.text
    assert reservation.display_number in received.text
    assert f"{SITE}/en/" in received.text
    assert mail.lookup_url("en") in received.html
    assert "受け付けました" not in received.text


def test_change_mail_shows_the_new_time(smtp, slot, lung):
    reservation = book(slot)
    later = SlotFactory(
        screening_type=lung, venue=slot.venue, starts_at=slot.starts_at + timedelta(hours=1)
    )
    services.reservation_move(reservation=reservation, new_slots=[later])

    notifications.send_due()

    subjects = [m.subject for m in smtp.messages]
    assert f"【新座市】肺がん検診のご予約を変更しました（{jp_short(later)}）" in subjects
    change = next(m for m in smtp.messages if "変更しました" in m.subject)
    assert "10:00〜10:30" in change.text
    # Rendered when sent: the waiting confirmation shows the new time, not a stale one.
    assert all("9:00〜9:30" not in m.text for m in smtp.messages)


def test_set_booking_lists_each_screening_and_the_total_fee(smtp, slot):
    stomach = ScreeningTypeFactory(
        code="mail-stomach", name="胃がん検診", name_en="Stomach", fee=1000, min_age=40
    )
    second = SlotFactory(
        screening_type=stomach, venue=slot.venue, starts_at=slot.starts_at + timedelta(minutes=30)
    )
    services.reservation_create(slots=[slot, second], details=details(), language="ja")

    notifications.send_due()

    received = smtp.messages[0]
    assert received.subject.startswith("【新座市】肺がん検診ほかのご予約を受け付けました")
    assert "9:00〜9:30　肺がん検診" in received.text
    assert "9:30〜10:00　胃がん検診" in received.text
    assert "合計　1,500円" in received.text


def test_health_centre_copy_has_only_number_screening_time_venue_and_event(smtp, slot, settings):
    settings.HEALTH_CENTRE_COPY_EMAIL = "copy@city.example.jp"
    reservation = book(slot)
    services.reservation_cancel(reservation=reservation)

    notifications.send_due()

    copies = [m for m in smtp.messages if m.rcpt_tos == ["copy@city.example.jp"]]
    assert len(copies) == 2
    booked, cancelled = sorted(copies, key=lambda m: "予約取消" in m.subject)
    assert "予約受付" in booked.subject and reservation.display_number in booked.subject
    assert "予約取消" in cancelled.subject
    for part in (booked.text, booked.html):
        assert reservation.display_number in part
        assert "肺がん検診" in part and "9:00〜9:30" in part and "新座市保健センター" in part
    # The resident got the cancellation; the since-cancelled confirmation was not sent.
    resident = [m for m in smtp.messages if m.rcpt_tos == ["hanako@example.jp"]]
    assert [("取り消しました" in m.subject) for m in resident] == [True]


def test_server_down_keeps_the_booking_and_delivers_once_the_server_is_back(settings, slot):
    port = free_port()
    use_smtp(settings, port)  # nothing listens there yet
    reservation = book(slot)
    assert Reservation.objects.filter(pk=reservation.pk, status="confirmed").exists()

    now = timezone.now()
    result = notifications.send_due(now=now)

    assert result.sent == 0 and result.retrying == 1 and result.server_unreachable
    row = Notification.objects.get(reservation=reservation)
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 1
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.next_attempt_at > now

    with smtp_server(port=port) as server:
        # Not due yet: backoff.
        assert notifications.send_due(now=now).sent == 0
        result = notifications.send_due(now=now + timedelta(minutes=5))
        assert result.sent == 1
        assert len(server.messages) == 1
        assert reservation.display_number in server.messages[0].text
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT and row.attempts == 2


def test_message_is_marked_failed_after_the_maximum_attempts(settings, slot):
    settings.MAIL_MAX_ATTEMPTS = 3
    with smtp_server(reply_data="451 4.3.0 Mailbox of hanako@example.jp busy") as server:
        use_smtp(settings, server.port)
        reservation = book(slot)
        row = Notification.objects.get(reservation=reservation)
        now = timezone.now()
        outcomes = []
        for _attempt in range(4):
            result = notifications.send_due(now=now)
            outcomes.append((result.retrying, result.failed))
            now += timedelta(hours=2)
        row.refresh_from_db()

    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0)]
    assert row.status == Notification.Status.FAILED
    assert row.attempts == 3
    assert row.last_error == "SMTPDataError: SMTP 451 4.3.0"
    assert server.messages == []


def test_refused_address_fails_at_once_without_recording_the_address(settings, slot):
    with smtp_server(reply_rcpt="550 5.1.1 <{address}>: Recipient address rejected") as server:
        use_smtp(settings, server.port)
        reservation = book(slot)
        result = notifications.send_due()

    assert result.failed == 1
    row = Notification.objects.get(reservation=reservation)
    assert row.status == Notification.Status.FAILED and row.attempts == 1
    assert row.last_error == "SMTPRecipientsRefused: SMTP 550"
    assert "hanako" not in row.last_error


def test_rolled_back_booking_sends_nothing(smtp, slot):
    with pytest.raises(RuntimeError), transaction.atomic():
        book(slot)
        raise RuntimeError("the request failed after the booking")

    assert not Reservation.objects.exists()
    assert not Notification.objects.exists()
    assert notifications.send_due().sent == 0
    assert smtp.messages == []


def test_refused_booking_queues_no_mail(smtp, lung):
    full = SlotFactory(screening_type=lung, capacity=1)
    book(full)
    with pytest.raises(services.SlotFull):
        book(full, furigana="スズキ イチロウ", email="ichiro@example.jp")

    notifications.send_due()

    assert [m.rcpt_tos for m in smtp.messages] == [["hanako@example.jp"]]


def test_lookup_link_is_the_lookup_page_in_the_mail_language(settings):
    settings.SITE_URL = SITE

    assert mail.lookup_url("ja") == f"{SITE}/lookup/"
    assert mail.lookup_url("en") == f"{SITE}/en/lookup/"


def test_reminder_arrives_with_a_lock_screen_subject(smtp, lung, monkeypatch):
    today = timezone.localdate()
    soon = SlotFactory(
        screening_type=lung,
        starts_at=local_dt(today + timedelta(days=2), 10, 0),
        opens_at=timezone.now() - timedelta(days=10),
    )
    services.reservation_create(
        slots=[soon], details=details(), now=timezone.now() - timedelta(days=2)
    )
    notifications.send_due()
    # Daytime all day, so the test does not depend on the hour it runs at.
    monkeypatch.setattr(notifications, "REMINDER_EARLIEST", time.min)
    monkeypatch.setattr(notifications, "REMINDER_LATEST", time.max)

    assert notifications.queue_reminders() == 1
    notifications.send_due()

    assert len(smtp.messages) == 2
    reminder = smtp.messages[1]
    assert reminder.subject == f"【新座市】{jp_short(soon)}は肺がん検診のご予約日です"
    assert "10:00〜10:30" in reminder.text

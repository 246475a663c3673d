"""A group's one confirmation mail: to whoever booked, listing every member by position."""

from datetime import date

import pytest

from reservations import notifications, services
from reservations.group import GroupContact, reservation_create_group
from tests.factories import SlotFactory, details, health_centre
from tests.reservations.smtp import smtp_server, use_smtp
from tests.reservations.test_notifications import _mail_settings, lung  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    with smtp_server() as server:
        use_smtp(settings, server.port)
        yield server


def _book(lung, language="ja"):  # noqa: F811
    slot = SlotFactory(screening_type=lung, venue=health_centre(), capacity=1)
    SlotFactory(screening_type=lung, venue=slot.venue, starts_at=slot.starts_at.replace(minute=30))
    people = [
        details(name="山田 太郎", furigana="ヤマダ タロウ", birth_date=date(1950, 6, 1), sex="M"),
        details(name="山田 花子", furigana="ヤマダ ハナコ", birth_date=date(1952, 8, 3)),
    ]
    return reservation_create_group(
        slots=[slot],
        people=people,
        contact=GroupContact(name="山田 一郎", phone="090-1234-5678", email="ichiro@example.jp"),
        language=language,
    )


def test_the_contact_gets_one_mail_listing_every_member_and_no_names(smtp, lung):  # noqa: F811
    result = _book(lung)
    assert notifications.send_due().sent == 1
    (received,) = smtp.messages
    assert received.rcpt_tos == ["ichiro@example.jp"]
    assert "2人分のご予約" in received.subject
    for part in (received.text, received.html):
        assert "1人目" in part and "2人目" in part
        for member in result.reservations:
            assert member.display_number in part
        assert "9:00〜9:30" in part and "9:30〜10:00" in part
        for personal in ("山田", "ヤマダ", "1950", "090-1234-5678"):
            assert personal not in part


def test_english_group_mail_is_in_english(smtp, lung):  # noqa: F811
    _book(lung, language="en")
    notifications.send_due()
    (received,) = smtp.messages
    assert received.subject.startswith("[") and "Booked for 2 people" in received.subject
    assert "Person 2" in received.text


def test_a_member_cancelling_tells_the_contact_about_that_booking_only(smtp, lung):  # noqa: F811
    result = _book(lung)
    notifications.send_due()
    services.reservation_cancel(reservation=result.reservations[1])
    notifications.send_due()
    assert len(smtp.messages) == 2
    cancelled = smtp.messages[1]
    assert cancelled.rcpt_tos == ["ichiro@example.jp"]
    assert result.reservations[1].display_number in cancelled.text
    assert result.reservations[0].display_number not in cancelled.text

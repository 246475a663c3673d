"""Calling a session off: preview, second confirmation, one transaction, mail or call list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.context import AuditContext
from audit.models import AuditEvent
from exports import csvfile
from exports.services import _delta_changes
from reception import services
from reservations import services as booking
from reservations.models import Notification, Reservation, Slot
from reservations.queries import month_slots
from tests.factories import SlotFactory, VenueFactory, details, local_dt
from tests.reception.conftest import book
from tests.reservations.race import person, race

pytestmark = pytest.mark.django_db

URL = "/staff/reception/call-off/"


@pytest.fixture
def future_day(db):
    """Two sessions at one venue a week from now, and one at another venue that day."""
    day = timezone.localdate() + timedelta(days=7)
    venue = VenueFactory()
    first = SlotFactory(venue=venue, starts_at=local_dt(day, 9))
    second = SlotFactory(venue=venue, starts_at=local_dt(day, 10))
    elsewhere = SlotFactory(starts_at=local_dt(day, 9), screening_type=first.screening_type)
    return {"day": day, "venue": venue, "first": first, "second": second, "elsewhere": elsewhere}


def form(future_day, **extra):
    return {"venue": future_day["venue"].pk, "day": future_day["day"].isoformat(), **extra}


def test_preview_counts_bookings_and_changes_nothing(reception, future_day):
    book([future_day["first"]], now=timezone.now(), furigana="ア ア")
    book([future_day["second"]], now=timezone.now(), furigana="イ イ")
    book([future_day["elsewhere"]], now=timezone.now(), furigana="ウ ウ")

    response = reception.get(URL, form(future_day))

    assert response.status_code == 200
    assert len(response.context["bookings"]) == 2 and len(response.context["slots"]) == 2
    assert Reservation.objects.filter(status="confirmed").count() == 3
    assert not Slot.objects.filter(called_off_at__isnull=False).exists()


def test_without_the_second_confirmation_nothing_is_called_off(reception, future_day):
    book([future_day["first"]], now=timezone.now())

    wrong_day = reception.post(URL, form(future_day, typed_day="2000-01-01", understood="on"))
    no_tick = reception.post(URL, form(future_day, typed_day=future_day["day"].isoformat()))

    assert wrong_day.status_code == 400 and no_tick.status_code == 400
    assert Reservation.objects.get().is_live
    assert not AuditEvent.objects.filter(action="reception.session.called_off").exists()


def test_calling_off_a_day_cancels_its_bookings_mails_and_lists_the_rest(reception, future_day):
    mailed = book([future_day["first"]], now=timezone.now(), furigana="ア ア")
    phoned = book(
        [future_day["second"]], now=timezone.now(), furigana="イ イ", email="", name="電話 太郎"
    )
    other = book([future_day["elsewhere"]], now=timezone.now(), furigana="ウ ウ")
    Notification.objects.all().delete()

    response = reception.post(
        URL, form(future_day, typed_day=future_day["day"].isoformat(), understood="on")
    )

    assert response.status_code == 302
    for reservation in (mailed, phoned):
        reservation.refresh_from_db()
        assert reservation.status == "cancelled" and reservation.cancel_reason == "called_off"
        assert not reservation.items.filter(is_live=True).exists()
    other.refresh_from_db()
    assert other.is_live
    for slot in (future_day["first"], future_day["second"]):
        slot.refresh_from_db()
        assert slot.called_off_at is not None and slot.booked == 0
    assert list(Notification.objects.values_list("reservation_id", "kind")) == [
        (mailed.pk, "called_off")
    ]
    event = AuditEvent.objects.get(action="reception.session.called_off")
    assert event.details["cancelled"] == 2 and event.details["mailed"] == 1
    assert event.details["on_call_list"] == 1

    call_list = reception.get(response["Location"])
    assert call_list.status_code == 200
    assert [r.pk for r in call_list.context["reservations"]] == [phoned.pk]
    assert "電話 太郎" in call_list.content.decode()
    listed = AuditEvent.objects.get(action="citizens.citizen.listed")
    assert listed.details["via"] == "call_off_call_list"
    assert listed.details["reservation_ids"] == [phoned.pk]


def test_a_called_off_session_takes_no_booking_and_is_hidden(future_day):
    services.call_off(
        venue=future_day["venue"],
        day=future_day["day"],
        slot_id=future_day["first"].pk,
        user=None,
        audit_context=AuditContext.system(),
    )
    with pytest.raises(booking.SlotFull):
        booking.reservation_create(slots=[future_day["first"]], details=details())
    shown = [s.id for s in month_slots(future_day["first"].screening_type, None)]
    assert future_day["first"].pk not in shown and future_day["second"].pk in shown
    with pytest.raises(services.NothingToCallOff):
        services.call_off(
            venue=future_day["venue"],
            day=future_day["day"],
            slot_id=future_day["first"].pk,
            user=None,
            audit_context=AuditContext.system(),
        )


def test_the_export_carries_the_cancellation_with_its_reason(future_day):
    reservation = book([future_day["first"]], now=timezone.now() - timedelta(days=1))
    start = timezone.now() - timedelta(minutes=1)
    services.call_off(
        venue=future_day["venue"],
        day=future_day["day"],
        user=None,
        audit_context=AuditContext.system(),
    )

    rows = list(_delta_changes(start, timezone.now() + timedelta(minutes=1)))
    values = [
        csvfile.csv_row(record, change=change, encoding="cp932")[0] for record, change in rows
    ]

    reason = csvfile.KEYS.index("cancel_reason")
    assert [(v[0], v[1], v[reason]) for v in values] == [
        (reservation.display_number, "取消", "中止")
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_booking_survives_calling_off_that_races_it_on_postgres():
    day = timezone.localdate() + timedelta(days=7)
    venue = VenueFactory()
    slot = SlotFactory(venue=venue, starts_at=local_dt(day, 9), capacity=30)

    def call():
        return services.call_off(
            venue=venue, day=day, user=None, audit_context=AuditContext.system()
        ).cancelled

    def attempt(n):
        return lambda: (
            booking.reservation_create(
                slots=[slot], details=booking.CitizenDetails(**person(n))
            ).reservation.number
        )

    outcomes = race([attempt(n) for n in range(12)] + [call])

    slot.refresh_from_db()
    assert slot.called_off_at is not None
    assert slot.booked == 0
    assert not Reservation.objects.filter(status="confirmed", items__slot=slot).exists()
    booked = [o for o in outcomes[:-1] if isinstance(o, str) and o.isdigit()]
    assert outcomes[-1] == len(booked)  # each booking that got in was called off
    assert set(outcomes[:-1]) <= set(booked) | {"SlotFull"}


@pytest.mark.parametrize("language, words", [("ja", "中止"), ("en", "called off")])
def test_the_called_off_mail_says_what_happened_and_how_to_rebook(future_day, language, words):
    from reservations.mail import build_message

    reservation = book([future_day["first"]], now=timezone.now())
    Reservation.objects.filter(pk=reservation.pk).update(language=language)
    services.call_off(
        venue=future_day["venue"],
        day=future_day["day"],
        user=None,
        audit_context=AuditContext.system(),
    )

    message = build_message(Notification.objects.get(kind="called_off"))

    assert words in message.subject.lower()
    assert words in message.body
    assert "http" in message.body  # the page to book again

"""Bookings for past days can no longer be moved (or changed) by residents."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import services
from tests.factories import SlotFactory
from tests.reception.conftest import book

pytestmark = pytest.mark.django_db


def test_a_booking_for_a_past_day_cannot_be_moved(today_day):
    reservation = book([today_day["lung9"]])
    later = SlotFactory(venue=today_day["venue"], screening_type=today_day["lung9"].screening_type)
    day_after = today_day["lung9"].starts_at + timedelta(days=1)

    with pytest.raises(services.NotCancellable):
        services.reservation_move(reservation=reservation, new_slots=[later], now=day_after)
    assert reservation.items.get().slot == today_day["lung9"]


def test_a_booking_for_a_past_day_cannot_be_cancelled_by_the_resident(today_day):
    reservation = book([today_day["lung9"]])
    with pytest.raises(services.NotCancellable):
        services.reservation_cancel(
            reservation=reservation, now=today_day["lung9"].starts_at + timedelta(days=1)
        )
    reservation.refresh_from_db()
    assert reservation.is_live and timezone.now()

"""No slot overbooked, no person booked twice, under real concurrency (threads, own connections).

Without the conditional UPDATE (or the database constraints) these tests overbook.
"""

import pytest

from reservations.models import Reservation, Slot
from tests.factories import SlotFactory
from tests.helpers import run_sqlite_probe
from tests.reservations.race import book_many, same_person_many, summarise


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_bookings_fill_ten_places_exactly_on_postgres():
    slot = SlotFactory(capacity=10)
    outcomes = summarise(book_many(slot, 50))
    slot.refresh_from_db()
    assert outcomes == {"booked": 10, "SlotFull": 40}
    assert slot.booked == 10
    assert Reservation.objects.filter(items__slot=slot).count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_double_submit_race_yields_one_reservation_on_postgres():
    slot = SlotFactory(capacity=10)
    numbers = same_person_many(slot, 10, same_token=True)
    slot.refresh_from_db()
    assert len(set(numbers)) == 1 and str(numbers[0]).isdigit()
    assert Reservation.objects.filter(items__slot=slot).count() == 1
    assert slot.booked == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_person_in_many_tabs_gets_one_booking_on_postgres():
    slot = SlotFactory(capacity=10)
    outcomes = summarise(same_person_many(slot, 10, same_token=False))
    slot.refresh_from_db()
    assert outcomes["booked"] == 1
    assert outcomes["AlreadyBooked"] == 9
    assert slot.booked == 1


def test_file_sqlite_survives_the_same_race(tmp_path):
    """The same races against a file-based SQLite database, in a subprocess."""
    report = run_sqlite_probe("tests.reservations.probe_sqlite", tmp_path / "race.sqlite3")
    assert report["crowd"] == {"booked": 10, "SlotFull": 40}
    assert report["booked"] == 10
    assert report["reservations"] == 10
    assert len(report["twin_numbers"]) == 1 and report["twin_numbers"][0].isdigit()
    assert report["twin_reservations"] == 1
    assert report["tabs"] == {"booked": 1, "AlreadyBooked": 9}
    assert report["tabs_reservations"] == 1
    assert report["tabs_booked"] == 1


@pytest.mark.django_db
def test_database_refuses_overbooking_even_when_code_forgets():
    from django.db import IntegrityError, transaction
    from django.db.models import F

    slot = SlotFactory(capacity=1)
    Slot.objects.filter(pk=slot.pk).update(booked=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)

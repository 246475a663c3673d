"""Migration reservations 0005 and `rekey_persons`: stored person keys computed again.

Before 0005 a booking's person key was "ヤマダ・ハナコ|1970-05-01". The migration stores the
keyed hash of the new folding instead, keeps every live booking when two become one
person's (and names them by reservation number), and can be reversed.
"""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.models import AuditEvent
from citizens.models import Citizen, legacy_person_identity, person_key
from reservations import services
from reservations.eligibility import eligibility_reasons
from reservations.models import ReservationItem
from reservations.person_keys import double_booking_lines, person_keys_rekey
from tests.factories import SlotFactory, VenueFactory, details

BORN = date(1970, 5, 1)
BEFORE = ("reservations", "0004_screening_history")
AFTER = ("reservations", "0005_person_key_hashed")


def booked_before_0005(furigana, slot=None, *, cancelled=False):
    """A booking as the old code stored it: its key readable, 「・」 kept."""
    reservation = services.reservation_create(
        slots=[slot or SlotFactory(venue=VenueFactory())],
        # Another person at first, so that the new rules let a second booking in.
        details=details(furigana=f"ダミー{ReservationItem.objects.count()}"),
    ).reservation
    Citizen.objects.filter(pk=reservation.citizen_id).update(furigana=furigana)
    if cancelled:
        services.reservation_cancel(reservation=reservation)
    reservation.items.update(person_key=legacy_person_identity(furigana, BORN))
    return reservation


def key_of(reservation):
    return ReservationItem.objects.get(reservation=reservation).person_key


@pytest.mark.django_db
def test_readable_keys_become_keyed_hashes_of_the_new_folding():
    plain = booked_before_0005("スズキ イチロウ")
    dotted = booked_before_0005("マリア・ガルシア")
    cancelled = booked_before_0005("ヤマダ・ハナコ", cancelled=True)

    result = person_keys_rekey()

    assert result.items == 3 and result.double_bookings == []
    assert key_of(plain) == person_key("スズキイチロウ", BORN)
    assert key_of(dotted) == person_key("マリアガルシア", BORN)
    assert key_of(cancelled) == person_key("ヤマダハナコ", BORN)
    assert not ReservationItem.objects.filter(person_key__contains="|").exists()
    # Run again: nothing left to change.
    assert person_keys_rekey().items == 0


@pytest.mark.django_db
def test_two_live_bookings_that_become_one_persons_are_kept_and_reported():
    slot = SlotFactory()
    dotted = booked_before_0005("ヤマダ・ハナコ", slot)
    plain = booked_before_0005("ヤマダハナコ", SlotFactory(venue=VenueFactory()))
    spaced = booked_before_0005("ヤマダハナ・コ", SlotFactory(venue=VenueFactory()))

    result = person_keys_rekey()  # the constraint would refuse one key for all three

    assert ReservationItem.objects.filter(is_live=True).count() == 3
    # The booking already spelled the new way takes the key; the others keep the key of
    # their own spelling, which the constraint allows.
    assert key_of(plain) == person_key("ヤマダハナコ", BORN)
    assert len({key_of(dotted), key_of(plain), key_of(spaced)}) == 3
    [double] = result.double_bookings
    assert double.reservation_numbers == (
        plain.display_number,
        dotted.display_number,
        spaced.display_number,
    )
    [line] = double_booking_lines(result)
    assert plain.display_number in line and "ヤマダ" not in line and "1970" not in line
    # Each spelling still finds its booking: no third one can be added.
    later = SlotFactory(venue=VenueFactory(), starts_at=slot.starts_at + timedelta(days=1))
    for spelling in ("ヤマダ・ハナコ", "ヤマダハナコ", "ヤマダハナ・コ"):
        reasons = eligibility_reasons(slot=later, person=details(furigana=spelling))
        assert [r.code for r in reasons] == ["already_booked"], spelling
    # Still so for the old spelling once staff cancel the booking that holds the key.
    services.reservation_cancel(reservation=plain)
    reasons = eligibility_reasons(slot=later, person=details(furigana="ヤマダ・ハナコ"))
    assert [r.code for r in reasons] == ["already_booked"]


@pytest.mark.django_db(transaction=True)
def test_migration_0005_rekeys_forwards_and_restores_readable_keys_backwards(capsys):
    slot = SlotFactory()
    dotted = booked_before_0005("ヤマダ・ハナコ", slot)
    plain = booked_before_0005("ヤマダハナコ", SlotFactory(venue=VenueFactory()))
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([BEFORE])
        assert key_of(dotted) == "ヤマダ・ハナコ|1970-05-01"  # what 0004 had

        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        assert key_of(plain) == person_key("ヤマダハナコ", BORN)
        assert "|" not in key_of(dotted)
        printed = capsys.readouterr().out
        assert "reservations 0005" in printed and dotted.display_number in printed

        executor = MigrationExecutor(connection)
        executor.migrate([BEFORE])
        assert key_of(dotted) == "ヤマダ・ハナコ|1970-05-01"
        assert key_of(plain) == "ヤマダハナコ|1970-05-01"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_rekey_persons_after_a_secret_key_rotation(settings):
    reservation = services.reservation_create(
        slots=[SlotFactory()], details=details(furigana="ヤマダ・ハナコ")
    ).reservation
    old = key_of(reservation)
    settings.SECRET_KEY = "another-secret-key-after-rotation-" + "x" * 40
    assert person_key("ヤマダハナコ", BORN) != old  # the booking is no longer recognised

    out = StringIO()
    call_command("rekey_persons", stdout=out)

    assert key_of(reservation) == person_key("ヤマダハナコ", BORN)
    assert out.getvalue().strip() == "rekey_persons: items=1 double_bookings=0"
    event = AuditEvent.objects.get(action="reservations.person_keys.rekeyed")
    assert event.details == {"items": 1, "double_bookings": 0}
    assert timezone.now() - event.at < timedelta(minutes=1)

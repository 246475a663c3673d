"""A group is booked all or nothing, even while single bookers race it for the same places."""

import time

import pytest

from reservations import services
from reservations.group import GroupContact, reservation_create_group
from reservations.models import Reservation, ReservationGroup
from tests.factories import ScreeningTypeFactory, VenueFactory
from tests.reservations.race import person, race
from tests.reservations.test_group import session


def _group_attempt(slot, offset):
    people = [services.CitizenDetails(**person(offset + i)) for i in range(3)]

    def attempt():
        result = reservation_create_group(
            slots=[slot], people=people, contact=GroupContact(name="代表 者", phone="0484812211")
        )
        return f"group:{len(result.reservations)}"

    return attempt


def _single_attempt(slot, n, delay):
    def attempt():
        time.sleep(delay)
        return services.reservation_create(
            slots=[slot], details=services.CitizenDetails(**person(n))
        ).reservation.number

    return attempt


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
# The group's checks take longer than a single booking's: without a head start it
# mostly loses; with one (the singles start up to 60 ms late) it mostly wins, and some
# rounds land in between, the singles' UPDATEs queued behind the group's locks.
@pytest.mark.parametrize("singles_delay", [0, 0, 0.02, 0.03, 0.04, 0.06])
def test_group_of_three_racing_single_bookers_for_the_last_places_gets_all_or_none(
    singles_delay,
):
    screening = ScreeningTypeFactory()
    venue = VenueFactory()
    # Three places left in the session: one at 9:00, the last two at 9:30. The group
    # needs all three; four single bookers want the two at 9:30.
    chosen, last_two = session([1, 2], screening=screening, venue=venue)
    attempts = [_group_attempt(chosen, 100)] + [
        _single_attempt(last_two, n, singles_delay) for n in range(4)
    ]
    outcomes = race(attempts)
    group_outcome, singles = outcomes[0], outcomes[1:]
    members = Reservation.objects.filter(group__isnull=False).count()
    booked_singles = sum(1 for o in singles if str(o).isdigit())
    if group_outcome == "group:3":
        assert members == 3 and booked_singles == 0
        assert ReservationGroup.objects.count() == 1
    else:
        assert group_outcome == "GroupDoesNotFit"
        assert members == 0 and ReservationGroup.objects.count() == 0
        assert booked_singles == 2
    for slot in (chosen, last_two):
        slot.refresh_from_db()
        assert slot.booked == Reservation.objects.filter(items__slot=slot).count()
        assert slot.booked <= slot.capacity

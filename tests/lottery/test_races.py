"""Races on PostgreSQL: applications against the window's close and the draw, two draws,
the same person applying twice at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lottery import services
from lottery.models import Application
from tests.factories import SlotFactory
from tests.lottery.helpers import make_round, person
from tests.reservations.race import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _attempt(round_, slot, n, now):
    def attempt():
        return services.application_create(
            round_=round_,
            details=person(n),
            screening_ids=[slot.screening_type_id],
            preferences=[services.PreferenceChoice(slot_ids=(slot.pk,))],
            now=now,
        )

    return attempt


def test_applications_racing_the_close_either_take_part_in_the_draw_or_are_refused():
    slot = SlotFactory(capacity=3)
    round_ = make_round([slot], closes_in=timedelta(seconds=30))
    close_at = round_.closes_at
    before = close_at - timedelta(microseconds=1)
    attempts = [_attempt(round_, slot, n, before) for n in range(12)]
    attempts += [lambda: services.round_draw(round_id=round_.pk, now=close_at)]
    outcomes = race(attempts)
    assert isinstance(outcomes[-1], services.DrawSummary), outcomes[-1]
    applied = [o for o in outcomes[:-1] if isinstance(o, Application)]
    assert all(isinstance(o, Application) or o == "RoundNotOpen" for o in outcomes[:-1])
    # Nothing committed after the draw read the applications: every live one was drawn.
    assert not Application.objects.filter(status="live", draw_position=None).exists()
    assert Application.objects.count() == len(applied) == outcomes[-1].applications
    slot.refresh_from_db()
    assert slot.booked == min(3, len(applied))


def test_an_application_after_the_close_is_refused():
    slot = SlotFactory()
    round_ = make_round([slot])
    late = round_.closes_at + timedelta(microseconds=1)
    assert race([_attempt(round_, slot, 1, late)]) == ["RoundNotOpen"]


def test_two_draws_at_once_draw_once():
    slot = SlotFactory(capacity=2)
    round_ = make_round([slot])
    for n in range(4):
        _attempt(round_, slot, n, None)()
    after = round_.closes_at + timedelta(seconds=1)
    outcomes = race([lambda: services.round_draw(round_id=round_.pk, now=after)] * 2)
    assert sorted(type(o).__name__ if not isinstance(o, str) else o for o in outcomes) == [
        "AlreadyDrawn",
        "DrawSummary",
    ]
    slot.refresh_from_db()
    assert slot.booked == 2


def test_the_same_person_applying_twice_at_once_gets_one_application():
    slot = SlotFactory()
    round_ = make_round([slot])
    now = timezone.now()
    outcomes = race([_attempt(round_, slot, 7, now), _attempt(round_, slot, 7, now)])
    assert sorted(o if isinstance(o, str) else "Application" for o in outcomes) == [
        "AlreadyApplied",
        "Application",
    ]

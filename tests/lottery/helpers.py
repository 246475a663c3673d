"""Shaping lottery test data: a round over some slots, applicants, preferences."""

from datetime import date, timedelta

from django.utils import timezone

from lottery import services
from lottery.models import Round
from tests.factories import details


def make_round(slots, *, opens_in=timedelta(hours=-1), closes_in=timedelta(hours=1), **fields):
    """A round holding exactly `slots` (their screenings and venues), window open now."""
    now = timezone.now()
    values = {
        "name": "乳がん検診 抽選",
        "name_en": "Breast screening lottery",
        "opens_at": now + opens_in,
        "closes_at": now + closes_in,
        "draw_at": now + closes_in,
        "first_come_at": now + closes_in + timedelta(days=1),
    }
    values.update(fields)
    round_ = Round(**values)
    services.round_seal_seed(round_)
    round_.save()
    round_.screening_types.set({s.screening_type_id for s in slots})
    round_.venues.set({s.venue_id for s in slots})
    services.round_assign_slots(round_=round_)
    return round_


def person(n, **overrides):
    kana = (
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
    )
    values = {
        "name": f"試験 {n}",
        "furigana": f"シケン {kana[n % len(kana)]}{kana[(n // len(kana)) % len(kana)]}",
        "birth_date": date(1960, 1 + n % 12, 1 + n % 28),
        "email": f"p{n}@example.jp",
    }
    values.update(overrides)
    return details(**values)


def apply(round_, slot_prefs, *, n=0, **kwargs):
    """Person `n` applies for the screening of the first slot with slot preferences."""
    first = slot_prefs[0] if isinstance(slot_prefs[0], list) else [slot_prefs[0]]
    choices = [
        services.PreferenceChoice(slot_ids=tuple(s.pk for s in (p if isinstance(p, list) else [p])))
        for p in slot_prefs
    ]
    return services.application_create(
        round_=round_,
        details=kwargs.pop("person", None) or person(n),
        screening_ids=[s.screening_type_id for s in first],
        preferences=choices,
        **kwargs,
    )


def close(round_):
    """Move the window into the past so the round can be drawn."""
    now = timezone.now()
    Round.objects.filter(pk=round_.pk).update(
        opens_at=now - timedelta(hours=2),
        closes_at=now - timedelta(minutes=1),
        draw_at=now - timedelta(minutes=1),
    )
    round_.refresh_from_db()

"""Whether a lottery round holds a slot now: the one question reservations asks lottery.

From a round's window opening until its first-come opening, its slots cannot be booked
first-come (reservations.services.refuse_if_held_for_lottery asks here); the pages say so
with lottery.templatetags.lottery.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lottery.models import Round
from reservations.display import datetime_text
from reservations.eligibility import Reason
from reservations.precompiled import Precompiled, Value


def rounds_holding(now: datetime) -> QuerySet[Round]:
    """Rounds whose window has opened and whose places are not yet open first-come."""
    return Round.objects.filter(opens_at__lte=now, first_come_at__gt=now)


def first_come_of(slot_ids: Iterable[int], now: datetime) -> dict[int, datetime]:
    """For those of `slot_ids` a round holds now: when their places open first-come (one
    query; the availability page shows them as not open until then)."""
    from lottery.models import RoundSlot

    return dict(
        RoundSlot.objects.filter(
            slot_id__in=list(slot_ids), round__in=rounds_holding(now)
        ).values_list("slot_id", "round__first_come_at")
    )


def held_before_draw(slot_id: int, now: datetime) -> bool:
    """Whether a round holds `slot_id` now and has not been drawn: its places belong to
    the draw, not to a waiting list (after the draw, losers' offers may take them)."""
    return rounds_holding(now).filter(round_slots__slot_id=slot_id, drawn_at__isnull=True).exists()


def _holding_query(*, now: datetime, **slot_ids: int) -> QuerySet[Round]:
    return rounds_holding(now).filter(round_slots__slot_id__in=list(slot_ids.values()))[:1]


# Compiled once per number of slots (reservations.precompiled): every booking step asks,
# and most of the year no round holds anything.
_HOLDING = Precompiled(_holding_query)


def holding_reason(slot_ids: Iterable[int], now: datetime) -> Reason | None:
    values: dict[str, Value] = {f"slot{i}": pk for i, pk in enumerate(slot_ids)}
    if not values:
        return None
    held = _HOLDING.objects(now=now, **values)
    if not held:
        return None
    return Reason("held_for_lottery", held_message(held[0]))


def held_message(held: Round) -> str:
    return _(
        "This time is allocated by lottery: applications from %(opens)s to %(closes)s, "
        "draw on %(draw)s. Places left after the draw can be booked from %(first_come)s."
    ) % {
        "opens": datetime_text(held.opens_at),
        "closes": datetime_text(held.closes_at),
        "draw": datetime_text(held.draw_at),
        "first_come": datetime_text(held.first_come_at),
    }

"""Counts of a round for staff and the public page: no personal data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lottery.models import Application, Round, RoundSlot
from reservations.models import Slot


@dataclass
class SlotLine:
    slot: Slot
    places: int | None
    winners: int


@dataclass
class RoundStatistics:
    applications: int = 0
    withdrawn: int = 0
    places: int = 0
    winners: int = 0
    lost: int = 0
    void: int = 0
    by_rank: dict[int, int] = field(default_factory=dict)
    by_first_choice: int = 0
    slots: list[SlotLine] = field(default_factory=list)


def round_statistics(round_: Round) -> RoundStatistics:
    """Applications (live, withdrawn), places at the draw, winners per slot and per
    preference rank, lost and void."""
    stats = RoundStatistics()
    rows = list(round_.applications.values_list("status", "result", "won_rank", "won_slot_ids"))
    per_slot: Counter[int] = Counter()
    for status, result, rank, won in rows:
        if status == Application.Status.WITHDRAWN:
            stats.withdrawn += 1
            continue
        stats.applications += 1
        if result == Application.Result.WON:
            stats.winners += 1
            stats.by_rank[rank or 0] = stats.by_rank.get(rank or 0, 0) + 1
            per_slot.update(won)
        elif result == Application.Result.LOST:
            stats.lost += 1
        elif result == Application.Result.VOID:
            stats.void += 1
    stats.by_rank = dict(sorted(stats.by_rank.items()))
    for row in (
        RoundSlot.objects.filter(round=round_)
        .select_related("slot__venue")
        .order_by("slot__starts_at", "slot_id")
    ):
        places = row.places_at_draw if round_.drawn_at else row.slot.remaining
        stats.places += places or 0
        stats.slots.append(SlotLine(row.slot, places, per_slot[row.slot_id]))
    return stats

"""The draw as a pure function: seed and applications in, allocation out.

No database, no clock: the same seed and the same applications always give the same
result, which is what lets anyone recompute a published draw (docs/lottery.md, and
`manage.py lottery_verify`).

1. Order: each application's key is SHA-256(seed || number), the seed as its 32 raw
   bytes and the number as its 12 ASCII digits (no hyphens); ascending by that digest
   (as bytes; ties are impossible in practice and broken by the number).
2. Random serial dictatorship: in that order, each application gets its highest-ranked
   preference that can be met with the places still free. A preference is a list of
   groups, one per screening of the application; each group lists its candidate slots in
   order. It can be met if every group has a candidate with a free place; it then takes
   the first such candidate of each group (one place each). Otherwise the next
   preference is tried; if none can be met, the application loses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# A preference: one tuple of candidate slot ids per screening of the application.
Preference = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Entry:
    number: str  # 12 digits
    preferences: tuple[Preference, ...]  # best first


@dataclass(frozen=True)
class Outcome:
    number: str
    position: int  # 1-based place in the draw order
    rank: int | None  # which preference was won (1-based), None if lost
    slot_ids: tuple[int, ...]  # the places won, one per screening


def order_key(seed: bytes, number: str) -> bytes:
    return hashlib.sha256(seed + number.encode("ascii")).digest()


def draw_order(seed: bytes, numbers: Sequence[str]) -> list[str]:
    return sorted(numbers, key=lambda number: (order_key(seed, number), number))


def allocate(seed: bytes, entries: Sequence[Entry], places: Mapping[int, int]) -> list[Outcome]:
    """The outcome of every entry, in draw order. `places`: free places per slot id (a slot
    missing from it has none). Never gives out more than `places` of any slot."""
    free = dict(places)
    by_number = {entry.number: entry for entry in entries}
    if len(by_number) != len(entries):
        raise ValueError("application numbers must be unique")
    outcomes = []
    for position, number in enumerate(draw_order(seed, list(by_number)), start=1):
        won: tuple[int | None, tuple[int, ...]] = (None, ())
        for rank, preference in enumerate(by_number[number].preferences, start=1):
            chosen = _first_free(preference, free)
            if chosen is not None:
                for slot_id in chosen:
                    free[slot_id] -= 1
                won = (rank, chosen)
                break
        outcomes.append(Outcome(number, position, won[0], won[1]))
    return outcomes


def _first_free(preference: Preference, free: Mapping[int, int]) -> tuple[int, ...] | None:
    if not preference:
        return None
    chosen = []
    for candidates in preference:
        slot_id = next((s for s in candidates if free.get(s, 0) > 0), None)
        if slot_id is None:
            return None
        chosen.append(slot_id)
    if len(set(chosen)) != len(chosen):
        return None  # two screenings cannot share one slot
    return tuple(chosen)

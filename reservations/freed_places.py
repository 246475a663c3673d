"""Who is told, inside the same transaction, that places of some slots have become free.

reservations.services calls `places_freed` wherever a place goes back to the pool (a
cancellation, a move away, a screening taken out of a set, a capacity raised), still
inside the transaction that freed it: a listener (the waiting list, which registers
itself in its AppConfig.ready) can then hold the place for the next in line before any
first-come booker sees it, and its writes commit or roll back with the change.

A tiny registry rather than a signal: the call is explicit where the place is freed, and
the listeners are the few that registered, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol


class PlacesFreedListener(Protocol):
    def __call__(self, *, slot_ids: list[int], now: datetime) -> None: ...


_listeners: list[Callable[..., None]] = []


def register(listener: PlacesFreedListener) -> None:
    """Add `listener` (called with slot_ids=…, now=…); registering it twice is harmless."""
    if listener not in _listeners:
        _listeners.append(listener)


def unregister(listener: PlacesFreedListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def places_freed(*, slot_ids: Iterable[int], now: datetime) -> None:
    """Tell every listener that a place of each of `slot_ids` was freed just now.

    Called inside the freeing transaction; a listener that raises rolls the change back
    with it (the freed place is not lost to nobody), so listeners must only raise on
    real failures.
    """
    ids = sorted(set(slot_ids))
    if not ids:
        return
    for listener in list(_listeners):
        listener(slot_ids=ids, now=now)

"""The waiting room: who may start booking now, in arrival order, at the rate the site books.

When the room is on, a resident who opens a booking form takes a ticket: a signed value
(django.core.signing) with their number in the line and their arrival time, kept in a
cookie and in the waiting page's address — no session. Tickets are let in in number order:
the admission watermark, shared by every app server in the cache, rises by
WAITING_ROOM_ADMIT_PER_SECOND every second (a token bucket holding one second's worth, so
that when nobody is waiting a resident is let in at once). A ticket at or under the
watermark is admitted and stays admitted; a tampered, forged or expired ticket is refused
and its holder gets a new one, at the back.

The room is on
- always, with WAITING_ROOM_ALWAYS (an operator who expects a flood; the benchmark);
- for WAITING_ROOM_HOLD_SECONDS on every app server, once any process has more than
  WAITING_ROOM_MAX_IN_FLIGHT booking requests in hand at once (0: never);
- for a screening between the times of a WaitingRoomOpening set in the admin.

Fails open: with the cache down or not answering there is no shared line, so everyone is
let in (and a log line says so). Nothing personal is kept: the cache holds counters and the
openings, the ticket a number and a time.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

log = logging.getLogger("waitingroom")

TICKET_SALT = "waitingroom.ticket"
TICKET_MAX_AGE = 6 * 3600  # an opening's morning; an older ticket is refused
SEQUENCE_KEY = "waitingroom:sequence"  # tickets handed out so far
EPOCH_KEY = "waitingroom:epoch"  # changes when the cache lost the line (a restart)
MARK_KEY = "waitingroom:mark"  # (watermark, when it was computed)
LAST_TURN_KEY = "waitingroom:last-turn"  # the turn of the latest ticket handed out
# A turn is honoured this much early: app servers' clocks differ by a few milliseconds.
CLOCK_TOLERANCE = 0.1
SATURATED_KEY = "waitingroom:saturated-until"
OPENINGS_KEY = "waitingroom:openings"
OPENINGS_SECONDS = 60
SLOT_KEY = "waitingroom:slot:{}"  # slot id → screening id, for the openings
SLOT_SECONDS = 3600

# Wall-clock seconds, shared by every app server (patched by tests).
clock: Callable[[], float] = time.time


class Unavailable(Exception):
    """The cache that holds the line is down: the room fails open."""


def _shared(operation: Callable[[], Any]) -> Any:
    try:
        return operation()
    except Exception as exc:
        raise Unavailable(type(exc).__name__) from exc


# --- Tickets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    number: int  # place in the line
    arrived: float  # Unix seconds
    epoch: str  # the line it belongs to
    turn: float  # when it is let in (Unix seconds): see place_in_line

    def signed(self) -> str:
        return self._signed

    @cached_property  # once per ticket: the page's links and the cookie carry the same one
    def _signed(self) -> str:
        values = [self.number, round(self.arrived, 3), self.epoch, round(self.turn, 3)]
        return signing.dumps(values, salt=TICKET_SALT)

    @classmethod
    def from_signed(cls, value: str) -> Ticket | None:
        """The ticket, or None if it is missing, tampered with, forged or too old."""
        if not value or len(value) > 200:
            return None
        try:
            number, arrived, epoch, turn = signing.loads(
                value, salt=TICKET_SALT, max_age=TICKET_MAX_AGE
            )
            return cls(int(number), float(arrived), str(epoch), float(turn))
        except (signing.BadSignature, ValueError, TypeError):
            log.info("waitingroom.ticket.refused")
            return None


# --- When the room is on ------------------------------------------------------------------

_in_flight = 0
_in_flight_lock = threading.Lock()


class InFlight:
    """Counts this process's booking requests in hand (threads of a gthread worker)."""

    def __enter__(self) -> int:
        global _in_flight
        with _in_flight_lock:
            _in_flight += 1
            return _in_flight

    def __exit__(self, *exc: object) -> None:
        global _in_flight
        with _in_flight_lock:
            _in_flight -= 1


def saturated(in_flight: int) -> None:
    """This process has `in_flight` booking requests at once: beyond the setting, the room
    goes on everywhere for WAITING_ROOM_HOLD_SECONDS."""
    limit = settings.WAITING_ROOM_MAX_IN_FLIGHT
    if limit and in_flight > limit:
        until = clock() + settings.WAITING_ROOM_HOLD_SECONDS
        _shared(lambda: cache.set(SATURATED_KEY, until, settings.WAITING_ROOM_HOLD_SECONDS))
        log.info("waitingroom.saturated in_flight=%s", in_flight)


def openings_changed() -> None:
    """An opening was added, changed or deleted in the admin: read them again (after commit)."""

    def forget() -> None:
        try:
            cache.delete(OPENINGS_KEY)
        except Exception as exc:  # noqa: BLE001 - then the copy runs out within a minute
            log.warning("waitingroom.cache.unavailable: %s", type(exc).__name__)

    transaction.on_commit(forget)


def _openings(found: object) -> list[tuple[int, float, float]]:
    """(screening id, from, until) of the openings not over yet: `found` in the cache, or
    from the database."""
    if not isinstance(found, list):
        from waitingroom.models import WaitingRoomOpening

        found = [
            (screening, starts.timestamp(), ends.timestamp())
            for screening, starts, ends in WaitingRoomOpening.objects.filter(
                ends_at__gt=timezone.now()
            ).values_list("screening_id", "starts_at", "ends_at")
        ]
        _shared(lambda: cache.set(OPENINGS_KEY, found, OPENINGS_SECONDS))
    return list(found)


def _screening_of(slot_id: int) -> int | None:
    key = SLOT_KEY.format(slot_id)
    found = _shared(lambda: cache.get(key))
    if found is None:
        from reservations.models import Slot

        found = Slot.objects.filter(pk=slot_id).values_list("screening_type_id", flat=True).first()
        if found is None:
            return None  # no such slot: the booking view says so
        _shared(lambda: cache.set(key, found, SLOT_SECONDS))
    return int(found)


def is_on(slot_id: int) -> bool:
    """Whether booking `slot_id` goes through the line right now. Raises Unavailable."""
    if settings.WAITING_ROOM_ALWAYS:
        return True
    now = clock()
    found = _shared(lambda: cache.get_many([SATURATED_KEY, OPENINGS_KEY]))
    until = found.get(SATURATED_KEY)
    if isinstance(until, (int, float)) and until > now:
        return True
    openings = _openings(found.get(OPENINGS_KEY))
    active = {screening for screening, starts, ends in openings if starts <= now < ends}
    return bool(active) and _screening_of(slot_id) in active


# --- The line -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    ticket: Ticket
    admitted: bool
    ahead: int  # residents to be let in before this one
    wait_seconds: int  # until its turn


def _epoch(epoch: object = None) -> str:
    """The line's epoch (as read with the rest, or read now); a new one if it is gone."""
    if epoch is None:
        epoch = _shared(lambda: cache.get(EPOCH_KEY))
    if epoch is None:
        _shared(lambda: cache.add(EPOCH_KEY, secrets.token_hex(4), None))
        epoch = _shared(lambda: cache.get(EPOCH_KEY))
    return str(epoch)


def _take_number() -> int:
    def take() -> int:
        try:
            return int(cache.incr(SEQUENCE_KEY))
        except ValueError:  # the first ticket of this line
            cache.add(SEQUENCE_KEY, 0, None)
            return int(cache.incr(SEQUENCE_KEY))

    return int(_shared(take))


def _watermark(sequence: int, stored: object) -> float:
    """The highest ticket number let in by now, shared by every app server.

    It rises by the admission rate every second and runs at most one second's worth ahead
    of the tickets handed out, so that a quiet site lets a resident in at once but a burst
    cannot be let in all together. Each server computes it from the same stored value;
    when two write at once they write nearly the same number.
    """
    rate = settings.WAITING_ROOM_ADMIT_PER_SECOND
    now = clock()
    if isinstance(stored, tuple) and len(stored) == 2:
        mark, at = stored
    else:  # a new line: one second's worth may come in at once
        mark, at = float(sequence - 1 + rate), now
    mark = min(mark + max(now - at, 0.0) * rate, sequence + rate)
    if not isinstance(stored, tuple) or now - at >= 0.05:
        _shared(lambda: cache.set(MARK_KEY, (mark, now), None))
    return float(mark)


def place_in_line(signed: str) -> Place:
    """Where the holder of `signed` (a ticket, or "" for none) stands; a new ticket at the
    back if theirs is missing or refused. Raises Unavailable (the caller fails open).

    A new ticket gets its turn: when the watermark will reach its number (the rate), but
    never before the turn of the ticket handed out just before it, and a whole number of
    seconds after its arrival. Browsers come back after Retry-After whole seconds, so
    turns on the same fraction of a second as the arrival bring each one back right on its
    turn, in ticket order, instead of anywhere within the second after it (where the
    next ones would overtake it).
    """
    now = clock()
    keys = [EPOCH_KEY, SEQUENCE_KEY, MARK_KEY, LAST_TURN_KEY]
    found = _shared(lambda: cache.get_many(keys))  # one round trip for the line's state
    epoch = _epoch(found.get(EPOCH_KEY))
    ticket = Ticket.from_signed(signed)
    if ticket is None or ticket.epoch != epoch:
        number = _take_number()
        mark = _watermark(number, found.get(MARK_KEY))
        rate = settings.WAITING_ROOM_ADMIT_PER_SECOND
        due = now + max(number - mark, 0.0) / rate
        last = found.get(LAST_TURN_KEY)
        after = max(due, float(last) if isinstance(last, (int, float)) else 0.0)
        turn = now + max(math.ceil(after - now - 1e-6), 0)
        _shared(lambda: cache.set(LAST_TURN_KEY, turn, TICKET_MAX_AGE))
        ticket = Ticket(number, now, epoch, turn)
    else:
        sequence = found.get(SEQUENCE_KEY) or ticket.number
        mark = _watermark(max(int(sequence), ticket.number), found.get(MARK_KEY))
    if now >= ticket.turn - CLOCK_TOLERANCE:
        return Place(ticket, True, 0, 0)
    ahead = max(math.ceil(ticket.number - mark) - 1, 0)
    return Place(ticket, False, ahead, max(math.ceil(ticket.turn - now - 1e-6), 1))

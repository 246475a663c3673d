"""Rate limits for the resident's look-up, kept in Django's cache.

A reservation number has 10^12 values and must be paired with the date of birth, but an
attacker who knows one number could still try birthdays. So wrong guesses are counted per
client address and per reservation number, in the shared cache (Redis in production, so
every app server counts together). Once either count reaches its limit, every look-up from
that client or of that number is refused until the window has passed, even a correct one:
otherwise the refusal itself would confirm a guess.

Counts are fixed windows that start at the first failure; the keys hold keyed hashes of
the number and of the client's address, never either itself, and no personal data at all.

Without the shared counter there is no limit, so when the cache is down or does not answer
every function here raises CounterUnavailable and the look-up is refused (503) rather than
allowing unlimited guesses.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from core.client import client_ip

log = logging.getLogger("reservations.ratelimit")
T = TypeVar("T")


class CounterUnavailable(Exception):
    """The shared cache that holds the counts is down or did not answer in time."""


def _shared(operation: Callable[[], T]) -> T:
    """`operation()` on the cache; any cache failure becomes CounterUnavailable."""
    try:
        return operation()
    except Exception as exc:  # whatever the backend raises (re-raised): no counter
        log.warning("reservations.ratelimit.unavailable: %s", type(exc).__name__)
        raise CounterUnavailable from exc


def _window_seconds() -> int:
    return max(int(settings.LOOKUP_FAILURE_WINDOW.total_seconds()), 1)


def _digest(kind: str, value: str) -> str:
    # Keyed, so that the cache (a Redis others may read) holds neither a reservation
    # number nor a client's address, nor anything a dictionary of either could reverse.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{kind}:{value}".encode()).hexdigest()[:32]


def _client_key(request: HttpRequest) -> str:
    # The address as the audit trail and the allow-list see it; unknown counts as one client.
    return "lookup-fail:client:" + _digest("client", client_ip(request) or "unknown")


def _number_key(number: str) -> str:
    return "lookup-fail:number:" + _digest("number", number)


def _count(key: str) -> int:
    return int(_shared(lambda: cache.get(key)) or 0)


def _increment(key: str) -> None:
    # add() starts the window only if no window is running; incr() is atomic in Redis
    # and in the local-memory cache.
    def increment() -> None:
        cache.add(key, 0, _window_seconds())
        try:
            cache.incr(key)
        except ValueError:  # the window expired between add() and incr()
            cache.set(key, 1, _window_seconds())

    _shared(increment)


def client_blocked(request: HttpRequest) -> bool:
    return _count(_client_key(request)) >= settings.LOOKUP_MAX_FAILURES_PER_CLIENT


def number_blocked(number: str) -> bool:
    return _count(_number_key(number)) >= settings.LOOKUP_MAX_FAILURES_PER_NUMBER


def record_failure(request: HttpRequest, number: str) -> None:
    """One wrong guess: counts against the client and against the number.

    Raises CounterUnavailable when the cache fails (as client_blocked and number_blocked do).
    """
    _increment(_client_key(request))
    _increment(_number_key(number))


def retry_after_seconds() -> int:
    return _window_seconds()

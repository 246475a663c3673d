"""Run many booking attempts at once, each thread on its own database connection.

Used by the concurrency tests in-process (PostgreSQL) and by `probe_sqlite.py` in a
subprocess (file-based SQLite), so both databases face the very same race.
"""

import threading
from collections import Counter
from datetime import date

from django.db import connections

from reservations import services


def race(attempts, *, timeout=120):
    """Start every callable in `attempts` at the same instant; return their outcomes.

    An outcome is the return value, or the exception's class name if it raised.
    """
    barrier = threading.Barrier(len(attempts))
    outcomes = [None] * len(attempts)

    def run(index, attempt):
        try:
            barrier.wait()
            outcomes[index] = attempt()
        except Exception as exc:
            outcomes[index] = type(exc).__name__
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes


def person(n):
    # Distinct people: the katakana differs, the birthday too.
    kana = (
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
    )
    return dict(
        name=f"試験 {n}",
        furigana=f"シケン {kana[n % len(kana)]}{kana[(n // len(kana)) % len(kana)]}",
        birth_date=date(1960, 1 + n % 12, 1 + n % 28),
        sex="F",
        postal_code="3520001",
        address="新座市野火止1-2-3",
        phone="048-481-0000",
        email=f"p{n}@example.jp",
    )


def book_many(slot, count):
    """`count` different people try to book `slot` at once."""

    def attempt(n):
        return lambda: (
            services.reservation_create(
                slots=[slot], details=services.CitizenDetails(**person(n))
            ).reservation.number
        )

    return race([attempt(n) for n in range(count)])


def same_person_many(slot, count, *, same_token, who=999):
    """One person submits `count` times at once (double clicks, or several tabs)."""
    details = services.CitizenDetails(**person(who))

    def attempt(n):
        token = "one-form-token" if same_token else f"tab-{n}"
        return lambda: (
            services.reservation_create(
                slots=[slot], details=details, form_token=token
            ).reservation.number
        )

    return race([attempt(n) for n in range(count)])


def summarise(outcomes):
    return Counter("booked" if str(o).isdigit() else o for o in outcomes)

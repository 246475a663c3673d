"""Booking throughput of the service layer under contention (opening-day rush).

    python bench/bench_booking.py [--threads 16] [--bookings 3000] [--slots 100]

Uses a throwaway database: on PostgreSQL (BENCH_DATABASE_URL, or DATABASE_URL pointing at a
postgres server) a fresh database named kenshin_bench_booking is created and dropped; with
neither, a temporary SQLite file. Each thread books distinct people into randomly chosen
slots of one screening until every attempt is spent. Prints bookings/minute, the outcome
counts and the latency percentiles, and checks that no slot ended overbooked.
Bounded: a fixed number of attempts, and a 300-second wall-clock limit.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def choose_database():
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base, _, _name = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS kenshin_bench_booking")
            conn.execute("CREATE DATABASE kenshin_bench_booking")
        return f"{base}/kenshin_bench_booking", lambda: _drop_pg(base)
    path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    return f"sqlite:///{path}", lambda: None


def _drop_pg(base):
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS kenshin_bench_booking")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--bookings", type=int, default=3000, help="booking attempts in all")
    parser.add_argument("--slots", type=int, default=100)
    parser.add_argument("--capacity", type=int, default=25)
    args = parser.parse_args()

    url, cleanup = choose_database()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.models import F

    from reservations import services
    from reservations.models import Slot
    from tests.factories import SlotFactory, VenueFactory
    from tests.reservations.race import person

    try:
        call_command("migrate", verbosity=0)
        venue = VenueFactory()
        first = SlotFactory(venue=venue, capacity=args.capacity)
        slots = [first] + [
            SlotFactory(
                venue=venue,
                capacity=args.capacity,
                starts_at=first.starts_at + timedelta(minutes=30 * i),
            )
            for i in range(1, args.slots)
        ]
        attempts = iter(range(args.bookings))
        lock = threading.Lock()
        latencies, outcomes = [], {}
        deadline = time.monotonic() + 300

        def worker(seed):
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                with lock:
                    n = next(attempts, None)
                if n is None:
                    break
                details = services.CitizenDetails(**{**person(n), "furigana": f"ベンチ {n}"})
                started = time.perf_counter()
                try:
                    services.reservation_create(slots=[rng.choice(slots)], details=details)
                    outcome = "booked"
                except services.BookingError as exc:
                    outcome = type(exc).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
            connections.close_all()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started

        overbooked = Slot.objects.filter(booked__gt=F("capacity")).count()
        booked = outcomes.get("booked", 0)
        q = statistics.quantiles(latencies, n=100)
        print(
            f"bench_booking: {connection.vendor}, {args.threads} threads, "
            f"{len(latencies)} attempts on {args.slots} slots × {args.capacity} places "
            f"in {wall:.1f} s"
        )
        print(f"  outcomes: {outcomes}")
        print(
            f"  throughput: {booked / wall * 60:,.0f} bookings/minute "
            f"({len(latencies) / wall:,.0f} attempts/s)"
        )
        p50, p95, p99 = (q[i] * 1000 for i in (49, 94, 98))
        print(f"  latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")
        print(f"  overbooked slots: {overbooked}")
        return 1 if overbooked else 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())

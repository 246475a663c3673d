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
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import open_slots, percentiles_ms, person, run_threads, throwaway_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--bookings", type=int, default=3000, help="booking attempts in all")
    parser.add_argument("--slots", type=int, default=100)
    parser.add_argument("--capacity", type=int, default=25)
    args = parser.parse_args()

    url, cleanup = throwaway_database("kenshin_bench_booking")
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

    try:
        call_command("migrate", verbosity=0)
        slots = open_slots(args.slots, capacity=args.capacity)
        attempts = iter(range(args.bookings))
        lock = threading.Lock()
        latencies: list[float] = []
        outcomes: dict[str, int] = {}
        deadline = time.monotonic() + 300

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                with lock:
                    n = next(attempts, None)
                if n is None:
                    break
                started = time.perf_counter()
                try:
                    services.reservation_create(slots=[rng.choice(slots)], details=person(n))
                    outcome = "booked"
                except services.BookingError as exc:
                    outcome = type(exc).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
            connections.close_all()

        wall = run_threads(worker, args.threads)
        overbooked = Slot.objects.filter(booked__gt=F("capacity")).count()
        booked = outcomes.get("booked", 0)
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
        p50, p95, p99 = percentiles_ms(latencies)
        print(f"  latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")
        print(f"  overbooked slots: {overbooked}")
        return 1 if overbooked else 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())

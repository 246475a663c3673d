"""The waiting list under load: 500 cancellations whose places are offered and passed on.

    python bench/bench_waitlist.py [--cancellations 500] [--threads 8]

Uses a throwaway database (PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL points at
one, kenshin_bench_waitlist, else a temporary SQLite file). Two runs on fresh, full slots:
- baseline: the cancellations with no waiting list, while first-come bookers hammer the
  same slots;
- waiting list: the same, with twice as many entries as places waiting, residents
  confirming or declining their offers at random and two expiry workers expiring offers
  (as if a day had passed) at the same time.
Prints cancellations/s and latency for both side by side, the offers made, confirmed,
declined and expired, and the invariants checked afterwards: no slot oversold
(booked + held <= capacity), held = open offers, booked = live bookings, no entry with
two open offers. Exit status 1 if any is broken. Bounded: 300 s per run.
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
    parser.add_argument("--cancellations", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8, help="cancelling threads")
    parser.add_argument("--capacity", type=int, default=25)
    args = parser.parse_args()

    url, cleanup = throwaway_database("kenshin_bench_waitlist")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        base = run(args, waiting_list=False, first_person=0)
        with_list = run(args, waiting_list=True, first_person=100_000)
        problems = check()
        print(
            f"bench_waitlist: {connection.vendor}, {args.cancellations} cancellations, "
            f"{args.threads} cancelling threads + 4 first-come bookers"
        )
        print(f"  {'':22} {'baseline':>12} {'waiting list':>14}")
        print(f"  {'cancellations/s':22} {base['rate']:>12.1f} {with_list['rate']:>14.1f}")
        for label, index in (("p50 ms", 0), ("p95 ms", 1), ("p99 ms", 2)):
            print(
                f"  {'cancel ' + label:22} {base['latency'][index]:>12.1f} "
                f"{with_list['latency'][index]:>14.1f}"
            )
        print(f"  {'first-come booked':22} {base['first_come']:>12} {with_list['first_come']:>14}")
        print(
            f"  offers made {with_list['offers']}, confirmed {with_list['confirmed']}, "
            f"declined {with_list['declined']}, expired {with_list['expired']}, "
            f"still open {with_list['open']}"
        )
        print(
            f"  oversold slots: {problems['oversold']}; other broken invariants: "
            f"{problems['broken']}"
        )
        return 1 if problems["oversold"] or problems["broken"] else 0
    finally:
        cleanup()


def run(args: argparse.Namespace, *, waiting_list: bool, first_person: int) -> dict:
    from datetime import timedelta

    from django.db import connections
    from django.utils import timezone

    from reservations import freed_places
    from reservations import services as booking
    from reservations.models import Slot
    from waitlist import services
    from waitlist.listeners import offer_places_freed
    from waitlist.models import Offer

    count = -(-args.cancellations // args.capacity)
    slots = open_slots(count, capacity=args.capacity)
    reservations = [
        booking.reservation_create(
            slots=[slots[i % count]], details=person(first_person + i)
        ).reservation
        for i in range(count * args.capacity)
    ][: args.cancellations]
    if waiting_list:
        freed_places.register(offer_places_freed)
        for i in range(2 * args.cancellations):
            slot = slots[i % count]
            services.entry_join(
                screening_type=slot.screening_type,
                details=person(first_person + 50_000 + i),
                slots=[Slot.objects.get(pk=slot.pk)],
            )
    else:
        freed_places.unregister(offer_places_freed)
    random.Random(1).shuffle(reservations)
    todo = iter(reservations)
    lock = threading.Lock()
    latencies: list[float] = []
    done = threading.Event()
    stats = {"first_come": 0, "confirmed": 0, "declined": 0, "expired": 0}
    deadline = time.monotonic() + 300

    def canceller(_n: int) -> None:
        while time.monotonic() < deadline:
            with lock:
                reservation = next(todo, None)
            if reservation is None:
                break
            started = time.perf_counter()
            booking.reservation_cancel(reservation=reservation)
            with lock:
                latencies.append(time.perf_counter() - started)
        connections.close_all()

    def first_comer(n: int) -> None:
        rng, k = random.Random(n), 0
        while not done.is_set():
            k += 1
            try:
                booking.reservation_create(
                    slots=[rng.choice(slots)],
                    details=person(first_person + 200_000 + n * 10_000 + k),
                )
                with lock:
                    stats["first_come"] += 1
            except booking.BookingError:
                time.sleep(0.005)
        connections.close_all()

    def answerer(n: int) -> None:
        rng = random.Random(100 + n)
        while not done.is_set():
            ids = list(Offer.objects.filter(status="open").values_list("pk", flat=True)[:20])
            if not ids:
                time.sleep(0.01)
                continue
            offer = Offer.objects.get(pk=rng.choice(ids))
            time.sleep(0.01)  # a resident reading the page
            try:
                if rng.random() < 0.5:
                    services.offer_confirm(offer=offer)
                    key = "confirmed"
                else:
                    services.offer_decline(offer=offer)
                    key = "declined"
                with lock:
                    stats[key] += 1
            except booking.BookingError:
                pass
        connections.close_all()

    def expirer(_n: int) -> None:
        while not done.is_set():
            expired = services.offers_expire(now=timezone.now() + timedelta(hours=25))
            with lock:
                stats["expired"] += expired
            time.sleep(0.5)
        connections.close_all()

    helpers = [threading.Thread(target=first_comer, args=(n,), daemon=True) for n in range(4)]
    if waiting_list:
        helpers += [threading.Thread(target=answerer, args=(n,), daemon=True) for n in range(2)]
        helpers += [threading.Thread(target=expirer, args=(n,), daemon=True) for n in range(2)]
    for thread in helpers:
        thread.start()
    wall = run_threads(canceller, args.threads)
    done.set()
    for thread in helpers:
        thread.join()
    offers = Offer.objects.filter(slot__in=slots)
    return {
        "rate": len(latencies) / wall,
        "latency": percentiles_ms(latencies),
        "offers": offers.count(),
        "open": offers.filter(status="open").count(),
        **stats,
    }


def check() -> dict[str, int]:
    from django.db.models import Count, F, Q

    from reservations.models import Slot
    from waitlist.models import Offer, WaitlistEntry

    slots = Slot.objects.annotate(live=Count("items", filter=Q(items__is_live=True), distinct=True))
    oversold = slots.filter(booked__gt=F("capacity") - F("held")).count()
    broken = 0
    for slot in slots:
        open_offers = Offer.objects.filter(slot=slot, status="open").count()
        broken += slot.booked != slot.live or slot.held != open_offers
    broken += (
        WaitlistEntry.objects.annotate(n=Count("offers", filter=Q(offers__status="open")))
        .filter(n__gt=1)
        .count()
    )
    broken += Offer.objects.filter(status="confirmed", reservation__isnull=True).count()
    return {"oversold": oversold, "broken": broken}


if __name__ == "__main__":
    sys.exit(main())

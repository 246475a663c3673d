"""A lottery round's draw at scale: 2,000 applicants on 500 places (must be under a minute).

    python bench/bench_lottery.py [--applicants 2000] [--slots 50] [--capacity 10]

Uses a throwaway database (PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL points at
one, else a temporary SQLite file). Applicants each give three preferences (two times and
one day at a venue, at random with a fixed seed). Prints the time of the pure allocation,
of the whole draw (allocation, 500 bookings through reservation_create, results, mails,
audit), and beside it the baseline: booking the same number of places first-come, one
reservation_create after another. Exits non-zero if the draw takes a minute or more, or
if `lottery_verify` finds the published result does not recompute.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import open_slots, person, throwaway_database  # noqa: E402

LIMIT_SECONDS = 60


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--applicants", type=int, default=2000)
    parser.add_argument("--slots", type=int, default=50)
    parser.add_argument("--capacity", type=int, default=10)
    args = parser.parse_args()

    url, cleanup = throwaway_database("kenshin_bench_lottery")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from lottery import allocation, services
    from lottery.models import Application, Round
    from lottery.publication import verify_round
    from lottery.seed import open_seed
    from reservations import services as booking

    try:
        call_command("migrate", verbosity=0)
        # Round slots on days 14.., baseline slots a year later (other days, same sizes).
        round_slots = open_slots(args.slots, capacity=args.capacity, per_day=10)
        baseline_slots = open_slots(
            args.slots,
            capacity=args.capacity,
            per_day=10,
            first_day=timezone.localdate() + timedelta(days=200),
        )
        now = timezone.now()
        round_ = Round(
            name="ベンチ抽選",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(hours=1),
            draw_at=now + timedelta(hours=1),
            first_come_at=now + timedelta(days=1),
        )
        services.round_seal_seed(round_)
        round_.save()
        round_.screening_types.set({s.screening_type_id for s in round_slots})
        round_.venues.set({s.venue_id for s in round_slots})
        services.round_assign_slots(round_=round_)
        rng = random.Random(13)
        started = time.monotonic()
        for n in range(args.applicants):
            two = rng.sample(round_slots, 2)
            day = rng.choice(round_slots)
            services.application_create(
                round_=round_,
                details=person(n),
                screening_ids=[two[0].screening_type_id],
                preferences=[
                    services.PreferenceChoice(slot_ids=(two[0].pk,)),
                    services.PreferenceChoice(slot_ids=(two[1].pk,)),
                    services.PreferenceChoice(venue_id=day.venue_id, day=day.local_date),
                ],
            )
        applying = time.monotonic() - started
        Round.objects.filter(pk=round_.pk).update(
            closes_at=now, draw_at=now, opens_at=now - timedelta(hours=2)
        )

        # The pure allocation alone, on the entries the draw will see.
        seed = open_seed(bytes(round_.seed_ciphertext), round_.commitment)
        slots = services.round_slots(round_)
        live = Application.objects.filter(round=round_).prefetch_related(
            "screenings", "preferences__slots"
        )
        entries = [allocation.Entry(a.number, services._entry_preferences(a, slots)) for a in live]
        started = time.monotonic()
        allocation.allocate(seed, entries, {pk: s.remaining for pk, s in slots.items()})
        pure = time.monotonic() - started

        started = time.monotonic()
        summary = services.round_draw(round_id=round_.pk)
        draw = time.monotonic() - started

        started = time.monotonic()
        for n in range(summary.winners):
            slot = baseline_slots[n % len(baseline_slots)]
            booking.reservation_create(slots=[slot], details=person(100_000 + n))
        baseline = time.monotonic() - started

        round_.refresh_from_db()
        problems = verify_round(round_)
        print(
            f"lottery: {summary.applications} applications, {summary.places} places, "
            f"{summary.winners} won ({summary.by_rank}), {summary.lost} lost"
        )
        print(f"  applying (all {args.applicants}, one after another): {applying:.1f} s")
        print(f"  pure allocation:                      {pure * 1000:.0f} ms")
        print(f"  whole draw (one transaction):         {draw:.1f} s  (limit {LIMIT_SECONDS} s)")
        print(
            f"  baseline, {summary.winners} first-come bookings:    {baseline:.1f} s"
            f"  (draw = {draw / baseline:.2f} × baseline)"
        )
        print(f"  lottery_verify: {'ok' if not problems else problems[:3]}")
        return 0 if draw < LIMIT_SECONDS and not problems else 1
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


if __name__ == "__main__":
    sys.exit(main())

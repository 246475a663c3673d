"""Concurrency probe on a file-based SQLite database, run as a subprocess.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python -m tests.reservations.probe_sqlite

Migrates the file, races the booking service and prints one JSON line of results.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from reservations.models import Reservation, Slot  # noqa: E402
from tests.factories import SlotFactory  # noqa: E402
from tests.reservations.race import book_many, same_person_many, summarise  # noqa: E402


def main():
    call_command("migrate", verbosity=0)
    slot = SlotFactory(capacity=10)
    crowd = summarise(book_many(slot, 50))
    slot.refresh_from_db()
    twin_slot = SlotFactory(capacity=10, starts_at=slot.starts_at.replace(hour=11))
    twins = same_person_many(twin_slot, 10, same_token=True)
    tabs_slot = SlotFactory(capacity=10, starts_at=slot.starts_at.replace(hour=13))
    tabs = summarise(same_person_many(tabs_slot, 10, same_token=False, who=998))
    print(
        json.dumps(
            {
                "crowd": crowd,
                "booked": slot.booked,
                "reservations": Reservation.objects.filter(items__slot=slot).count(),
                "twin_numbers": sorted({str(o) for o in twins}),
                "twin_reservations": Reservation.objects.filter(items__slot=twin_slot).count(),
                "tabs": tabs,
                "tabs_reservations": Reservation.objects.filter(items__slot=tabs_slot).count(),
                "tabs_booked": Slot.objects.get(pk=tabs_slot.pk).booked,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())

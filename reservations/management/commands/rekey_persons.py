"""Compute every booking's person key again from its citizen, after SECRET_KEY was rotated.

    manage.py rekey_persons

The person key (フリガナ + 生年月日, the one-booking-per-year rule's and the live-booking
constraint's) is a keyed hash made with SECRET_KEY: after a rotation the stored keys no
longer match anyone until this has run. Audited with counts. Prints one summary line, and
one line per pair of live bookings that are now one person's (reservation numbers only).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reservations.person_keys import double_booking_lines, person_keys_rekey_audited


class Command(BaseCommand):
    help = "Recompute the person keys of all bookings (run after rotating SECRET_KEY)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = person_keys_rekey_audited()
        for line in double_booking_lines(result):
            self.stdout.write(line)
        self.stdout.write(
            f"rekey_persons: items={result.items} double_bookings={len(result.double_bookings)}"
        )

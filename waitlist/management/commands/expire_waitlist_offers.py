"""Expire unanswered waiting-list offers (passing each place on), close entries whose times
have all passed, delete entries past the retention period, then send due mail.

    manage.py expire_waitlist_offers            # one pass (ops' run_schedule, a timer)
    manage.py expire_waitlist_offers --loop     # keep going every --interval seconds

Safe to run twice at once: offers and mails are claimed with SKIP LOCKED. Prints one line.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from waitlist import housekeeping, mail, services


class Command(BaseCommand):
    help = "Expire waiting-list offers nobody answered and send the waiting list's mail."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true", help="repeat until interrupted")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds (--loop)")
        parser.add_argument("--max-passes", type=int, default=0, help="stop after N (--loop)")

    def handle(
        self, *args: Any, loop: bool, interval: float, max_passes: int, **options: Any
    ) -> None:
        if interval <= 0 or max_passes < 0:
            raise CommandError("--interval must be positive and --max-passes 0 or more.")
        passes = 0
        while True:
            expired = services.offers_expire()
            stale = housekeeping.entries_close_stale()
            purged = housekeeping.entries_purge()
            counts = mail.send_due()
            passes += 1
            self.stdout.write(
                f"expire_waitlist_offers: {expired} expired, {stale} stale entries closed, "
                f"{purged} purged, {counts['sent']} sent, {counts['retry']} to retry, "
                f"{counts['failed']} failed."
            )
            if not loop or (max_passes and passes >= max_passes):
                return
            time.sleep(interval)

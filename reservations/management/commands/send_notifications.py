"""Send the mail outbox: one pass, a reminders pass, or a long-running worker.

    manage.py send_notifications                 # send what is due, then exit
    manage.py send_notifications --reminders     # queue due reminders, then send
    manage.py send_notifications --loop          # worker: send every --interval seconds,
                                                 # queue reminders every --reminder-interval

Several copies may run at once (see reservations.notifications). The worker stops cleanly
on SIGTERM or SIGINT: the message being sent is finished and recorded, the rest of its
batch is handed back for the next worker. Prints one summary line.
"""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reservations import notifications


class Command(BaseCommand):
    help = "Send pending mail (confirmations, changes, cancellations, reminders)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="keep running until SIGTERM (a worker)"
        )
        parser.add_argument(
            "--reminders", action="store_true", help="queue due reminders before sending"
        )
        parser.add_argument(
            "--interval", type=float, default=30.0, help="seconds between passes (--loop)"
        )
        parser.add_argument(
            "--reminder-interval",
            type=float,
            default=600.0,
            help="seconds between reminder queueing passes (--loop)",
        )
        parser.add_argument(
            "--max-passes",
            type=int,
            default=0,
            help="stop after this many passes (--loop; 0 = until SIGTERM). Bounds test runs "
            "and lets a supervisor recycle the worker.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=notifications.BATCH_SIZE,
            help="messages claimed at once, sharing one SMTP connection",
        )

    def handle(
        self,
        *args: Any,
        loop: bool,
        reminders: bool,
        interval: float,
        reminder_interval: float,
        batch_size: int,
        max_passes: int,
        **options: Any,
    ) -> None:
        if interval <= 0 or reminder_interval <= 0:
            raise CommandError("--interval and --reminder-interval must be positive.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if max_passes < 0:
            raise CommandError("--max-passes must be 0 or more.")
        if not loop:
            result = notifications.run_once(reminders=reminders, batch_size=batch_size)
            self.stdout.write(f"send_notifications: {result.summary()}.")
            return

        stop = threading.Event()
        previous = {
            signum: signal.signal(signum, lambda *_: stop.set())
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            total, passes = notifications.run_worker(
                stop=stop,
                interval=interval,
                reminder_interval=reminder_interval,
                batch_size=batch_size,
                max_passes=max_passes,
            )
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write(f"send_notifications: {total.summary()} ({passes} passes).")

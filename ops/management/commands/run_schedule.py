"""The scheduler of the compose deployment: run each job of ops.schedule.JOBS on time.

manage.py run_schedule              # run forever (SIGTERM stops it between jobs)
manage.py run_schedule --list       # the jobs and when each runs next
manage.py run_schedule --now export # run one job now (or: --now all)
"""

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from ops.schedule import JOBS, due_order, job_named, run_job


class Command(BaseCommand):
    help = "Run the nightly and periodic jobs (export, purge, audit check, reminders, offers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--list", action="store_true", dest="show", help="show the jobs and exit"
        )
        parser.add_argument("--now", metavar="JOB", help="run one job (or 'all') now and exit")

    def handle(
        self, *args: Any, show: bool = False, now: str | None = None, **options: Any
    ) -> None:
        if show:
            for when, job in due_order(timezone.now()):
                state = "" if job.installed else " (not installed)"
                command = " ".join(job.command)
                self.stdout.write(f"{job.name:16} next {when:%Y-%m-%d %H:%M %Z}  {command}{state}")
            return
        if now:
            try:
                jobs = JOBS if now == "all" else (job_named(now),)
            except KeyError as exc:
                names = ", ".join(job.name for job in JOBS)
                raise CommandError(f"No job {now!r}; the jobs are: {names}, all") from exc
            failed = [job.name for job in jobs if run_job(job) not in (0, None)]
            if failed:
                raise CommandError(f"failed: {', '.join(failed)}")
            self.stdout.write(f"OK: {', '.join(job.name for job in jobs)}")
            return
        self._loop()

    def _loop(self) -> None:
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.stdout.write(f"run_schedule: {len(JOBS)} jobs; --list shows when each runs next")
        # From the last planned time, not the clock: a wait that ends a hair early must
        # not plan the same run again.
        planned_from = timezone.now()
        while not stop.is_set():
            when, job = due_order(max(timezone.now(), planned_from))[0]
            planned_from = when
            wait = (when - timezone.now()).total_seconds()
            if stop.wait(timeout=max(0.0, wait)):
                break
            close_old_connections()
            run_job(job)

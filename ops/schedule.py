"""The nightly and periodic jobs, in one table: the compose scheduler runs it
(`manage.py run_schedule`), the systemd timers in deploy/systemd/ mirror it (a test keeps
them in step).

Each job is a management command run in its own process, as cron or a timer would: a job
that crashes or leaks cannot take the scheduler with it, and its exit status is logged
(`ops.schedule.failed job=… status=…`; alert on it, and on /metrics' export age and audit
chain figures). Times are local (TIME_ZONE, Asia/Tokyo). Run the scheduler once per
deployment: two would each run every job (harmless for these — each is idempotent or
refuses a duplicate — but wasteful).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from django.core.management import get_commands
from django.utils import timezone

log = logging.getLogger("ops.schedule")

MANAGE_PY = Path(__file__).resolve().parent.parent / "manage.py"


@dataclass(frozen=True)
class Job:
    name: str
    command: tuple[str, ...]
    # Daily at this local time, or every `every` (then `at` is unused).
    at: time | None = None
    every: timedelta | None = None
    # A command another app adds (skipped, with a line in the log, where it is absent).
    optional: bool = False
    description: str = ""

    def next_run(self, after: datetime) -> datetime:
        """The first run strictly after `after` (an aware datetime)."""
        local = timezone.localtime(after)
        if self.every is not None:
            seconds = self.every.total_seconds()
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            elapsed = (local - midnight).total_seconds()
            return midnight + timedelta(seconds=(elapsed // seconds + 1) * seconds)
        assert self.at is not None
        candidate = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        return candidate if candidate > local else candidate + timedelta(days=1)

    @property
    def installed(self) -> bool:
        return self.command[0] in get_commands()


JOBS: tuple[Job, ...] = (
    Job(
        "export",
        ("export_reservations",),
        at=time(0, 30),
        description="nightly encrypted CSV batch for the health centre",
    ),
    Job(
        "purge",
        ("purge_expired",),
        at=time(0, 45),
        description="delete personal data past its retention period",
    ),
    Job(
        "audit",
        ("verify_audit_chain",),
        at=time(1, 0),
        description="verify the audit trail's HMAC chain (non-zero exit at a break)",
    ),
    Job(
        "reminders",
        ("send_notifications", "--reminders"),
        at=time(8, 5),
        description="queue and send reminder mails (the worker also does, every 10 min)",
    ),
    Job(
        "waitlist-offers",
        ("expire_waitlist_offers",),
        every=timedelta(minutes=5),
        optional=True,
        description="expire waiting-list offers nobody answered (waitlist app)",
    ),
    Job(
        "lottery-draw",
        ("lottery_draw", "--due"),
        every=timedelta(minutes=5),
        description="draw every lottery round whose draw time has passed (each runs once)",
    ),
    Job(
        "lottery-mail",
        ("send_lottery_mail",),
        every=timedelta(minutes=1),
        description="send the lottery's pending mails (received, changed, results)",
    ),
    Job(
        "lottery-purge",
        ("lottery_purge",),
        at=time(0, 50),
        description="erase lottery applicants' details past their retention period",
    ),
)


def job_named(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)


Runner = Callable[[Sequence[str]], int]


def subprocess_runner(command: Sequence[str]) -> int:
    """`python manage.py COMMAND…` in a fresh process, with this process's environment."""
    # The arguments come from JOBS above, never from input.
    return subprocess.run([sys.executable, str(MANAGE_PY), *command], check=False).returncode  # noqa: S603


def run_job(job: Job, *, runner: Runner = subprocess_runner) -> int | None:
    """Run one job; its exit status, or None when its (optional) command is absent."""
    if not job.installed:
        if job.optional:
            log.info("ops.schedule.skipped job=%s (command not installed)", job.name)
            return None
        log.error("ops.schedule.failed job=%s (command %s missing)", job.name, job.command[0])
        return 1
    started = timezone.now()
    status = runner(job.command)
    seconds = (timezone.now() - started).total_seconds()
    if status == 0:
        log.info("ops.schedule.done job=%s seconds=%.1f", job.name, seconds)
    else:
        log.error("ops.schedule.failed job=%s status=%s seconds=%.1f", job.name, status, seconds)
    return status


def due_order(now: datetime, jobs: Sequence[Job] = JOBS) -> list[tuple[datetime, Job]]:
    return sorted(((job.next_run(now), job) for job in jobs), key=lambda pair: pair[0])

"""The scheduler's jobs are real commands that run against the database (on PostgreSQL as
the runtime role), and its clock plans each run once."""

import io
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command, get_commands
from django.utils import timezone

from ops import schedule
from reservations import services as booking
from tests.factories import SlotFactory, details

OUTPUT = {}


def in_process(command):
    """The runner the tests use: the command in this process, on the test database."""
    out = io.StringIO()
    try:
        call_command(*command, stdout=out)
        OUTPUT[command[0]] = out.getvalue()
    except SystemExit as exc:  # pragma: no cover - a command exiting on its own
        return int(exc.code or 0)
    except Exception as exc:
        print(f"{command[0]} failed: {exc!r}")
        return 1
    return 0


def _some_bookings():
    slot = SlotFactory(opens_at=timezone.now() - timedelta(days=3))
    booking.reservation_create(
        slots=[slot], details=details(), now=timezone.now() - timedelta(hours=2)
    )


def _run_every_job():
    OUTPUT.clear()
    results = {job.name: schedule.run_job(job, runner=in_process) for job in schedule.JOBS}
    # Each read and wrote the database: its summary line says what it found.
    assert OUTPUT["export_reservations"].startswith(("no batch: nothing to export", "batch "))
    assert OUTPUT["purge_expired"].startswith("purge_expired deleted: ")
    assert OUTPUT["verify_audit_chain"].startswith("OK:")
    return results


def test_every_required_job_names_an_installed_command():
    commands = get_commands()
    for job in schedule.JOBS:
        assert job.optional or job.command[0] in commands, job


@pytest.mark.django_db
def test_every_job_runs_against_the_database(export_settings):
    _some_bookings()

    results = _run_every_job()

    for job in schedule.JOBS:
        expected = None if job.optional and not job.installed else 0
        assert results[job.name] == expected, job.name


@pytest.mark.postgres
def test_every_job_runs_as_the_runtime_role(as_runtime_role, export_settings):
    _some_bookings()

    results = _run_every_job()

    assert all(status in (0, None) for status in results.values()), results


@pytest.mark.django_db
def test_a_failing_job_is_reported_not_hidden(caplog):
    job = schedule.Job("broken", ("verify_audit_chain", "--expect-mac", "0" * 64), at=time(1, 0))
    assert schedule.run_job(job, runner=in_process) == 1
    assert "ops.schedule.failed job=broken" in caplog.text


def test_a_missing_required_command_fails_and_an_optional_one_is_skipped():
    assert schedule.run_job(schedule.Job("x", ("no_such_command",), at=time(1, 0))) == 1
    optional = schedule.Job("y", ("no_such_command",), at=time(1, 0), optional=True)
    assert schedule.run_job(optional) is None


def test_daily_and_periodic_runs_are_planned_in_local_time():
    tz = timezone.get_current_timezone()
    at_0029 = datetime(2026, 12, 3, 0, 29, tzinfo=tz)
    export = schedule.job_named("export")
    assert export.next_run(at_0029) == datetime(2026, 12, 3, 0, 30, tzinfo=tz)
    # At its own time, the next run is tomorrow's (never the same run twice).
    assert export.next_run(datetime(2026, 12, 3, 0, 30, tzinfo=tz)) == datetime(
        2026, 12, 4, 0, 30, tzinfo=tz
    )
    offers = schedule.job_named("waitlist-offers")
    assert offers.next_run(datetime(2026, 12, 3, 9, 2, tzinfo=tz)) == datetime(
        2026, 12, 3, 9, 5, tzinfo=tz
    )


@pytest.mark.django_db
def test_the_command_lists_jobs_and_refuses_an_unknown_one():
    from django.core.management import CommandError

    out = io.StringIO()
    call_command("run_schedule", "--list", stdout=out)
    assert all(job.name in out.getvalue() for job in schedule.JOBS)
    with pytest.raises(CommandError, match="the jobs are"):
        call_command("run_schedule", "--now", "nightly")

"""export_reservations and purge_expired: thin commands, one summary line each."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from exports.models import Batch
from tests.exports.conftest import book

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_export_prints_one_line_with_batch_id_row_count_and_where_the_file_is(
    export_settings, export_storage_dir, clock, lung_slots
):
    book([lung_slots[0]], at=clock)
    book([lung_slots[1]], at=clock, person=1)

    out = _run("export_reservations", "--cutoff", (clock + timedelta(minutes=5)).isoformat())

    batch = Batch.objects.get()
    assert out.count("\n") == 1
    assert f"batch {batch.pk} delta written: rows=2 (new=2" in out
    assert f"file={export_storage_dir / batch.stored_name}" in out


def test_export_for_the_same_cutoff_again_says_the_batch_exists(export_settings, clock, lung_slots):
    book([lung_slots[0]], at=clock)
    cutoff = (clock + timedelta(minutes=5)).isoformat()
    _run("export_reservations", "--cutoff", cutoff)

    out = _run("export_reservations", "--cutoff", cutoff)

    assert "already exists, nothing written" in out
    assert Batch.objects.count() == 1


def test_export_with_nothing_to_export_writes_nothing_unless_allowed(export_settings, clock):
    cutoff = (clock + timedelta(minutes=5)).isoformat()

    out = _run("export_reservations", "--cutoff", cutoff)

    assert out.startswith("no batch: nothing to export") and Batch.objects.count() == 0
    out = _run("export_reservations", "--cutoff", cutoff, "--allow-empty")
    assert "rows=0" in out and Batch.objects.count() == 1


def test_export_full_snapshot_takes_screening_dates(export_settings, clock, lung_slots):
    book([lung_slots[0]], at=clock)
    day = timezone.localtime(lung_slots[0].starts_at).date().isoformat()

    out = _run("export_reservations", "--full", "--from", day, "--to", day)

    assert "full written: rows=1" in out and "current=1" in out


def test_export_cutoff_now_means_a_minute_ago(export_settings, clock, lung_slots):
    book([lung_slots[0]], at=clock)

    out = _run("export_reservations", "--cutoff", "now")

    batch = Batch.objects.get()
    assert "rows=1" in out
    assert timezone.now() - batch.period_end > timedelta(seconds=59)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--cutoff", "yesterday"], "expected 'now' or an ISO date-time"),
        (["--full"], "--full needs --from and --to"),
        (["--full", "--from", "2026-06-01", "--to", "June"], "expected a date"),
        (["--from", "2026-06-01"], "--from/--to go with --full"),
        (["--full", "--from", "2026-06-02", "--to", "2026-06-01"], "--to must not be before"),
        (["--full", "--from", "2026-06-01", "--to", "9999-12-31"], "between 2000 and 2999"),
        (["--full", "--from", "0001-01-01", "--to", "2026-06-01"], "between 2000 and 2999"),
    ],
)
def test_export_rejects_bad_arguments_with_a_clear_message(export_settings, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_reservations", *args)
    assert Batch.objects.count() == 0


def test_purge_prints_one_summary_line(export_settings):
    out = _run("purge_expired")

    assert out.count("\n") == 1
    assert out.startswith("purge_expired deleted: batches=0 reservations=0 citizens=0")


def test_purge_rejects_a_chunk_size_below_one(export_settings):
    with pytest.raises(CommandError, match="--chunk-size"):
        call_command("purge_expired", "--chunk-size", "0")

"""Each delta batch holds exactly the changes since the previous one; snapshots stand apart."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from exports import services
from exports.models import CHAIN_START, Batch
from reservations import services as booking
from tests.exports.conftest import book, openssl_decrypt
from tests.factories import SlotFactory, local_dt

pytestmark = pytest.mark.django_db


def _rows(batch, keys, tmp_path, storage_dir):
    plaintext = openssl_decrypt(storage_dir / batch.stored_name, keys, tmp_path)
    return list(csv.DictReader(io.StringIO(plaintext.decode("cp932"), newline="")))


def _by_number(rows):
    return {row["予約番号"]: row for row in rows}


def test_book_change_cancel_between_runs_gives_new_changed_cancelled_rows(
    export_settings, health_centre_keys, export_storage_dir, tmp_path, clock, lung_slots
):
    first_slot, second_slot, third_slot = lung_slots
    moved = book([first_slot], at=clock, person=0)
    cancelled = book([second_slot], at=clock + timedelta(minutes=1), person=1)

    first = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch

    assert (first.rows_new, first.rows_changed, first.rows_cancelled) == (2, 0, 0)
    assert first.period_start == CHAIN_START and first.is_first_of_chain
    rows = _by_number(_rows(first, health_centre_keys, tmp_path, export_storage_dir))
    assert {rows[r.display_number]["区分"] for r in (moved, cancelled)} == {"新規"}

    booking.reservation_move(
        reservation=moved, new_slots=[third_slot], now=clock + timedelta(minutes=10)
    )
    booking.reservation_cancel(reservation=cancelled, now=clock + timedelta(minutes=11))
    added = book([first_slot], at=clock + timedelta(minutes=12), person=2)
    # Booked and cancelled inside one period: the health centre never saw it.
    fleeting = book([first_slot], at=clock + timedelta(minutes=13), person=3)
    booking.reservation_cancel(reservation=fleeting, now=clock + timedelta(minutes=14))

    second = services.batch_create_delta(cutoff=clock + timedelta(minutes=20)).batch

    assert second.period_start == first.period_end
    assert (second.rows_new, second.rows_changed, second.rows_cancelled) == (1, 1, 1)
    assert second.reservations_omitted == 1
    rows = _by_number(_rows(second, health_centre_keys, tmp_path, export_storage_dir))
    assert set(rows) == {moved.display_number, cancelled.display_number, added.display_number}
    assert rows[moved.display_number]["区分"] == "変更"
    assert rows[moved.display_number]["開始時刻"] == "11:00"  # the new slot
    assert rows[cancelled.display_number]["区分"] == "取消"
    assert rows[cancelled.display_number]["取消日時"] != ""
    assert rows[added.display_number]["区分"] == "新規"
    assert fleeting.display_number not in rows


def test_running_again_for_the_same_cutoff_returns_the_batch_without_a_duplicate(
    export_settings, export_storage_dir, clock, lung_slots
):
    book([lung_slots[0]], at=clock)
    cutoff = clock + timedelta(minutes=5)
    first = services.batch_create_delta(cutoff=cutoff)

    again = services.batch_create_delta(cutoff=cutoff)

    assert first.created and not again.created
    assert again.batch.pk == first.batch.pk
    assert Batch.objects.count() == 1
    assert len(list(export_storage_dir.iterdir())) == 1


def test_an_empty_period_writes_no_batch_unless_asked(
    export_settings, export_storage_dir, clock, lung_slots
):
    book([lung_slots[0]], at=clock)
    first = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch

    nothing = services.batch_create_delta(cutoff=clock + timedelta(minutes=10))

    assert nothing.batch is None and not nothing.created
    assert Batch.objects.count() == 1

    empty = services.batch_create_delta(cutoff=clock + timedelta(minutes=15), allow_empty=True)

    assert empty.created and empty.batch.row_count == 0
    # The run that wrote nothing did not break the chain: this one continues from `first`.
    assert empty.batch.period_start == first.period_end
    assert len(list(export_storage_dir.iterdir())) == 2


def test_a_change_after_an_empty_run_is_still_exported(export_settings, clock, lung_slots):
    reservation = book([lung_slots[0]], at=clock)
    services.batch_create_delta(cutoff=clock + timedelta(minutes=5))
    services.batch_create_delta(cutoff=clock + timedelta(minutes=10))  # nothing: no batch
    booking.reservation_cancel(reservation=reservation, now=clock + timedelta(minutes=12))

    later = services.batch_create_delta(cutoff=clock + timedelta(minutes=15)).batch

    assert later.rows_cancelled == 1


def test_a_cutoff_before_the_last_batch_is_refused(export_settings, clock, lung_slots):
    book([lung_slots[0]], at=clock)
    services.batch_create_delta(cutoff=clock + timedelta(minutes=5))

    with pytest.raises(services.ExportError, match="before the last batch"):
        services.batch_create_delta(cutoff=clock + timedelta(minutes=4))


def test_a_cutoff_less_than_a_minute_old_is_refused(export_settings, lung_slots):
    with pytest.raises(services.ExportError, match="in the past"):
        services.batch_create_delta(cutoff=timezone.now() - timedelta(seconds=10))


def test_the_default_cutoff_is_local_midnight_so_runs_on_one_day_agree(export_settings):
    now = timezone.make_aware(timezone.datetime(2026, 6, 2, 0, 30))
    cutoff = services.default_cutoff(now)

    assert timezone.localtime(cutoff).isoformat() == "2026-06-02T00:00:00+09:00"
    assert services.default_cutoff(now + timedelta(hours=20)) == cutoff


def test_the_database_refuses_two_deltas_continuing_from_the_same_cutoff(
    export_settings, clock, lung_slots
):
    book([lung_slots[0]], at=clock)
    first = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch
    twin = Batch.objects.get(pk=first.pk)
    twin.pk = None
    twin.period_end = clock + timedelta(minutes=6)

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_full_snapshot_holds_the_live_bookings_of_its_dates_and_leaves_the_chain_alone(
    export_settings, health_centre_keys, export_storage_dir, tmp_path, clock, lung_slots
):
    day = timezone.localtime(lung_slots[0].starts_at).date()
    later_slot = SlotFactory(
        venue=lung_slots[0].venue,
        screening_type=lung_slots[0].screening_type,
        starts_at=local_dt(day + timedelta(days=7), 9),
    )
    live = book([lung_slots[0]], at=clock, person=0)
    gone = book([lung_slots[1]], at=clock, person=1)
    booking.reservation_cancel(reservation=gone, now=clock + timedelta(minutes=1))
    book([later_slot], at=clock, person=2)  # outside the snapshot's dates

    result = services.batch_create_full(screenings_from=day, screenings_to=day)

    batch = result.batch
    assert batch.kind == Batch.Kind.FULL and batch.rows_current == 1 and batch.row_count == 1
    (row,) = _rows(batch, health_centre_keys, tmp_path, export_storage_dir)
    assert row["予約番号"] == live.display_number and row["区分"] == "現在"
    assert (batch.screenings_from, batch.screenings_to) == (day, day)

    # The next delta still starts from the beginning of the chain.
    delta = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch
    assert delta.period_start == CHAIN_START and delta.rows_new == 2


def test_a_full_snapshot_with_dates_the_wrong_way_round_is_refused(export_settings):
    day = timezone.localdate()
    with pytest.raises(services.ExportError, match="--to"):
        services.batch_create_full(screenings_from=day, screenings_to=day - timedelta(days=1))


def test_when_the_file_cannot_be_stored_no_batch_is_recorded(
    export_settings, clock, lung_slots, monkeypatch
):
    from django.core.files.storage import FileSystemStorage

    def full_disk(self, name, content, max_length=None):
        raise OSError(28, "No space left on device")

    book([lung_slots[0]], at=clock)
    monkeypatch.setattr(FileSystemStorage, "save", full_disk)

    with pytest.raises(services.ExportError, match="could not be stored"):
        services.batch_create_delta(cutoff=clock + timedelta(minutes=5))

    assert Batch.objects.count() == 0
    monkeypatch.undo()
    # The next run exports the same changes: nothing was lost.
    assert services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch.rows_new == 1


def test_when_the_audit_record_cannot_be_written_no_batch_is_stored(
    export_settings, export_storage_dir, clock, lung_slots, monkeypatch
):
    import audit

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    book([lung_slots[0]], at=clock)
    monkeypatch.setattr(audit, "record", broken)

    with pytest.raises(services.ExportError, match="audit record"):
        services.batch_create_delta(cutoff=clock + timedelta(minutes=5))

    assert Batch.objects.count() == 0
    assert not any(export_storage_dir.iterdir())


def test_a_booking_changed_after_the_cutoff_but_before_the_run_is_still_new_once(
    export_settings, health_centre_keys, export_storage_dir, tmp_path, clock, lung_slots
):
    """The nightly run starts hours after its midnight cut-off. A booking made before the
    cut-off and moved (or cancelled) before the run must not skip its 新規 row: the health
    centre would get a 変更 or 取消 for a booking it never received."""
    first_slot, second_slot, third_slot = lung_slots
    moved = book([first_slot], at=clock, person=0)
    cancelled = book([second_slot], at=clock + timedelta(minutes=1), person=1)
    cutoff = clock + timedelta(minutes=5)
    # After the cut-off, before the nightly run.
    booking.reservation_move(
        reservation=moved, new_slots=[third_slot], now=clock + timedelta(minutes=10)
    )
    booking.reservation_cancel(reservation=cancelled, now=clock + timedelta(minutes=11))

    first = services.batch_create_delta(
        cutoff=cutoff, allow_empty=True, now=clock + timedelta(minutes=30)
    ).batch
    second = services.batch_create_delta(
        cutoff=clock + timedelta(minutes=40), now=clock + timedelta(minutes=60)
    ).batch

    rows = _by_number(_rows(first, health_centre_keys, tmp_path, export_storage_dir))
    assert set(rows) == {moved.display_number, cancelled.display_number}
    assert {row["区分"] for row in rows.values()} == {"新規"}
    # 取消日時 stays empty on a 新規 row (docs/export-format.md); the 取消 row follows.
    assert rows[cancelled.display_number]["取消日時"] == ""
    later = _by_number(_rows(second, health_centre_keys, tmp_path, export_storage_dir))
    assert later[moved.display_number]["区分"] == "変更"
    assert later[moved.display_number]["開始時刻"] == "11:00"
    assert later[cancelled.display_number]["区分"] == "取消"
    assert (first.rows_new, second.rows_changed, second.rows_cancelled) == (2, 1, 1)

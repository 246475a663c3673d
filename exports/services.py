"""Export batches: building them (nightly), handing them out, deleting them.

A batch is written in one go: query → CSV (csvfile.py) → CMS envelope (crypto.py) → the
private "exports" storage → a Batch row, with its audit record in the same transaction.
No step writes plaintext anywhere: the CSV exists only in this process's memory.

Which reservations a delta batch holds, for its period (previous delta's cut-off, this
cut-off] (Reservation.created_at and .changed_at, which the booking services set on every
create, move and cancel):
- created in the period                           → 新規 (new), with its current slot —
  whatever happened to it since, even after the cut-off and before the run;
- created earlier, last moved in the period       → 変更 (changed);
- created earlier, cancelled in the period        → 取消 (cancelled);
- created *and* cancelled in the period           → left out: the health centre never saw
  it, so there is nothing to undo; counted in Batch.reservations_omitted.
新規 goes by created_at alone because the nightly run starts hours after its cut-off: a
booking made before the cut-off and moved before the run has a changed_at after the
cut-off, and judged by changed_at it would first appear in the next batch as 変更 (or
取消), for a booking the health centre never received. The deltas form one unbroken chain
(database constraints), so every booking is 新規 in exactly one batch, and its last
change lands in exactly one batch.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import audit
from audit.context import AuditContext
from exports import crypto, csvfile
from exports.models import CHAIN_START, Batch
from reservations.models import Reservation, ReservationItem
from vouchers.fees import fee_class_rules

log = logging.getLogger(__name__)

# A booking transaction stamps changed_at before it commits. A cut-off at least this far
# in the past leaves time for every transaction stamped before it to have committed, so
# none is read after the batch was cut and lost from the chain.
SETTLE = timedelta(minutes=1)

ROW_FIELDS = (
    "reservation__number",
    "reservation__status",
    "reservation__channel",
    "reservation__created_at",
    "reservation__changed_at",
    "reservation__cancelled_at",
    "reservation__citizen__name",
    "reservation__citizen__furigana",
    "reservation__citizen__birth_date",
    "reservation__citizen__sex",
    "reservation__citizen__postal_code",
    "reservation__citizen__address",
    "reservation__citizen__phone",
    "reservation__citizen__email",
    "screening_type__code",
    "screening_type__name",
    "slot__starts_at",
    "slot__ends_at",
    "slot__venue__name",
    # Format version 2 (csvfile.FORMAT_VERSION).
    "reservation__voucher_number",
    "reservation__fee_class",
    "screening_type__system_code",
    "slot__venue__code",
    # The screening day and fees (issue 16).
    "attendance__status",
    "reservation__cancel_reason",
    "screening_type__fee",
    "screening_type__free_from_age",
    "screening_type__free_coupon_age",
    # Booking for the family: the 同時予約 column.
    "reservation__group__first_number",
)
ROW_ORDER = (
    "slot__starts_at",
    "slot__venue__name",
    "slot__venue_id",
    "reservation__number",
    "screening_type__display_order",
    "screening_type_id",
)
CHUNK = 2000


class ExportError(Exception):
    """The batch was not written; the message says why, for the operator."""


class BatchUnavailable(Exception):
    """The batch's file is gone (import confirmed, discarded, expired): HTTP 410."""


class BatchStateError(Exception):
    """The action does not fit the batch's status (e.g. confirm before download): 409."""


class BatchFileCorrupt(Exception):
    """The stored file is missing or no longer matches its SHA-256: not handed out (409)."""


class AuditUnavailable(Exception):
    """The audit record could not be written, so the action was not done (503)."""


def exports_storage() -> Storage:
    """The private storage for batch files: no URL maps to it."""
    return storages["exports"]


def storage_location(name: str) -> str:
    """Where a stored file is, for the operator's summary line."""
    storage = exports_storage()
    try:
        return storage.path(name)
    except NotImplementedError:  # an object store: no local path
        return f"exports:{name}"


# --- Which rows -----------------------------------------------------------------------------


def default_cutoff(now: datetime) -> datetime:
    """Local midnight at the start of today: a nightly run exports up to the end of
    yesterday, and every run on the same day has the same cut-off (so no duplicates)."""
    return datetime.combine(
        timezone.localdate(now), time(0), tzinfo=timezone.get_current_timezone()
    )


def _delta_changes(start: datetime, end: datetime) -> Iterator[tuple[dict[str, Any], str]]:
    made_in_period = Q(reservation__created_at__gt=start, reservation__created_at__lte=end)
    changed_in_period = Q(
        reservation__created_at__lte=start,
        reservation__changed_at__gt=start,
        reservation__changed_at__lte=end,
    )
    items = (
        ReservationItem.objects.filter(made_in_period | changed_in_period)
        .exclude(
            # Made and cancelled inside the period (see _omitted_count). One cancelled
            # after the cut-off is still 新規 here; its 取消 comes in the next batch.
            reservation__created_at__gt=start,
            reservation__changed_at__lte=end,
            reservation__status=Reservation.Status.CANCELLED,
        )
        .order_by(*ROW_ORDER)
        .values(*ROW_FIELDS)
    )
    for record in items.iterator(chunk_size=CHUNK):
        if record["reservation__created_at"] > start:
            change = csvfile.NEW
        elif record["reservation__status"] == Reservation.Status.CANCELLED:
            change = csvfile.CANCELLED
        else:
            change = csvfile.CHANGED
        yield record, change


def _omitted_count(start: datetime, end: datetime) -> int:
    return Reservation.objects.filter(
        changed_at__gt=start,
        changed_at__lte=end,
        created_at__gt=start,
        status=Reservation.Status.CANCELLED,
    ).count()


def _local_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def _live_bookings(first_day: date, last_day: date) -> Iterator[tuple[dict[str, Any], str]]:
    items = (
        ReservationItem.objects.filter(
            is_live=True,
            reservation__status=Reservation.Status.CONFIRMED,
            slot__starts_at__gte=_local_day_start(first_day),
            slot__starts_at__lt=_local_day_start(last_day + timedelta(days=1)),
        )
        .order_by(*ROW_ORDER)
        .values(*ROW_FIELDS)
    )
    for record in items.iterator(chunk_size=CHUNK):
        yield record, csvfile.CURRENT


# --- Writing a batch ------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    batch: Batch | None  # None: nothing to export and no empty batch was asked for
    created: bool
    period_start: datetime | None = None
    period_end: datetime | None = None


def _recipient(now: datetime) -> crypto.Recipient:
    try:
        return crypto.load_recipient(now=now)
    except crypto.RecipientCertificateError as exc:
        raise ExportError(str(exc)) from None


def _encoding() -> str:
    encoding = settings.EXPORT_ENCODING
    if encoding not in csvfile.ENCODINGS:
        raise ExportError(f"EXPORT_ENCODING must be one of {', '.join(csvfile.ENCODINGS)}")
    return encoding


def batch_create_delta(
    *, cutoff: datetime | None = None, allow_empty: bool = False, now: datetime | None = None
) -> BatchResult:
    """Write the batch of every change since the previous delta batch, up to `cutoff`.

    `cutoff` defaults to local midnight today and must be at least SETTLE in the past.
    Idempotent: if a delta batch with this cut-off exists, it is returned (created=False)
    and nothing is written. An empty period writes no batch unless `allow_empty`.
    Raises ExportError (no usable certificate, cut-off in the future or before the last
    batch's); then nothing was written.
    """
    now = now or timezone.now()
    recipient = _recipient(now)  # refuse before any work: never a plaintext fallback
    encoding = _encoding()
    cutoff = cutoff or default_cutoff(now)
    if cutoff > now - SETTLE:
        raise ExportError(
            f"the cut-off {timezone.localtime(cutoff):%Y-%m-%d %H:%M:%S} must be at least "
            f"{int(SETTLE.total_seconds())} seconds in the past"
        )
    previous = Batch.objects.filter(kind=Batch.Kind.DELTA).order_by("-period_end").first()
    if previous is not None and cutoff <= previous.period_end:
        same = Batch.objects.filter(kind=Batch.Kind.DELTA, period_end=cutoff).first()
        if same is not None:
            return BatchResult(
                same, created=False, period_start=same.period_start, period_end=cutoff
            )
        raise ExportError(
            f"the cut-off {timezone.localtime(cutoff):%Y-%m-%d %H:%M:%S} is before the last "
            f"batch's ({timezone.localtime(previous.period_end):%Y-%m-%d %H:%M:%S}, "
            f"batch {previous.pk}); use --full for a snapshot instead"
        )
    start = previous.period_end if previous is not None else CHAIN_START
    omitted = _omitted_count(start, cutoff)
    return _write_batch(
        kind=Batch.Kind.DELTA,
        rows=_delta_changes(start, cutoff),
        fields={"period_start": start, "period_end": cutoff, "reservations_omitted": omitted},
        recipient=recipient,
        encoding=encoding,
        allow_empty=allow_empty,
        now=now,
    )


def batch_create_full(
    *,
    screenings_from: date,
    screenings_to: date,
    allow_empty: bool = False,
    now: datetime | None = None,
) -> BatchResult:
    """Write a snapshot of every live booking for screenings on these dates (inclusive).

    A snapshot stands apart from the delta chain: it neither moves the next delta's start
    nor is refused when repeated. Raises ExportError as batch_create_delta does.
    """
    now = now or timezone.now()
    recipient = _recipient(now)
    encoding = _encoding()
    if screenings_to < screenings_from:
        raise ExportError("--to must not be before --from")
    return _write_batch(
        kind=Batch.Kind.FULL,
        rows=_live_bookings(screenings_from, screenings_to),
        fields={
            "period_end": now,
            "screenings_from": screenings_from,
            "screenings_to": screenings_to,
        },
        recipient=recipient,
        encoding=encoding,
        allow_empty=allow_empty,
        now=now,
    )


def _write_batch(
    *,
    kind: str,
    rows: Iterable[tuple[dict[str, Any], str]],
    fields: dict[str, Any],
    recipient: crypto.Recipient,
    encoding: str,
    allow_empty: bool,
    now: datetime,
) -> BatchResult:
    table = csvfile.write_csv(rows, encoding=encoding, fee_classes=fee_class_rules())
    period = {"period_start": fields.get("period_start"), "period_end": fields["period_end"]}
    if table.rows == 0 and not allow_empty:
        return BatchResult(None, created=False, **period)
    envelope = crypto.encrypt(table.data, recipient)
    batch = Batch(
        created_at=now,
        kind=kind,
        rows_new=table.changes[csvfile.NEW],
        rows_changed=table.changes[csvfile.CHANGED],
        rows_cancelled=table.changes[csvfile.CANCELLED],
        rows_current=table.changes[csvfile.CURRENT],
        rows_flagged=table.flagged,
        encoding=encoding,
        plaintext_bytes=len(table.data),
        plaintext_sha256=table.sha256,
        file_bytes=len(envelope),
        file_sha256=crypto.sha256_hex(envelope),
        recipient_fingerprint=recipient.fingerprint,
        **fields,
    )
    del table  # the plaintext: not kept a moment longer than needed
    storage = exports_storage()
    stored = None
    try:
        with transaction.atomic():
            batch.save()  # the chain constraints refuse a concurrent duplicate here
            stamp = timezone.localtime(batch.period_end).strftime("%Y%m%dT%H%M%S")
            stored = storage.save(f"batch-{batch.pk:06d}-{kind}-{stamp}.p7m", ContentFile(envelope))
            batch.stored_name = stored
            batch.save(update_fields=["stored_name"])
            _record(
                action="exports.batch.created",
                target=batch,
                outcome="success",
                details=_audit_details(batch),
            )
    except AuditUnavailable:
        if stored:  # always: _record runs after the file is saved
            storage.delete(stored)
        raise ExportError("the audit record could not be written, so no batch was stored") from None
    except IntegrityError:
        if stored:
            storage.delete(stored)
        if kind == Batch.Kind.DELTA:
            same = Batch.objects.filter(kind=kind, period_end=fields["period_end"]).first()
            if same is not None:
                return BatchResult(same, created=False, **period)
        raise ExportError(
            "another export ran at the same time and wrote the batch for this period; "
            "run again to continue from it"
        ) from None
    except OSError as exc:  # the storage could not write (disk full, permissions …)
        if stored:
            storage.delete(stored)
        raise ExportError(f"the batch file could not be stored: {exc}") from exc
    except BaseException:
        if stored:
            storage.delete(stored)
        raise
    log.info(
        "exports.batch.created id=%s kind=%s rows=%s bytes=%s",
        batch.pk,
        kind,
        batch.row_count,
        batch.file_bytes,
    )
    return BatchResult(batch, created=True, **period)


def _audit_details(batch: Batch, **extra: Any) -> dict[str, Any]:
    """Ids and counts only: the audit log never holds residents' data."""
    return {
        "batch": batch.pk,
        "kind": batch.kind,
        "rows": batch.row_count,
        "new": batch.rows_new,
        "changed": batch.rows_changed,
        "cancelled": batch.rows_cancelled,
        "current": batch.rows_current,
        "file_sha256": batch.file_sha256,
        **extra,
    }


# --- Handing a batch out and deleting it -----------------------------------------------------


def _record(**kwargs: Any) -> None:
    """audit.record, or AuditUnavailable: an action that cannot be audited is not done."""
    try:
        audit.record(**kwargs)
    except Exception as exc:  # whatever broke, the action must not happen
        log.error("audit.record failed for %s: %s", kwargs.get("action"), type(exc).__name__)
        raise AuditUnavailable from exc


def _record_failure(*, action: str, audit_context: AuditContext, batch: Batch, reason: str) -> None:
    """Best effort: a refused action is recorded if the audit log can take it."""
    try:
        audit.record(
            action=action,
            context=audit_context,
            target=batch,
            outcome="failed",
            details={"batch": batch.pk, "reason": reason},
        )
    except Exception:  # the caller is already refusing
        log.exception("audit.record failed while recording a refused %s", action)


def batch_open_for_download(*, batch_id: int, audit_context: AuditContext) -> tuple[File, str]:
    """Open a batch's file for audit_context.actor, after recording the download in the
    audit log.

    Order matters: the file is opened and its SHA-256 checked, then the audit record is
    written, then the status is updated — all before the caller sends the first byte.
    Returns (open file, filename). Raises Batch.DoesNotExist, BatchUnavailable (file
    deleted), BatchFileCorrupt (it no longer matches its hash) or AuditUnavailable (then
    nothing is handed out).
    """
    user = audit_context.actor
    failure = None
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch_id)
        if not batch.has_file:
            raise BatchUnavailable(batch)
        try:
            handle = exports_storage().open(batch.stored_name, "rb")
        except FileNotFoundError:
            failure = "file missing"
        else:
            digest = hashlib.sha256()
            for chunk in handle.chunks():
                digest.update(chunk)
            if digest.hexdigest() != batch.file_sha256:
                handle.close()
                failure = "sha256 mismatch"
        if failure is None:
            handle.seek(0)
            now = timezone.now()
            try:
                _record(
                    action="exports.batch.downloaded",
                    context=audit_context,
                    target=batch,
                    outcome="success",
                    details=_audit_details(batch, download=batch.download_count + 1),
                )
            except AuditUnavailable:
                handle.close()
                raise
            if batch.first_downloaded_at is None:
                batch.first_downloaded_at, batch.first_downloaded_by = now, user
            batch.last_downloaded_at, batch.last_downloaded_by = now, user
            batch.download_count += 1
            batch.status = Batch.Status.DOWNLOADED
            batch.save(
                update_fields=[
                    "first_downloaded_at",
                    "first_downloaded_by",
                    "last_downloaded_at",
                    "last_downloaded_by",
                    "download_count",
                    "status",
                ]
            )
    if failure is not None:
        log.error("exports.batch.download_refused id=%s reason=%s", batch.pk, failure)
        _record_failure(
            action="exports.batch.downloaded",
            audit_context=audit_context,
            batch=batch,
            reason=failure,
        )
        raise BatchFileCorrupt(batch)
    log.info("exports.batch.downloaded id=%s user=%s", batch.pk, user.pk)
    return handle, batch.download_filename


def _delete_file(
    *,
    batch_id: int,
    audit_context: AuditContext,
    action: str,
    status: str,
    allowed: tuple[str, ...],
) -> Batch:
    """Delete a batch's file for audit_context.actor, moving the batch to `status`."""
    user = audit_context.actor
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch_id)
        if not batch.has_file:
            raise BatchUnavailable(batch)
        if batch.status not in allowed:
            raise BatchStateError(batch)
        now = timezone.now()
        _record(
            action=action,
            context=audit_context,
            target=batch,
            outcome="success",
            details=_audit_details(batch, status_before=batch.status),
        )
        # Deleted inside the transaction: if the delete fails, the status and the audit
        # record roll back with it, and the page never claims a deletion that did not happen.
        exports_storage().delete(batch.stored_name)
        batch.status = status
        batch.deleted_at, batch.deleted_by = now, user
        if status == Batch.Status.CONFIRMED:
            batch.confirmed_at, batch.confirmed_by = now, user
        batch.save(
            update_fields=["status", "deleted_at", "deleted_by", "confirmed_at", "confirmed_by"]
        )
    log.info("%s id=%s user=%s", action, batch.pk, user.pk)
    return batch


def batch_confirm_import(*, batch_id: int, audit_context: AuditContext) -> Batch:
    """The health centre has imported the batch: delete its file, keep its record.

    Only a downloaded batch can be confirmed. Audited before the file is deleted, in one
    transaction. Raises Batch.DoesNotExist, BatchUnavailable, BatchStateError (not yet
    downloaded) or AuditUnavailable (then nothing was deleted).
    """
    return _delete_file(
        batch_id=batch_id,
        audit_context=audit_context,
        action="exports.batch.import_confirmed",
        status=Batch.Status.CONFIRMED,
        allowed=(Batch.Status.DOWNLOADED,),
    )


def batch_discard(*, batch_id: int, audit_context: AuditContext) -> Batch:
    """Delete a batch's file without an import (a batch made by mistake), keep its record."""
    return _delete_file(
        batch_id=batch_id,
        audit_context=audit_context,
        action="exports.batch.discarded",
        status=Batch.Status.DELETED,
        allowed=(Batch.Status.READY, Batch.Status.DOWNLOADED),
    )

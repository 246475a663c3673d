"""The city's list: staging an upload, replacing the current list, checking a voucher.

voucher_check is the one question every channel asks (web booking, the phone desk, and
later the lottery application and the waiting list): "may the holder of this 受診券番号,
born on this day, take this screening?" It answers with a VoucherMatch or raises
VoucherRefused(code), the code one of vouchers.refusals.CODES.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction

import audit
from audit.context import AuditContext
from reservations.models import ScreeningType
from vouchers import importer, refusals
from vouchers.keys import entry_key, normalise_number, number_key
from vouchers.models import PendingImport, VoucherEntry, VoucherList

log = logging.getLogger(__name__)


class VoucherRefused(Exception):
    """The voucher may not be used for this screening; `code` is in vouchers.refusals."""

    def __init__(self, code: str) -> None:
        if code not in refusals.CODES:
            raise ValueError(f"unknown voucher refusal {code!r}")
        super().__init__(code)
        self.code = code


class PendingImportGone(Exception):
    """The previewed upload is no longer there (committed, replaced) or does not match."""


@dataclass(frozen=True)
class VoucherMatch:
    """A voucher on the current list: what the booking takes from it."""

    number: str  # the normalised 受診券番号, as Reservation.voucher_number stores it
    sex: str  # citizens.models.Sex value, "" if the list does not say
    screenings: tuple[str, ...]  # ScreeningType.code values the holder may take
    fee_class: str
    list_id: int


def screening_code_map() -> dict[str, str]:
    """What a list may call a screening (its code, its 検診種別コード) → ScreeningType.code."""
    codes: dict[str, str] = {}
    for code, system_code in ScreeningType.objects.values_list("code", "system_code"):
        codes[code.lower()] = code
        if system_code:
            codes[system_code.lower()] = code
    return codes


def voucher_check(
    *, number: str, birth_date: date, screening_type: ScreeningType, now: datetime
) -> VoucherMatch:
    """The current list's entry for `number` + `birth_date`, if it allows `screening_type`.

    Raises VoucherRefused: no_list (nothing imported yet), not_on_list (no such number,
    or not a number at all), birth_mismatch (the number is on the list with another date
    of birth), screening_not_allowed. Reads only; the entry comes from one SELECT, so a
    check that races voucher_list_replace sees the old list or the new one, never a mix.
    `now` is the moment of the check (lists with a validity period will need it).
    Rate limiting is the caller's: it knows the client (vouchers.views).
    """
    normalised = normalise_number(number)
    entry = None
    if normalised is not None:
        entry = (
            VoucherEntry.objects.filter(
                voucher_list__is_current=True, number_key=number_key(normalised)
            )
            .only("key", "sex", "screenings", "fee_class", "voucher_list_id")
            .first()
        )
    if entry is None or normalised is None:
        if not VoucherList.objects.filter(is_current=True).exists():
            raise VoucherRefused(refusals.NO_LIST)
        raise VoucherRefused(refusals.NOT_ON_LIST)
    if entry.key != entry_key(normalised, birth_date):
        raise VoucherRefused(refusals.BIRTH_MISMATCH)
    if screening_type.code not in entry.screening_codes:
        raise VoucherRefused(refusals.SCREENING_NOT_ALLOWED)
    return VoucherMatch(
        number=normalised,
        sex=entry.sex,
        screenings=entry.screening_codes,
        fee_class=entry.fee_class,
        list_id=entry.voucher_list_id,
    )


def voucher_list_stage(
    *, data: bytes, audit_context: AuditContext
) -> tuple[importer.ParsedFile, PendingImport | None]:
    """Read an uploaded file; when it is good, keep its hashed rows for the commit.

    Nothing but keyed hashes, sex, screening codes and fee classes is written: the file
    itself and every other column (names, addresses) stay in this request's memory. A file
    with any bad line gives (parsed with errors, None) and writes nothing. The staff
    member's earlier uncommitted uploads are dropped (one transaction).
    """
    parsed = importer.parse(data, screening_codes=screening_code_map())
    if not parsed.ok:
        return parsed, None
    with transaction.atomic():
        PendingImport.objects.filter(created_by=audit_context.actor).delete()
        pending = PendingImport.objects.create(
            created_by=audit_context.actor,
            file_sha256=parsed.sha256,
            rows=[row.stored() for row in parsed.rows],
            summary={
                "encoding": parsed.encoding,
                "mapping": parsed.mapping,
                "screenings": parsed.screening_counts(),
                "rows": len(parsed.rows),
            },
        )
    return parsed, pending


def voucher_list_replace(
    *, pending_id: int, file_sha256: str, audit_context: AuditContext
) -> VoucherList:
    """Make the previewed upload the current list, in one transaction, audited.

    Guarantees: the previous list and its entries are deleted and the new one becomes
    current in the same transaction as the audit record (vouchers.list.imported: counts,
    file SHA-256), so a reader sees one whole list at any moment and a failed audit
    imports nothing. Only the staff member who uploaded may commit. Raises
    PendingImportGone when the upload was already committed, replaced, or its SHA-256
    is not `file_sha256`.
    """
    with transaction.atomic():
        pending = (
            PendingImport.objects.select_for_update()
            .filter(pk=pending_id, created_by=audit_context.actor, file_sha256=file_sha256)
            .first()
        )
        if pending is None:
            raise PendingImportGone
        new_list = VoucherList.objects.create(
            created_by=audit_context.actor,
            file_sha256=pending.file_sha256,
            row_count=len(pending.rows),
            is_current=False,
        )
        VoucherEntry.objects.bulk_create(
            (
                VoucherEntry(
                    voucher_list=new_list,
                    key=key,
                    number_key=number,
                    sex=sex,
                    screenings=screenings,
                    fee_class=fee_class,
                )
                for key, number, sex, screenings, fee_class in pending.rows
            ),
            batch_size=2000,
        )
        previous = list(VoucherList.objects.filter(is_current=True).values_list("pk", flat=True))
        VoucherList.objects.filter(pk__in=previous).delete()
        new_list.is_current = True
        new_list.save(update_fields=["is_current"])
        summary = pending.summary
        pending.delete()
        audit.record(
            action="vouchers.list.imported",
            context=audit_context,
            target=new_list,
            details={
                "rows": new_list.row_count,
                "replaced_list": previous[0] if previous else None,
                "file_sha256": new_list.file_sha256,
                "screenings": summary.get("screenings", {}),
            },
        )
    log.info("vouchers.list.imported id=%s rows=%s", new_list.pk, new_list.row_count)
    return new_list

"""Importing the city's list: refusals by line with nothing imported, and what is stored."""

import hashlib
from datetime import date

import pytest
from django.db import connection
from django.utils import translation

from audit.context import AuditContext
from audit.models import AuditEvent
from vouchers import importer, services
from vouchers.keys import entry_key, normalise_number
from vouchers.models import PendingImport, VoucherEntry, VoucherList

from .conftest import HEADER, list_file

GOOD = [
    "0001234567,新座 花子カナリア,1970-05-01,2,52 51,A",
    "0001234568,新座 太郎,1960/01/02,1,lung,B",
]


def stage(staff_user, data):
    with translation.override("en"):
        return services.voucher_list_stage(data=data, audit_context=AuditContext(actor=staff_user))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0001234569,X,1970-13-01,2,51,", "生年月日"),
        ("0001234569,X,1970-05-01,2,99,", "99"),
        ("0001234567,X,1970-05-01,2,51,", "line 2"),
        ("0001234569,X,1970-05-01,3,51,", "性別"),
        (",X,1970-05-01,2,51,", "受診券番号"),
        ("0001234569,X,1970-05-01,2,,", "screening"),
    ],
)
def test_a_bad_line_refuses_the_whole_file_by_line_number(staff_user, screenings, line, message):
    parsed, pending = stage(staff_user, list_file(*GOOD, line))
    assert pending is None
    assert [(n, m) for n, m in parsed.errors if message in m and n == 4], parsed.errors
    assert not PendingImport.objects.exists() and not VoucherEntry.objects.exists()


def test_a_missing_column_is_refused_on_line_one(staff_user, screenings):
    parsed, pending = stage(
        staff_user, list_file("0001,1970-05-01,2", header="受診券番号,生年月日,性別\r\n")
    )
    assert pending is None
    assert parsed.errors[0][0] == 1 and "受診可能検診" in parsed.errors[0][1]


def test_a_file_in_another_encoding_is_refused(staff_user, screenings):
    parsed, pending = stage(staff_user, list_file(*GOOD, encoding="utf-16"))
    assert pending is None and parsed.errors[0][0] == 0


def test_a_file_over_the_size_cap_is_refused(staff_user, screenings, monkeypatch):
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 50)
    parsed, pending = stage(staff_user, list_file(*GOOD))
    assert pending is None and "MB" in parsed.errors[0][1]


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "utf-8-sig"])
def test_cp932_and_utf8_with_or_without_bom_are_read(staff_user, screenings, encoding):
    parsed, pending = stage(staff_user, list_file(*GOOD, encoding=encoding))
    assert pending is not None, parsed.errors
    assert len(parsed.rows) == 2
    assert dict(parsed.mapping)["氏名"] == ""  # shown as ignored in the preview
    assert parsed.rows[0].screenings == ("breast", "lung")


def test_wareki_dates_and_full_width_numbers_are_read(staff_user, screenings):
    parsed, _pending = stage(staff_user, list_file("０００１-２３４５,X,昭和45年5月1日,女,52,"))
    assert parsed.ok, parsed.errors
    assert parsed.rows[0].key == entry_key("00012345", date(1970, 5, 1))


def test_commit_replaces_the_list_and_audits_counts_and_file_hash(
    staff_user, screenings, import_list
):
    first = import_list(list_file(*GOOD))
    data = list_file(GOOD[0])
    second = import_list(data)
    assert list(VoucherList.objects.values_list("pk", flat=True)) == [second.pk]
    assert VoucherEntry.objects.count() == 1 and not VoucherList.objects.filter(pk=first.pk)
    event = AuditEvent.objects.filter(action="vouchers.list.imported").latest("id")
    assert event.actor_id == staff_user.pk
    assert event.details["rows"] == 1
    assert event.details["replaced_list"] == first.pk
    assert event.details["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert not PendingImport.objects.exists()


def test_commit_with_another_file_hash_is_refused(staff_user, screenings):
    _parsed, pending = stage(staff_user, list_file(*GOOD))
    with pytest.raises(services.PendingImportGone):
        services.voucher_list_replace(
            pending_id=pending.pk,
            file_sha256="0" * 64,
            audit_context=AuditContext(actor=staff_user),
        )
    assert not VoucherList.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_no_name_from_the_file_is_anywhere_in_the_database(staff_user, screenings, import_list):
    """Canary: the name and the address column of the file never reach the database."""
    header = "受診券番号,氏名,住所,生年月日,性別,受診可能検診\r\n"
    canary_name, canary_address = "鳥羽カナリア子", "新座市カナリア町9-9-9"
    data = list_file(f"0009999999,{canary_name},{canary_address},1955-02-03,2,51", header=header)
    stage(staff_user, data)  # the pending import, as between preview and commit
    dumps = {"pending": database_dump()}
    import_list(data)
    dumps["imported"] = database_dump()
    for when, text in dumps.items():
        for needle in (canary_name, "カナリア", canary_address, "1955-02-03", "0009999999"):
            assert needle not in text, (when, needle)
    assert "vouchers_voucherentry" in dumps["imported"]
    assert VoucherEntry.objects.count() == 1


def database_dump() -> str:
    """Every row of every table, as text: what a stolen copy of the database would hold."""
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            lines += [f"{table}: {row!r}" for row in cursor.fetchall()]
    return "\n".join(lines)


def test_normalise_number_drops_separators_and_refuses_junk():
    assert normalise_number(" ０１２-３４ ") == "01234"
    assert normalise_number("12345678901234567890X") is None
    assert normalise_number("12<3") is None
    assert HEADER.startswith("受診券番号")

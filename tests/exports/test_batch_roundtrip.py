"""A batch opens with the real `openssl cms -decrypt` and holds exactly the database's rows."""

import csv
import hashlib
import io
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from exports import services
from exports.csvfile import HEADER
from exports.models import Batch
from reservations.models import fiscal_year_end_age
from tests.exports.conftest import OPENSSL, book, openssl_decrypt
from tests.factories import ScreeningTypeFactory, SlotFactory, local_dt

pytestmark = pytest.mark.django_db


def _expected_rows(reservations, change):
    """The CSV rows the database says these reservations should give, built by hand."""
    rows = []
    for reservation in reservations:
        reservation.refresh_from_db()
        citizen = reservation.citizen
        for item in reservation.items.select_related("slot__venue", "screening_type"):
            starts = timezone.localtime(item.slot.starts_at)
            rows.append(
                {
                    "予約番号": reservation.display_number,
                    "区分": change,
                    "検診コード": item.screening_type.code,
                    "検診名": item.screening_type.name,
                    "受診日": starts.date().isoformat(),
                    "開始時刻": starts.strftime("%H:%M"),
                    "終了時刻": timezone.localtime(item.slot.ends_at).strftime("%H:%M"),
                    "会場": item.slot.venue.name,
                    "氏名": citizen.name,
                    "フリガナ": citizen.furigana,
                    "生年月日": citizen.birth_date.isoformat(),
                    "性別": {"F": "女", "M": "男"}[citizen.sex],
                    "年度末年齢": str(fiscal_year_end_age(citizen.birth_date, starts.date())),
                    "郵便番号": f"{citizen.postal_code[:3]}-{citizen.postal_code[3:]}",
                    "住所": citizen.address,
                    "電話番号": citizen.phone,
                    "メールアドレス": citizen.email,
                    "申込経路": "Web",
                    "申込日時": timezone.localtime(reservation.created_at).strftime(
                        "%Y-%m-%d %H:%M:%S"
                    ),
                    "最終変更日時": timezone.localtime(reservation.changed_at).strftime(
                        "%Y-%m-%d %H:%M:%S"
                    ),
                    "取消日時": "",
                    "要確認": "",
                    "出欠": "",
                    "取消理由": "",
                    "費用": str(item.screening_type.fee),
                    "費用理由": "通常",
                    "同時予約": "",  # booked alone
                }
            )
    return sorted(rows, key=lambda row: (row["受診日"], row["開始時刻"], row["予約番号"]))


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_openssl_opens_the_batch_and_the_csv_is_exactly_the_database_rows(
    encoding, export_settings, health_centre_keys, export_storage_dir, tmp_path, clock, lung_slots
):
    export_settings.EXPORT_ENCODING = encoding
    venue = lung_slots[0].venue
    stomach = ScreeningTypeFactory(code="stomach")
    stomach_slot = SlotFactory(
        venue=venue,
        screening_type=stomach,
        starts_at=local_dt(timezone.localtime(lung_slots[0].starts_at).date(), 9, 30),
    )
    single = book([lung_slots[1]], at=clock, person=0, address="新座市野火止１丁目２番３号　髙橋方")
    # A set booking (セット検診): two screenings, two rows, one reservation number.
    both = book([lung_slots[0], stomach_slot], at=clock + timedelta(minutes=1), person=1)

    result = services.batch_create_delta(cutoff=clock + timedelta(minutes=5))

    batch = result.batch
    assert result.created and batch.rows_new == 3 and batch.row_count == 3
    stored = export_storage_dir / batch.stored_name
    envelope = stored.read_bytes()
    assert batch.file_bytes == len(envelope)
    assert batch.file_sha256 == hashlib.sha256(envelope).hexdigest()
    assert "山田".encode(encoding.replace("-sig", "")) not in envelope  # not plaintext

    plaintext = openssl_decrypt(stored, health_centre_keys, tmp_path)

    assert batch.plaintext_bytes == len(plaintext)
    assert batch.plaintext_sha256 == hashlib.sha256(plaintext).hexdigest()
    assert batch.encoding == encoding
    assert plaintext.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    text = plaintext.decode(encoding)
    assert text.count("\r\n") == 4 and "\n" not in text.replace("\r\n", "")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == HEADER
    rows = list(reader)
    # Columns 1-22 (format version 1) keep their meaning, and the screening day's and fees'
    # columns read back as the bookings say; tests/exports/test_format_v2.py checks the
    # health management system's codes.
    expected = _expected_rows([single, both], "新規")
    assert [{key: row[key] for key in expected[0]} for row in rows] == expected
    assert any(row["住所"].endswith("髙橋方") for row in rows)  # 髙 is in CP932: kept


def test_the_envelope_is_aes_256_cbc_to_the_health_centre_certificate(
    export_settings, health_centre_keys, clock, lung_slots, export_storage_dir
):
    book([lung_slots[0]], at=clock)
    batch = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch

    printed = subprocess.run(
        [
            OPENSSL,
            "cms",
            "-cmsout",
            "-print",
            "-inform",
            "DER",
            "-in",
            export_storage_dir / batch.stored_name,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    assert "envelopedData" in printed
    assert "aes-256-cbc" in printed
    assert "rsaEncryption" in printed
    assert len(batch.recipient_fingerprint) == 64


def test_no_plaintext_is_left_in_the_export_storage(
    export_settings, clock, lung_slots, export_storage_dir
):
    book([lung_slots[0]], at=clock)
    batch = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch

    files = list(export_storage_dir.iterdir())

    assert [f.name for f in files] == [batch.stored_name]
    assert files[0].suffix == ".p7m"
    assert "ヤマダ".encode("cp932") not in files[0].read_bytes()
    assert Batch.objects.count() == 1

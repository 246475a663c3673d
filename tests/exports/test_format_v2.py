"""Export format version 2: the health management system's codes after columns 1-22."""

import csv
import io
from datetime import date, timedelta

import pytest

from exports import services
from exports.csvfile import FORMAT_VERSION, HEADER, wareki_code
from reservations import services as booking
from reservations.models import ScreeningType
from tests.exports.conftest import openssl_decrypt
from tests.factories import SlotFactory, VenueFactory, details

pytestmark = pytest.mark.django_db

V2 = [
    "様式版",
    "受診券番号",
    "検診種別コード",
    "受診方法",
    "会場コード",
    "性別コード",
    "生年月日(和暦)",
    "電話番号(数字)",
    "費用区分",
]


def test_version_2_appends_its_columns_after_the_first_22_in_order():
    assert HEADER[21] == "要確認"
    assert HEADER[22 : 22 + len(V2)] == V2
    assert FORMAT_VERSION == "2"


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(1970, 5, 1), "3450501"),
        (date(1989, 1, 7), "3640107"),
        (date(1989, 1, 8), "4010108"),
        (date(2019, 5, 1), "5010501"),
        (date(1925, 12, 31), "2141231"),
        (date(1912, 7, 29), "1450729"),
    ],
)
def test_wareki_code_is_era_code_year_and_month_day(day, code):
    assert wareki_code(day) == code


def test_new_columns_read_back_in_cp932_and_match_the_booking(
    export_settings, health_centre_keys, export_storage_dir, tmp_path, clock
):
    export_settings.EXPORT_ENCODING = "cp932"
    breast = ScreeningType.objects.get(code="breast")  # seeded with 検診種別コード 52
    breast.voucher_required = True
    breast.save()
    venue = VenueFactory(name="新座市保健センター", code="0103")
    slot = SlotFactory(venue=venue, screening_type=breast)
    person = details(birth_date=date(1970, 5, 1), sex="F", phone="048-481-0000")
    reservation = booking.reservation_create(
        slots=[slot], details=person, now=clock, voucher_number="0001234567", fee_class="A"
    ).reservation

    batch = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch
    plaintext = openssl_decrypt(
        export_storage_dir / batch.stored_name, health_centre_keys, tmp_path
    )
    (row,) = list(csv.DictReader(io.StringIO(plaintext.decode("cp932"), newline="")))

    assert row["予約番号"] == reservation.display_number
    assert {key: row[key] for key in V2} == {
        "様式版": "2",
        "受診券番号": "0001234567",
        "検診種別コード": "52",
        "受診方法": "2",
        "会場コード": "0103",
        "性別コード": "2",
        "生年月日(和暦)": "3450501",
        "電話番号(数字)": "0484810000",
        "費用区分": "A",
    }


def test_an_open_booking_has_empty_voucher_columns(export_settings, clock):
    lung = ScreeningType.objects.get(code="lung")
    slot = SlotFactory(screening_type=lung)
    booking.reservation_create(slots=[slot], details=details(sex="M"), now=clock)
    from exports.csvfile import csv_row

    record = services._delta_changes(clock - timedelta(minutes=1), clock + timedelta(minutes=5))
    row, _flagged = csv_row(next(iter(record))[0], change="新規", encoding="cp932")
    values = dict(zip(HEADER, row, strict=True))
    assert values["受診券番号"] == "" and values["費用区分"] == ""
    assert values["検診種別コード"] == "51" and values["性別コード"] == "1"


def test_a_voucher_screening_is_not_booked_without_a_voucher(clock):
    breast = ScreeningType.objects.get(code="breast")
    breast.voucher_required = True
    breast.save()
    slot = SlotFactory(screening_type=breast)
    with pytest.raises(booking.NotEligible) as refused:
        booking.reservation_create(slots=[slot], details=details(), now=clock)
    assert refused.value.reasons[0].code == "voucher_required"


def test_the_documented_example_row_has_every_column_in_order():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "export-format.md").read_text()
    block = doc.split("### Example row (version 2)", 1)[1].split("```csv\n", 1)[1]
    header, row = list(csv.reader(io.StringIO(block.split("```", 1)[0])))
    assert header == HEADER
    assert len(row) == len(HEADER)
    assert row[22] == FORMAT_VERSION
    for number, name in enumerate(HEADER, start=1):
        assert f"| {number} | {name} |" in doc, name

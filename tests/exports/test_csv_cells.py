"""Cells are made safe: 〓 for what CP932 cannot hold, formulas neutralised, one line per
record — and every such change is named in the row's 要確認 column."""

import csv
import hashlib
import io
from datetime import timedelta

import pytest

from exports import services
from exports.csvfile import clean_cell
from tests.exports.conftest import book, openssl_decrypt

# --- One cell ---------------------------------------------------------------------------------


def test_a_character_cp932_cannot_hold_becomes_geta_and_is_reported():
    assert clean_cell("𠮷田 太郎", encoding="cp932") == ("〓田 太郎", ["外字"])


def test_utf8_keeps_every_character():
    assert clean_cell("𠮷田 太郎", encoding="utf-8-sig") == ("𠮷田 太郎", [])


@pytest.mark.parametrize("value", ["髙橋", "﨑山", "①番地", "～", "1−2", "山田 花子"])
def test_characters_cp932_holds_are_kept_unflagged(value):
    assert clean_cell(value, encoding="cp932") == (value, [])


def test_a_variation_selector_is_dropped_and_the_cell_flagged():
    # 葛 + VS17 (the 葛飾 glyph): CP932 has 葛, not the variant.
    assert clean_cell("葛\U000e0100西", encoding="cp932") == ("葛西", ["外字"])


def test_an_em_dash_becomes_cp932s_horizontal_bar():
    # Same JIS character, other Unicode value: nothing is lost, so nothing to check.
    value, reasons = clean_cell("1\u20142", encoding="cp932")
    assert value == "1\u20152" and reasons == []
    value.encode("cp932")


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example","x")',
        "+81 90 1234 5678",
        "-1+2",
        "@SUM(A1:A2)",
        "＝1+1",
        "＋1",
        "－1",
        "＠x",
        # MINUS SIGN: CP932 writes it as the byte pair of "－" (0x817C), listed above.
        "−1+2",
        "  =1+1",
        "\u3000=1+1",
    ],
)
def test_a_value_a_spreadsheet_would_run_as_a_formula_is_neutralised(value):
    cleaned, reasons = clean_cell(value, encoding="cp932")
    assert cleaned == "'" + value
    assert reasons == ["数式対策"]


@pytest.mark.parametrize("value", ["\t=1+1", "\r=1+1"])
def test_tab_or_cr_before_a_formula_is_both_removed_and_neutralised(value):
    cleaned, reasons = clean_cell(value, encoding="cp932")
    assert cleaned == "' =1+1"
    assert reasons == ["改行等", "数式対策"]


@pytest.mark.parametrize(
    "value", ["048-481-2211", "new-user@example.jp", "新座市野火止1-2-3", "1+1=2", "a@b"]
)
def test_a_value_with_these_characters_later_on_is_left_alone(value):
    assert clean_cell(value, encoding="cp932") == (value, [])


def test_line_breaks_inside_a_value_become_spaces():
    assert clean_cell("新座市\r\n野火止", encoding="utf-8-sig") == ("新座市  野火止", ["改行等"])


# --- Through a whole batch -------------------------------------------------------------------


def _rows(batch, keys, tmp_path, export_storage_dir, encoding="cp932"):
    plaintext = openssl_decrypt(export_storage_dir / batch.stored_name, keys, tmp_path)
    return list(csv.DictReader(io.StringIO(plaintext.decode(encoding), newline="")))


@pytest.mark.django_db
def test_a_name_with_a_character_outside_cp932_is_exported_with_geta_and_flagged(
    export_settings, health_centre_keys, export_storage_dir, tmp_path, clock, lung_slots
):
    book([lung_slots[0]], at=clock, name="𠮷田 太郎")
    book([lung_slots[1]], at=clock, person=1)

    batch = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch
    rows = {
        row["フリガナ"]: row
        for row in _rows(batch, health_centre_keys, tmp_path, export_storage_dir)
    }

    assert rows["ヤマダ ハナコ"]["氏名"] == "〓田 太郎"
    assert rows["ヤマダ ハナコ"]["要確認"] == "氏名:外字"
    assert rows["スズキ イチロウ"]["要確認"] == ""
    assert batch.rows_flagged == 1


@pytest.mark.django_db
def test_the_same_name_in_utf8_is_exported_as_typed_and_not_flagged(
    export_settings, health_centre_keys, export_storage_dir, tmp_path, clock, lung_slots
):
    export_settings.EXPORT_ENCODING = "utf-8-sig"
    book([lung_slots[0]], at=clock, name="𠮷田 太郎")

    batch = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch
    (row,) = _rows(batch, health_centre_keys, tmp_path, export_storage_dir, "utf-8-sig")

    assert row["氏名"] == "𠮷田 太郎" and row["要確認"] == ""
    assert batch.rows_flagged == 0


@pytest.mark.django_db
def test_formula_injection_in_a_booking_is_neutralised_in_the_file(
    export_settings, health_centre_keys, export_storage_dir, tmp_path, clock, lung_slots
):
    book(
        [lung_slots[0]],
        at=clock,
        name="=cmd|' /C calc'!A0",
        address="@SUM(1+1)*cmd|' /C calc'!A0",
        email="+danger@example.jp",
    )

    batch = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch
    (row,) = _rows(batch, health_centre_keys, tmp_path, export_storage_dir)

    assert row["氏名"] == "'=cmd|' /C calc'!A0"
    assert row["住所"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["メールアドレス"] == "'+danger@example.jp"
    assert row["要確認"] == "氏名:数式対策 住所:数式対策 メールアドレス:数式対策"
    # What the program writes itself is never touched: dates, times, numbers, phone.
    assert row["電話番号"] == "048-481-0000"
    assert row["生年月日"] == "1970-05-01"
    assert not row["予約番号"].startswith("'")


@pytest.mark.django_db
def test_ibm_extension_kanji_are_written_with_the_codes_windows_writes(
    export_settings, health_centre_keys, export_storage_dir, tmp_path, clock, lung_slots
):
    """髙 and 﨑 (髙橋, 山﨑: common surnames) each have two CP932 codes. Python's codec
    writes the NEC-selected one (髙 = EE E0), which Windows, Java's MS932 and the WHATWG
    Shift_JIS encoder never write and which systems that know only the IBM extension
    rows show as 外字. The file uses the IBM extension (髙 = FB FC), as Windows does."""
    book([lung_slots[0]], at=clock, name="髙橋 﨑子")

    batch = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch
    plaintext = openssl_decrypt(
        export_storage_dir / batch.stored_name, health_centre_keys, tmp_path
    )

    assert b"\xfb\xfc" in plaintext and b"\xfa\xb1" in plaintext
    # The rows, not the header: a byte search there straddles characters (検診種別コード
    # is 8C 9F 90 66 8E ED 95 CA …, which holds ED 95 without any NEC-selected code).
    body = plaintext.split(b"\r\n", 1)[1]
    assert b"\xee\xe0" not in body and b"\xed\x95" not in body
    (row,) = _rows(batch, health_centre_keys, tmp_path, export_storage_dir)
    assert row["氏名"] == "髙橋 﨑子" and row["要確認"] == ""
    assert batch.plaintext_sha256 == hashlib.sha256(plaintext).hexdigest()

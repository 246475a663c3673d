"""The CSV the health centre imports: its columns and how each cell is made safe.

Pure functions and no database: services.py feeds rows (dicts from one query) into
`write_csv`, which writes the encoded bytes to a buffer and hashes them on the way.
Every column is documented in docs/export-format.md; keep the two in step.

Each text cell goes through three steps, and every change made to a value is named in
the row's 要確認 (check) column so that a person looks at it before the import:
1. control characters (line breaks, tabs …) become spaces — one line per record;
2. in CP932, a character the encoding cannot hold becomes 〓 (geta), never a crash;
3. a value that a spreadsheet would run as a formula (= + - @, also full-width) gets a
   leading apostrophe.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from django.utils import timezone

from citizens.forms import era_of
from citizens.normalize import format_postal_code
from reservations import fees
from reservations.models import ScreeningType, fiscal_year_end_age, format_reservation_number
from vouchers.fees import rule_in

ENCODINGS = ("cp932", "utf-8-sig")
# No fee class configured: every booking pays by the screening's fee and exemptions.
NO_FEE_CLASSES: Mapping[str, fees.FeeClassRule] = MappingProxyType({})
GETA = "〓"  # 〓 (U+3013): what Japanese systems print for a character they cannot show

# Change types (区分): what the row tells the health centre to do.
NEW = "新規"  # a booking it has not seen
CHANGED = "変更"  # a booking it has seen, now at another time or venue
CANCELLED = "取消"  # a booking it has seen, now cancelled
CURRENT = "現在"  # a row of a full snapshot: the booking as it stands

# The layout's version, written in every row (様式版) from version 2 on; version 1 had
# columns 1-22 only. Bump it, and say what changed in docs/export-format.md, whenever a
# column is added.
FORMAT_VERSION = "2"

# (header, key). The order is the file's column order. Columns are only ever appended.
COLUMNS = [
    ("予約番号", "number"),
    ("区分", "change"),
    ("検診コード", "screening_code"),
    ("検診名", "screening_name"),
    ("受診日", "date"),
    ("開始時刻", "start"),
    ("終了時刻", "end"),
    ("会場", "venue"),
    ("氏名", "name"),
    ("フリガナ", "furigana"),
    ("生年月日", "birth_date"),
    ("性別", "sex"),
    ("年度末年齢", "age"),
    ("郵便番号", "postal_code"),
    ("住所", "address"),
    ("電話番号", "phone"),
    ("メールアドレス", "email"),
    ("申込経路", "channel"),
    ("申込日時", "booked_at"),
    ("最終変更日時", "changed_at"),
    ("取消日時", "cancelled_at"),
    ("要確認", "check"),
    # Format version 2: the health management system's own codes.
    ("様式版", "format_version"),
    ("受診券番号", "voucher_number"),
    ("検診種別コード", "system_code"),
    ("受診方法", "method"),
    ("会場コード", "venue_code"),
    ("性別コード", "sex_code"),
    ("生年月日(和暦)", "birth_date_wareki"),
    ("電話番号(数字)", "phone_digits"),
    ("費用区分", "fee_class"),
    # --- The screening day and fees (issue 16): appended, so importers that read the
    # first 22 columns by position are unaffected.
    ("出欠", "attendance"),
    ("取消理由", "cancel_reason"),
    ("費用", "fee"),
    ("費用理由", "fee_reason"),
    # Booking for the family (reservations.group): columns after 22 are appended.
    ("同時予約", "group"),
]
HEADER = [header for header, _key in COLUMNS]
KEYS = [key for _header, key in COLUMNS]
# Cells holding what people or administrators typed: only these are cleaned. Dates,
# times, ages, numbers and codes are written by this module and cannot start with a
# formula character or hold an unencodable one.
_FREE_TEXT = {
    "screening_name",
    "venue",
    "name",
    "furigana",
    "address",
    "phone",
    "email",
    # Typed by administrators (会場コード) or taken from the city's list (費用区分).
    "venue_code",
    "fee_class",
}
FREE_TEXT = tuple(key for key in KEYS if key in _FREE_TEXT)  # in column order
_HEADER_OF = dict((key, header) for header, key in COLUMNS)

SEX_LABELS = {"F": "女", "M": "男"}
SEX_CODES = {"M": "1", "F": "2"}
# 受診方法: 2 = 集団 (group screening at a venue); kenshin books nothing else.
METHOD_GROUP = "2"
# 元号コード: the de-facto standard numbering (明治 = 1, in order), docs/export-format.md.
ERA_CODES = {"M": "1", "T": "2", "S": "3", "H": "4", "R": "5"}
ATTENDANCE_LABELS = {"attended": "受付済", "absent": "欠席"}
CANCEL_REASON_LABELS = {"called_off": "中止"}
CHANNEL_LABELS = {"web": "Web", "phone": "電話", "lottery": "抽選", "waitlist": "キャンセル待ち"}

# OWASP "CSV injection": a cell starting with one of these is a formula in Excel,
# LibreOffice and Google Sheets; tab and CR are listed because some importers strip them
# (here they are already spaces by then). The full-width forms are included because
# Japanese spreadsheets may treat ＝ like =; so is MINUS SIGN (U+2212), which CP932 writes
# as the same bytes as －.
_FORMULA_START = set("=+-@\t\r＝＋－＠\u2212")
_NOT_DIGIT = re.compile(r"[^0-9]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# Unicode variation selectors (e.g. 葛 + VS17 for the 葛飾 glyph): invisible, and no
# CP932 byte can carry them. They are dropped, and the cell flagged, because the glyph
# variant the resident chose is lost.
_VARIATION_SELECTOR = re.compile(r"[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# Characters Python's cp932 codec does not map but whose JIS code point CP932 has under
# another Unicode value (the "JIS vs Microsoft" mapping difference): same character.
_CP932_EQUIVALENTS = str.maketrans({"\u2014": "\u2015"})  # EM DASH → HORIZONTAL BAR


def _ibm_extension_codes() -> dict[str, bytes]:
    """Characters Python's cp932 codec writes in the NEC-selected IBM extension rows
    (lead bytes ED, EE), mapped to their code in the IBM extension rows (FA–FC).

    Each of these kanji (髙, 﨑, 德 …) has both codes; Windows' own converter, Java's MS932
    and the WHATWG Shift_JIS encoder write the IBM one and never the NEC-selected one,
    which systems that know only the IBM rows show as 外字. Python writes the other.
    """
    codes: dict[str, bytes] = {}
    for lead in (0xFA, 0xFB, 0xFC):
        for trail in (*range(0x40, 0x7F), *range(0x80, 0xFD)):
            code = bytes((lead, trail))
            try:
                char = code.decode("cp932")
            except UnicodeDecodeError:
                continue
            if char.encode("cp932")[0] in (0xED, 0xEE):
                codes.setdefault(char, code)
    return codes


_IBM_EXTENSION = _ibm_extension_codes()
_NEC_SELECTED = re.compile("[" + "".join(sorted(_IBM_EXTENSION)) + "]")


def encode_cp932(text: str) -> bytes:
    """text in CP932 as Windows writes it (see _ibm_extension_codes); strict otherwise."""
    if not _NEC_SELECTED.search(text):
        return text.encode("cp932")
    parts, start = [], 0
    for match in _NEC_SELECTED.finditer(text):
        parts += [text[start : match.start()].encode("cp932"), _IBM_EXTENSION[match.group()]]
        start = match.end()
    parts.append(text[start:].encode("cp932"))
    return b"".join(parts)


FLAG_CONTROL = "改行等"
FLAG_UNENCODABLE = "外字"
FLAG_FORMULA = "数式対策"


def clean_cell(value: str, *, encoding: str) -> tuple[str, list[str]]:
    """(safe value, reasons it was changed). Reasons are empty when nothing changed."""
    reasons = []
    if _CONTROL.search(value):
        value = _CONTROL.sub(" ", value)
        reasons.append(FLAG_CONTROL)
    if encoding == "cp932":
        value, replaced = _to_cp932(value)
        if replaced:
            reasons.append(FLAG_UNENCODABLE)
    if value.lstrip(" \u3000")[:1] in _FORMULA_START:
        value = "'" + value
        reasons.append(FLAG_FORMULA)
    return value, reasons


def _to_cp932(value: str) -> tuple[str, bool]:
    """Replace each character CP932 cannot encode by 〓; True if anything was lost."""
    try:
        value.encode("cp932")
        return value, False
    except UnicodeEncodeError:
        pass
    value = value.translate(_CP932_EQUIVALENTS)
    stripped = _VARIATION_SELECTOR.sub("", value)
    lost = stripped != value
    out = []
    for ch in stripped:
        try:
            ch.encode("cp932")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(GETA)
            lost = True
    return "".join(out), lost


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def _moment(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def wareki_code(day: date | None) -> str:
    """1970-05-01 → "3450501": 元号コード, 和暦年 in two digits, MMDD. "" before 明治."""
    found = era_of(day) if day else None
    if found is None or day is None:
        return ""
    era, year = found
    return f"{ERA_CODES[era.code]}{year:02d}{day.month:02d}{day.day:02d}"


def csv_row(
    record: dict,
    *,
    change: str,
    encoding: str,
    fee_classes: Mapping[str, fees.FeeClassRule] = NO_FEE_CLASSES,
) -> tuple[list[str], bool]:
    """One reserved screening as a CSV row; True when its 要確認 column is filled.

    `record` holds the values of one ReservationItem query row (see services.ROW_FIELDS);
    `fee_classes` the configured fee classes (vouchers.fees.fee_class_rules, loaded once
    for the batch by the caller) that the 費用 and 費用理由 columns apply.
    """
    starts = timezone.localtime(record["slot__starts_at"])
    ends = timezone.localtime(record["slot__ends_at"])
    birth_date = record["reservation__citizen__birth_date"]
    values = {
        "number": format_reservation_number(record["reservation__number"]),
        "change": change,
        "screening_code": record["screening_type__code"],
        "screening_name": record["screening_type__name"],
        "date": starts.date().isoformat(),
        "start": starts.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
        "venue": record["slot__venue__name"],
        "name": record["reservation__citizen__name"],
        "furigana": record["reservation__citizen__furigana"],
        "birth_date": _date(birth_date),
        "sex": SEX_LABELS.get(record["reservation__citizen__sex"], ""),
        "age": str(fiscal_year_end_age(birth_date, starts.date())),
        "postal_code": format_postal_code(record["reservation__citizen__postal_code"]),
        "address": record["reservation__citizen__address"],
        "phone": record["reservation__citizen__phone"],
        "email": record["reservation__citizen__email"],
        "channel": CHANNEL_LABELS.get(record["reservation__channel"], ""),
        "booked_at": _moment(record["reservation__created_at"]),
        "changed_at": _moment(record["reservation__changed_at"]),
        # Only a 取消 row is about a cancellation. A 新規 row of a booking cancelled after
        # the cut-off (before the run) shows it as it was at the cut-off; 取消 follows.
        "cancelled_at": (
            _moment(record["reservation__cancelled_at"]) if change == CANCELLED else ""
        ),
        "format_version": FORMAT_VERSION,
        "voucher_number": record["reservation__voucher_number"],
        "system_code": record["screening_type__system_code"],
        "method": METHOD_GROUP,
        "venue_code": record["slot__venue__code"],
        "sex_code": SEX_CODES.get(record["reservation__citizen__sex"], ""),
        "birth_date_wareki": wareki_code(birth_date),
        "phone_digits": _NOT_DIGIT.sub("", record["reservation__citizen__phone"] or ""),
        "fee_class": record["reservation__fee_class"],
        "attendance": ATTENDANCE_LABELS.get(record.get("attendance__status") or "", ""),
        "cancel_reason": (
            CANCEL_REASON_LABELS.get(record["reservation__cancel_reason"], "")
            if change == CANCELLED
            else ""
        ),
    }
    fee = _fee(record, birth_date, starts.date(), fee_classes)
    values["fee"], values["fee_reason"] = str(fee.amount), fees.EXPORT_LABELS[fee.reason_code]
    # 同時予約: the first member's reservation number links the members of one group.
    group_number = record.get("reservation__group__first_number")
    values["group"] = format_reservation_number(group_number) if group_number else ""
    checks = []
    for key in FREE_TEXT:
        values[key], reasons = clean_cell(values[key] or "", encoding=encoding)
        checks += [f"{_HEADER_OF[key]}:{reason}" for reason in reasons]
    values["check"] = " ".join(checks)
    return [values[key] for key in KEYS], bool(checks)


def _fee(
    record: dict, birth_date: date, day: date, fee_classes: Mapping[str, fees.FeeClassRule]
) -> fees.Fee:
    """The fee that applies to this resident (reservations.fees.fee_for), from the row and
    the booking's fee class."""
    screening = ScreeningType(
        fee=record["screening_type__fee"],
        free_from_age=record["screening_type__free_from_age"],
        free_coupon_age=record["screening_type__free_coupon_age"],
    )
    fee_class = rule_in(fee_classes, record["reservation__fee_class"] or "")
    return fees.fee_for(screening, birth_date, day, fee_class=fee_class)


@dataclass
class CsvResult:
    data: memoryview  # the CSV's bytes, without a copy of the buffer
    sha256: str
    changes: Counter = field(default_factory=Counter)  # change type → rows
    flagged: int = 0

    @property
    def rows(self) -> int:
        return sum(self.changes.values())


class _EncodingSink:
    """A file-like object for csv.writer: encodes each line, keeps and hashes the bytes."""

    def __init__(self, codec: str):
        self.codec = codec
        self.buffer = io.BytesIO()
        self.hash = hashlib.sha256()

    def write_bytes(self, data: bytes) -> None:
        self.buffer.write(data)
        self.hash.update(data)

    def write(self, text: str) -> None:
        # Cells were cleaned for this encoding already; "strict" turns any slip into a
        # loud error rather than a silently wrong file.
        self.write_bytes(encode_cp932(text) if self.codec == "cp932" else text.encode(self.codec))


def write_csv(
    rows: Iterable[tuple[dict, str]],
    *,
    encoding: str,
    fee_classes: Mapping[str, fees.FeeClassRule] = NO_FEE_CLASSES,
) -> CsvResult:
    """Encode (record, change type) pairs into the batch CSV: header row, CRLF line ends.
    `fee_classes`: as csv_row takes them.

    The whole file is built in memory: the PKCS7 envelope builder takes bytes, not a
    stream (see docs/exports.md for sizing).
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported export encoding {encoding!r}")
    sink = _EncodingSink("cp932" if encoding == "cp932" else "utf-8")
    if encoding == "utf-8-sig":
        sink.write_bytes("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    writer = csv.writer(sink, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    changes: Counter = Counter()
    flagged = 0
    for record, change in rows:
        row, needs_check = csv_row(
            record, change=change, encoding=encoding, fee_classes=fee_classes
        )
        writer.writerow(row)
        changes[change] += 1
        flagged += needs_check
    return CsvResult(
        data=sink.buffer.getbuffer(), sha256=sink.hash.hexdigest(), changes=changes, flagged=flagged
    )

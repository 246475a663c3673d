"""Reading the city's 対象者 list (CSV) into hashed rows: pure functions, no database.

The file comes from the health management system in CP932 or UTF-8 (with or without a
BOM). Its first line names the columns; the ones read are in FIELDS (any of the names
given), every other column — 氏名, 住所 … — is ignored and never leaves this module.
A file with any bad line is refused as a whole: `parse` returns every error with its line
number, and the caller imports nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from citizens.forms import parse_date_text
from vouchers.keys import entry_key, normalise_number, number_key

MAX_FILE_BYTES = 10 * 1024 * 1024  # about 200,000 people at 50 bytes a line
MAX_ERRORS_SHOWN = 100

# field → the column names it is read from (after NFKC and trimming).
FIELDS: dict[str, tuple[str, ...]] = {
    "number": ("受診券番号", "受診券", "voucher_number"),
    "birth_date": ("生年月日", "birth_date"),
    "sex": ("性別", "性別コード", "sex"),
    "screenings": ("受診可能検診", "対象検診", "検診種別コード", "検診", "screenings"),
    "fee_class": ("費用区分", "負担区分", "fee_class"),
}
REQUIRED = ("number", "birth_date", "sex", "screenings")
SEX_CODES = {"1": "M", "男": "M", "M": "M", "2": "F", "女": "F", "F": "F"}
_LIST_SEPARATORS = re.compile(r"[\s,;/|、・]+")
FEE_CLASS_MAX = 10


@dataclass(frozen=True)
class Row:
    """One person as stored: keyed hashes, sex, screening codes, fee class."""

    key: str
    number_key: str
    sex: str
    screenings: tuple[str, ...]
    fee_class: str

    def stored(self) -> list[str]:
        return [self.key, self.number_key, self.sex, " ".join(self.screenings), self.fee_class]


@dataclass
class ParsedFile:
    sha256: str
    encoding: str = ""
    # (column name in the file, field it is read into, or "" when ignored)
    mapping: list[tuple[str, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message); 0 = file

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def screening_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            for code in row.screenings:
                counts[code] = counts.get(code, 0) + 1
        return dict(sorted(counts.items()))


def _decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding name) or None when the bytes are neither UTF-8 nor CP932."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError:
            return None
    for codec, label in (("utf-8", "UTF-8"), ("cp932", "CP932")):
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    return None


def _clean(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def _birth_date(text: str) -> date | None:
    try:
        return parse_date_text(text)
    except ValidationError:
        return None


def parse(data: bytes, *, screening_codes: Mapping[str, str]) -> ParsedFile:
    """The file's rows, hashed, or every reason it cannot be imported, by line.

    `screening_codes` maps what the file may name a screening by (ScreeningType.code and
    its 検診種別コード, e.g. "51") to ScreeningType.code.
    """
    parsed = ParsedFile(sha256=hashlib.sha256(data).hexdigest())
    if len(data) > MAX_FILE_BYTES:
        parsed.errors.append(
            (0, _("The file is larger than %(mb)s MB.") % {"mb": MAX_FILE_BYTES // 1024 // 1024})
        )
        return parsed
    decoded = _decode(data)
    if decoded is None:
        parsed.errors.append((0, _("The file is neither CP932 (Shift_JIS) nor UTF-8 text.")))
        return parsed
    text, parsed.encoding = decoded
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        parsed.errors.append((1, _("The file is empty.")))
        return parsed
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        found = next((f for f, names in FIELDS.items() if _clean(name) in names), "")
        if found and found in columns:
            parsed.errors.append((1, _("Two columns are read as %(field)s.") % {"field": name}))
        elif found:
            columns[found] = index
        parsed.mapping.append((name, found))
    missing = [FIELDS[f][0] for f in REQUIRED if f not in columns]
    if missing:
        parsed.errors.append(
            (1, _("Missing column(s): %(columns)s.") % {"columns": "、".join(missing)})
        )
    if parsed.errors:
        return parsed
    seen: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            row = _row(values, columns, line, seen, screening_codes, parsed.errors)
            if row is not None:
                parsed.rows.append(row)
    except csv.Error as exc:
        parsed.errors.append((reader.line_num, _("The line cannot be read: %(e)s") % {"e": exc}))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append((0, _("The file has no people in it.")))
    return parsed


def _row(
    values: list[str],
    columns: dict[str, int],
    line: int,
    seen: dict[str, int],
    screening_codes: Mapping[str, str],
    errors: list[tuple[int, str]],
) -> Row | None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return _clean(values[index]) if index is not None and index < len(values) else ""

    before = len(errors)
    number = normalise_number(cell("number"))
    if number is None:
        errors.append((line, _("受診券番号 is missing or is not 1 to 20 letters and digits.")))
    elif number in seen:
        errors.append(
            (line, _("受診券番号 appears twice (also on line %(line)s).") % {"line": seen[number]})
        )
    else:
        seen[number] = line
    birth = _birth_date(cell("birth_date"))
    if birth is None:
        errors.append((line, _("生年月日 is not a date such as 1970-05-01 or 1970/05/01.")))
    sex = SEX_CODES.get(cell("sex").upper())
    if sex is None:
        errors.append((line, _("性別 must be 1 (男) or 2 (女).")))
    screenings: list[str] = []
    tokens = [t for t in _LIST_SEPARATORS.split(cell("screenings")) if t]
    for token in tokens:
        code = screening_codes.get(token.lower())
        if code is None:
            errors.append((line, _("Unknown screening code %(code)s.") % {"code": token[:20]}))
        elif code not in screenings:
            screenings.append(code)
    if not tokens:
        errors.append((line, _("No screening is given.")))
    fee_class = cell("fee_class")
    if len(fee_class) > FEE_CLASS_MAX:
        errors.append((line, _("費用区分 is longer than 10 characters.")))
    if len(errors) > before or number is None or birth is None or sex is None:
        return None
    return Row(
        key=entry_key(number, birth),
        number_key=number_key(number),
        sex=sex,
        screenings=tuple(screenings),
        fee_class=fee_class,
    )

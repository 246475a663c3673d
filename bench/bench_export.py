"""Exporting a large batch: time and peak memory, beside PostgreSQL's own COPY.

    python bench/bench_export.py [--rows 100000] [--encoding cp932|utf-8-sig]

Needs PostgreSQL (BENCH_DATABASE_URL, or DATABASE_URL pointing at a postgres server): a
throwaway database named kenshin_bench_export is created, filled and dropped — never the
development database. Without PostgreSQL it says so and exits 0.

1. Inserts --rows reservations (one screening each, with their citizens) in chunks.
2. Runs the real nightly export (batch_create_delta: query → CSV → CMS envelope → storage)
   and reports wall time and the process's peak RSS growth (getrusage).
3. Times the parts (query + CSV, encryption) and the Python-heap peak (tracemalloc) of
   building + encrypting, in a second pass.
4. Times `COPY (SELECT … same columns, same order …) TO STDOUT WITH CSV` for the same rows.
5. Decrypts the batch with the real openssl and checks its SHA-256 (a correctness check).
Bounded: the row count is fixed and the whole run is cut off after 600 s (SIGALRM).
"""

import argparse
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import open_slots, postgres_base, throwaway_database  # noqa: E402

DB_NAME = "kenshin_bench_export"
LIMIT_SECONDS = 600


def make_key_pair(directory: Path) -> tuple[Path, Path]:
    """A throwaway health-centre key pair, for this run only (deleted at the end), made
    with openssl as docs/exports.md tells the health centre (no passphrase, 2048 bits)."""
    cert_path, key_path = directory / "hc.crt", directory / "hc.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256"),
            *("-days", "2", "-subj", "/CN=bench health centre"),
            *("-keyout", str(key_path), "-out", str(cert_path)),
        ],
        check=True,
        capture_output=True,
    )
    return cert_path, key_path


def peak_rss_mib() -> float:
    """This process's peak resident memory so far.

    VmHWM (Linux) belongs to the current program image; getrusage's ru_maxrss would
    carry over the parent's peak across fork + exec, hiding the child's own figure.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def fill(rows: int) -> None:
    """`rows` reservations for lung screenings spread over 500 slots, 1 in 1000 names
    with a character CP932 cannot hold, inserted in chunks so memory stays flat."""
    from django.db.models import Count
    from django.utils import timezone

    from citizens.models import Citizen, person_key
    from reservations.models import Reservation, ReservationItem, ScreeningType, Slot

    lung = ScreeningType.objects.get(code="lung")
    slot_count = 500
    slots = open_slots(
        slot_count,
        capacity=rows // slot_count + 1,
        venues=3,
        first_day=timezone.localdate() + timedelta(days=30),
        minutes=15,
    )
    made = timezone.now() - timedelta(hours=2)
    birth = date(1970, 5, 1)
    chunk = 5000
    for start in range(0, rows, chunk):
        numbers = range(start, min(start + chunk, rows))
        citizens = Citizen.objects.bulk_create(
            Citizen(
                name="𠮷田 太郎" if n % 1000 == 0 else f"山田 花子{n % 97}",
                furigana=f"ヤマダ ハナコ{n}",
                birth_date=birth,
                sex="F",
                postal_code="3520001",
                address=f"埼玉県新座市野火止{n % 9 + 1}丁目{n % 30 + 1}番{n % 20 + 1}号",
                phone="048-481-0000",
                email=f"user{n}@example.jp",
            )
            for n in numbers
        )
        reservations = Reservation.objects.bulk_create(
            Reservation(
                number=f"{n:012d}",
                citizen=citizen,
                created_at=made,
                changed_at=made,
            )
            for n, citizen in zip(numbers, citizens, strict=True)
        )
        ReservationItem.objects.bulk_create(
            ReservationItem(
                reservation=reservation,
                slot=slots[n % slot_count],
                screening_type=lung,
                fiscal_year=slots[n % slot_count].fiscal_year,
                person_key=person_key(citizen.furigana, birth),
            )
            for n, reservation, citizen in zip(numbers, reservations, citizens, strict=True)
        )
    for slot in Slot.objects.annotate(n=Count("items")):
        Slot.objects.filter(pk=slot.pk).update(booked=slot.n)


COPY_SQL = """
COPY (
  SELECT r.number, 'new', st.code, st.name, s.starts_at, s.ends_at, v.name,
         c.name, c.furigana, c.birth_date, c.sex, c.postal_code, c.address, c.phone, c.email,
         r.channel, r.created_at, r.changed_at, r.cancelled_at
  FROM {item} i
  JOIN {reservation} r ON r.id = i.reservation_id
  JOIN {citizen} c ON c.id = r.citizen_id
  JOIN {slot} s ON s.id = i.slot_id
  JOIN {venue} v ON v.id = s.venue_id
  JOIN {screening} st ON st.id = i.screening_type_id
  WHERE r.changed_at > %s AND r.changed_at <= %s
  ORDER BY s.starts_at, v.name, v.id, r.number, st.display_order, st.id
) TO STDOUT WITH CSV HEADER
"""


def time_copy(start: datetime, end: datetime) -> tuple[float, int]:
    from django.db import connection

    from citizens.models import Citizen
    from reservations.models import Reservation, ReservationItem, ScreeningType, Slot, Venue

    sql = COPY_SQL.format(
        item=ReservationItem._meta.db_table,
        reservation=Reservation._meta.db_table,
        citizen=Citizen._meta.db_table,
        slot=Slot._meta.db_table,
        venue=Venue._meta.db_table,
        screening=ScreeningType._meta.db_table,
    )
    size = 0
    began = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql, [start, end]) as copy:
            for block in copy:
                size += len(block)
    return time.perf_counter() - began, size


def measure(encoding: str) -> dict:
    """Run in a fresh process (see main) so that its peak RSS is the export's alone."""
    import django

    django.setup()
    from django.utils import timezone

    from exports import crypto, csvfile, services
    from exports.models import CHAIN_START

    # Warm up imports and the connection before taking the baseline.
    crypto.load_recipient()
    list(services._delta_changes(CHAIN_START, CHAIN_START + timedelta(seconds=1)))

    # 1. The real nightly export, end to end.
    cutoff = timezone.now() - services.SETTLE
    rss_before = peak_rss_mib()
    began = time.perf_counter()
    batch = services.batch_create_delta(cutoff=cutoff).batch
    assert batch is not None, "the bench filled the database: there is always a batch"
    export_seconds = time.perf_counter() - began
    rss_after = peak_rss_mib()

    # 2. The same rows again, part by part, then with tracemalloc watching the Python heap.
    recipient = crypto.load_recipient()
    began = time.perf_counter()
    table = csvfile.write_csv(services._delta_changes(CHAIN_START, cutoff), encoding=encoding)
    csv_seconds = time.perf_counter() - began
    began = time.perf_counter()
    envelope = crypto.encrypt(table.data, recipient)
    encrypt_seconds = time.perf_counter() - began
    del table, envelope
    tracemalloc.start()
    table = csvfile.write_csv(services._delta_changes(CHAIN_START, cutoff), encoding=encoding)
    envelope = crypto.encrypt(table.data, recipient)
    _current, heap_peak = tracemalloc.get_traced_memory()
    del table, envelope
    tracemalloc.stop()
    return {
        "batch": batch.pk,
        "cutoff": cutoff.isoformat(),
        "export_seconds": export_seconds,
        "csv_seconds": csv_seconds,
        "encrypt_seconds": encrypt_seconds,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "heap_peak": heap_peak,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--encoding", choices=["cp932", "utf-8-sig"], default="cp932")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:  # the child process: the database is ready, measure and report
        print(json.dumps(measure(args.encoding)))
        return 0

    if postgres_base() is None:
        print("bench_export: skipped — needs PostgreSQL (set DATABASE_URL=postgres://…)")
        return 0
    signal.alarm(LIMIT_SECONDS)  # bounded, whatever happens

    workdir = Path(tempfile.mkdtemp(prefix="kenshin-bench-export-"))
    cert_path, key_path = make_key_pair(workdir)
    database_url, drop_database = throwaway_database(DB_NAME, postgres=True)
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "WARNING",
            "EXPORT_RECIPIENT_CERT": str(cert_path),
            "EXPORT_STORAGE_DIR": str(workdir / "exports"),
            "EXPORT_ENCODING": args.encoding,
        }
    )
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from exports import services
        from exports.models import CHAIN_START, Batch

        call_command("migrate", verbosity=0)
        began = time.perf_counter()
        fill(args.rows)
        fill_seconds = time.perf_counter() - began

        child = subprocess.run(
            [sys.executable, __file__, "--measure", "--encoding", args.encoding],
            check=True,
            capture_output=True,
            text=True,
            timeout=LIMIT_SECONDS,
        )
        m = json.loads(child.stdout.strip().splitlines()[-1])
        batch = Batch.objects.get(pk=m["batch"])

        # PostgreSQL's own CSV of the same rows.
        copy_seconds, copy_bytes = time_copy(CHAIN_START, datetime.fromisoformat(m["cutoff"]))

        # The health centre can open it.
        stored = Path(services.storage_location(batch.stored_name))
        opened = workdir / "batch.csv"
        subprocess.run(
            [
                *("openssl", "cms", "-decrypt", "-inform", "DER", "-in", str(stored)),
                *("-recip", str(cert_path), "-inkey", str(key_path), "-out", str(opened)),
            ],
            check=True,
        )
        opens = hashlib.sha256(opened.read_bytes()).hexdigest() == batch.plaintext_sha256

        mib = 1024 * 1024
        export_seconds = m["export_seconds"]
        print(
            f"bench_export: PostgreSQL, {batch.row_count:,} rows "
            f"({args.rows:,} reservations inserted in {fill_seconds:.1f} s), {args.encoding}"
        )
        print(
            f"  export_reservations (query + CSV + encrypt + store): {export_seconds:.2f} s, "
            f"{batch.row_count / export_seconds:,.0f} rows/s"
        )
        print(
            f"    parts: query + CSV {m['csv_seconds']:.2f} s, "
            f"encrypt (AES-256-CBC) {m['encrypt_seconds']:.2f} s"
        )
        print(
            f"  CSV {batch.plaintext_bytes / mib:.1f} MiB, file {batch.file_bytes / mib:.1f} MiB, "
            f"rows to check (〓) {batch.rows_flagged}"
        )
        print(
            f"  peak memory: RSS +{m['rss_after'] - m['rss_before']:.0f} MiB during the export "
            f"(process peak {m['rss_after']:.0f} MiB, {m['rss_before']:.0f} MiB before); "
            f"Python heap peak of CSV + encrypt {m['heap_peak'] / mib:.0f} MiB (tracemalloc)"
        )
        print(
            f"  PostgreSQL COPY … TO STDOUT WITH CSV, same rows: {copy_seconds:.2f} s, "
            f"{copy_bytes / mib:.1f} MiB (the export takes {export_seconds / copy_seconds:.1f}× "
            f"as long)"
        )
        print(f"  openssl cms -decrypt opens it, SHA-256 matches: {'yes' if opens else 'NO'}")
        return 0 if opens else 1
    finally:
        signal.alarm(0)
        drop_database()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

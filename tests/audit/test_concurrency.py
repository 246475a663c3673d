"""Concurrent writers leave one linear chain: appends are serialised by an advisory lock.

Without the lock two writers read the same last MAC and both link to it: the chain forks
and verify_audit_chain reports the second branch.
"""

import threading

import pytest
from django.db import connection, transaction

import audit
from audit.models import AuditEvent
from audit.services import verify_audit_chain
from tests.helpers import run_sqlite_probe

WRITERS = 8
PER_WRITER = 12


def _write(writer: int, barrier: threading.Barrier, errors: list) -> None:
    try:
        barrier.wait(timeout=30)
        for i in range(0, PER_WRITER, 2):
            if writer % 2:
                # Two records inside the caller's own transaction (savepoints, one lock).
                with transaction.atomic():
                    audit.record(action="test.concurrent", details={"writer": writer, "i": i})
                    audit.record(action="test.concurrent", details={"writer": writer, "i": i + 1})
            else:
                audit.record(action="test.concurrent", details={"writer": writer, "i": i})
                audit.record(action="test.concurrent", details={"writer": writer, "i": i + 1})
    except Exception as exc:  # reported by the test, not lost in the thread
        errors.append(exc)
    finally:
        connection.close()


def race_writers() -> list:
    """WRITERS threads append PER_WRITER records each, all starting at once; their errors."""
    barrier = threading.Barrier(WRITERS)
    errors: list = []
    threads = [threading.Thread(target=_write, args=(n, barrier, errors)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_separate_connections_leave_a_valid_chain():
    errors = race_writers()
    assert not errors, errors

    total = WRITERS * PER_WRITER
    assert AuditEvent.objects.count() == total
    prev_macs = list(AuditEvent.objects.values_list("prev_mac", flat=True))
    assert len(set(prev_macs)) == total  # no two records link to the same predecessor
    report = verify_audit_chain()
    assert report.ok, report.reason
    assert report.count == total
    # Time never runs backwards along the chain.
    times = list(AuditEvent.objects.order_by("id").values_list("at", flat=True))
    assert times == sorted(times)


def test_concurrent_writers_on_file_sqlite_leave_a_valid_chain(tmp_path):
    """The same race against a file-based SQLite database (BEGIN IMMEDIATE), in a subprocess."""
    report = run_sqlite_probe("tests.audit.probe_sqlite", tmp_path / "audit.sqlite3")
    assert report["errors"] == []
    assert report["count"] == report["expected"] == report["distinct_links"]
    assert report["ok"], report["reason"]

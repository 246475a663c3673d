"""Concurrent audit writers on a file-based SQLite database (run by tests.probe_sqlite)."""

from audit.models import AuditEvent
from audit.services import verify_audit_chain
from tests.audit.test_concurrency import PER_WRITER, WRITERS, race_writers


def report() -> dict:
    errors = race_writers()
    chain = verify_audit_chain()
    prev_macs = list(AuditEvent.objects.values_list("prev_mac", flat=True))
    return {
        "errors": [repr(e) for e in errors],
        "count": AuditEvent.objects.count(),
        "expected": WRITERS * PER_WRITER,
        "distinct_links": len(set(prev_macs)),
        "ok": chain.ok,
        "reason": chain.reason,
    }

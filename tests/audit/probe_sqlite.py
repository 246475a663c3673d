"""Concurrent audit writers on a file-based SQLite database, run as a subprocess.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python -m tests.audit.probe_sqlite

Migrates the file, lets threads append records at once and prints one JSON line.
"""

import json
import os
import sys
import threading

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from audit.models import AuditEvent  # noqa: E402
from audit.services import verify_audit_chain  # noqa: E402
from tests.audit.test_concurrency import PER_WRITER, WRITERS, _write  # noqa: E402


def main():
    call_command("migrate", verbosity=0)
    barrier = threading.Barrier(WRITERS)
    errors: list = []
    threads = [threading.Thread(target=_write, args=(n, barrier, errors)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    report = verify_audit_chain()
    prev_macs = list(AuditEvent.objects.values_list("prev_mac", flat=True))
    print(
        json.dumps(
            {
                "errors": [repr(e) for e in errors],
                "count": AuditEvent.objects.count(),
                "expected": WRITERS * PER_WRITER,
                "distinct_links": len(set(prev_macs)),
                "ok": report.ok,
                "reason": report.reason,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())

"""Run one concurrency probe against a file-based SQLite database, as a subprocess.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python -m tests.probe_sqlite tests.audit.probe_sqlite

Sets Django up, migrates the file, calls the named module's `report()` and prints what it
returns as one JSON line (tests.helpers.run_sqlite_probe reads it).
"""

import importlib
import json
import os
import sys

import django


def main(module: str) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(importlib.import_module(module).report()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

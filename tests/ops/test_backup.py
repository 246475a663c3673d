"""Backups are proven: deploy/backup.sh dumps the test database with the row counts of its
snapshot, deploy/restore-check.sh restores it into a scratch database, compares every count
and verifies the audit chain there; a dump that does not match fails the check."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

import audit
from reservations import services as booking
from tests.factories import SlotFactory, details

pytestmark = pytest.mark.postgres

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SCRATCH = "kenshin_ops_restore_check_test"  # our own name on the shared cluster


def _url(name):
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _run(script, *args, **env):
    return subprocess.run(
        ["bash", str(DEPLOY / script), *map(str, args)],
        env={**os.environ, "KENSHIN_PYTHON": sys.executable, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def committed_data(transactional_db):
    """Bookings and audit records, committed (pg_dump sees only committed rows)."""
    for n in range(3):
        slot = SlotFactory()
        booking.reservation_create(slots=[slot], details=details(furigana=f"ヤマダ ハナコ{n}"))
        audit.record(action="ops.backup.test", details={"n": n})


@pytest.fixture
def backup(committed_data, tmp_path):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.fail("pg_dump and pg_restore are needed (apt-get install postgresql-client)")
    result = _run("backup.sh", tmp_path, BACKUP_DATABASE_URL=_url(connection.settings_dict["NAME"]))
    assert result.returncode == 0, result.stderr
    return tmp_path


def _check(directory):
    return _run(
        "restore-check.sh",
        directory / "latest.dump",
        KENSHIN_SCRATCH_URL=_url("postgres"),
        RESTORE_DB_NAME=SCRATCH,
    )


def test_backup_restore_verify_on_the_test_cluster(backup):
    dumps = list(backup.glob("kenshin-*.dump"))
    assert len(dumps) == 1 and (backup / "latest.dump").resolve() == dumps[0]
    counts = dict(
        line.split("|") for line in dumps[0].with_suffix(".counts").read_text().splitlines()
    )
    assert counts["reservations_reservation"] == "3" and counts["audit_auditevent"] == "3"
    assert oct(dumps[0].stat().st_mode & 0o777) == "0o600"  # personal data

    result = _check(backup)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "restore-check: OK:" in result.stdout
    assert "OK: 3 audit records verified" in result.stdout
    with connection.cursor() as cursor:  # the scratch copy is gone again
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [SCRATCH])
        assert cursor.fetchone()[0] == 0


def test_a_dump_whose_counts_do_not_match_fails_the_check(backup):
    counts = next(backup.glob("kenshin-*.counts"))
    text = counts.read_text().replace("audit_auditevent|3", "audit_auditevent|4")
    counts.write_text(text)

    result = _check(backup)

    assert result.returncode == 1
    assert "row counts differ" in result.stderr


def test_a_restored_chain_with_another_key_fails_the_check(backup):
    result = _run(
        "restore-check.sh",
        backup / "latest.dump",
        KENSHIN_SCRATCH_URL=_url("postgres"),
        RESTORE_DB_NAME=SCRATCH,
        AUDIT_HMAC_KEY="another-key-than-the-one-that-signed-these-000",
    )
    assert result.returncode == 1
    assert "audit chain of the restored copy" in result.stderr

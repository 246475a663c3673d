"""The operator documents, followed literally.

Each recipe a reader copies is read from the document itself, so that the document and the
code cannot drift apart: the first administrator (README, docs/staff.md and `make run` say
the same line, and it opens every staff page), the export "try it" block (it writes a batch
on the demo data), `make run PORT=…`, and the one environment file every job loads.
"""

import re
import shlex
import subprocess
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from exports.models import Batch
from reservations.models import Reservation

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _manage_py_args(line: str) -> list[str]:
    """The arguments after `manage.py` in one documented command line."""
    words = shlex.split(line)
    return words[words.index("manage.py") + 1 :]


def _first_admin_lines() -> dict[str, str]:
    lines = {}
    for path in (ROOT / "README.md", ROOT / "docs" / "staff.md", ROOT / "Makefile"):
        found = re.findall(r"manage\.py (createstaff --username admin[^`\n\"]*)", path.read_text())
        assert found, f"{path.name} lost its first-administrator line"
        lines[path.name] = found[0].strip()
    return lines


def test_every_document_gives_the_same_first_administrator_recipe() -> None:
    lines = _first_admin_lines()
    assert len(set(lines.values())) == 1, lines


@pytest.mark.django_db
def test_the_first_administrator_recipe_opens_admin_audit_desk_and_exports(client) -> None:
    from tests.helpers import login_staff

    line = _first_admin_lines()["README.md"]
    call_command(*shlex.split(line), "--generate-password", stdout=StringIO())
    admin = User.objects.get(username="admin")
    admin.totpdevice_set.create(name="phone", confirmed=True)  # enrolled at first sign-in
    login_staff(client, admin)

    for url in ("/admin/", "/staff/audit/", "/staff/", "/staff/exports/"):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_the_export_try_it_block_writes_a_batch_on_the_demo_data(
    health_centre_keys, export_storage_dir
) -> None:
    text = (ROOT / "docs" / "exports.md").read_text()
    block = re.search(r"<!-- try it:.*?-->\s*```sh\n(.*?)```", text, re.DOTALL)
    assert block, "docs/exports.md lost its try-it marker"
    lines = [line for line in block.group(1).splitlines() if "manage.py" in line]
    assert lines

    call_command("seed_demo", "--bookings", "5", stdout=StringIO())
    # "wait one minute after make run started": the demo bookings are that old.
    a_minute_ago = timezone.now() - timedelta(minutes=2)
    Reservation.objects.update(created_at=a_minute_ago, changed_at=a_minute_ago)

    with override_settings(
        EXPORT_RECIPIENT_CERT=str(health_centre_keys.cert), EXPORT_STORAGE_DIR=export_storage_dir
    ):
        for line in lines:
            out = StringIO()
            call_command(*_manage_py_args(line), stdout=out)
            assert "written" in out.getvalue(), (line, out.getvalue())

    assert Batch.objects.filter(kind=Batch.Kind.DELTA).exists()


def test_make_run_serves_on_the_port_given() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8030"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "runserver 127.0.0.1:8030" in dry_run
    assert "http://127.0.0.1:8030" in dry_run  # the printed links and the mail's SITE_URL
    assert "8000" not in dry_run


def test_every_scheduled_job_loads_the_one_environment_file() -> None:
    env_files: set[str] = set()
    for path in DOCS:
        text = path.read_text()
        env_files |= set(re.findall(r"EnvironmentFile=(\S+)", text))
        env_files |= set(re.findall(r"\. (/etc/kenshin/\S+)", text))
        for line in text.splitlines():
            cron = re.match(r"^\s*(?:[\d*/,-]+\s+){5}\S+\s+.*manage\.py", line)
            if cron:
                assert ". /etc/kenshin/" in line, f"{path.name}: cron line without the env file"
    assert env_files == {"/etc/kenshin/kenshin.env"}, env_files

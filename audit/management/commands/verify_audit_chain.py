"""Check the audit trail's HMAC chain: OK with the count, or the first broken record."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import verify_audit_chain


class Command(BaseCommand):
    help = (
        "Verify every audit record's MAC and its link to the record before. "
        "Exit status 0 when the whole chain is intact, 1 at the first break."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--old-keys-file",
            type=Path,
            help="File with AUDIT_HMAC_KEY values used before a rotation, one per line.",
        )
        parser.add_argument(
            "--expect-mac",
            help="A MAC printed by an earlier run (kept outside the database); "
            "fails if it is no longer in the chain, i.e. records were cut from the end.",
        )

    def handle(
        self,
        *args: Any,
        old_keys_file: Path | None = None,
        expect_mac: str | None = None,
        **options: Any,
    ) -> None:
        old_keys = []
        if old_keys_file is not None:
            try:
                old_keys = [line.strip() for line in old_keys_file.read_text().splitlines()]
            except OSError as exc:
                raise CommandError(f"Cannot read {old_keys_file}: {exc.strerror}") from exc
        try:
            report = verify_audit_chain(old_keys=old_keys, expect_mac=expect_mac)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if report.broken_id is not None:
            raise CommandError(
                f"BROKEN at audit record id={report.broken_id} ({report.broken_action}), "
                f"after {report.count} good records: {report.reason}"
            )
        if report.expected_mac_found is False:
            raise CommandError(
                f"BROKEN: the expected MAC {expect_mac} is not in the chain "
                f"({report.count} records checked): records were removed from the end"
            )
        self.stdout.write(f"OK: {report.count} audit records verified; last MAC {report.last_mac}")

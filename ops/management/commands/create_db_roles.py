"""Create (or bring up to date) the runtime database role; see ops.dbroles and deploy/README.md."""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ops.dbroles import RoleError, grant_runtime_privileges


class Command(BaseCommand):
    help = (
        "Give the runtime role (created if absent) exactly the rights the app needs: "
        "read/write on every table but no TRUNCATE or triggers, append-only on the audit "
        "table. Run as the owner after every migrate; idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runtime-role", default="kenshin_app", help="default kenshin_app")
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="Set the runtime role's password from this environment variable "
            "(never on the command line, where ps would show it).",
        )

    def handle(
        self, *args: Any, runtime_role: str, password_env: str | None, **options: Any
    ) -> None:
        password = None
        if password_env:
            password = os.environ.get(password_env, "")
            if not password:
                raise CommandError(f"Environment variable {password_env} is empty or not set.")
        try:
            with transaction.atomic():
                report = grant_runtime_privileges(runtime=runtime_role, password=password)
        except RoleError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"OK: role {report.runtime_role} {'created' if report.created else 'updated'}; "
            f"rights on {report.tables} tables owned by {report.owner_role} "
            "(audit table append-only)"
        )

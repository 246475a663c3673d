"""Create a staff account for a fresh install (the first administrator) or a new colleague.

    manage.py createstaff --username admin --role administrator --superuser
    manage.py createstaff --username hoken1 --role health_centre --password-from-env PW

The password is asked for twice on a terminal, taken from an environment variable for
scripts, or generated and printed once. The new person enrols their phone at first login.
"""

import getpass
import os
import secrets
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

import audit
from core import roles


class Command(BaseCommand):
    help = "Create a staff user with a role; they enrol a second factor at first login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--role",
            action="append",
            choices=roles.ALL,
            required=True,
            help="health_centre or administrator; repeat for both.",
        )
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="Also a Django superuser (every admin permission; still needs the phone).",
        )
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="Read the password from this environment variable (for scripts).",
        )
        parser.add_argument(
            "--generate-password",
            action="store_true",
            help="Generate a random password and print it once.",
        )

    def handle(
        self,
        *args: Any,
        username: str,
        role: list[str],
        superuser: bool,
        email: str,
        **options: Any,
    ) -> None:
        username = username.strip()
        if not username:
            raise CommandError("--username must not be empty.")
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password, generated = self._password(username, email, options)

        with transaction.atomic():
            user = User(username=username, email=email, is_staff=True, is_superuser=superuser)
            user.set_password(password)
            user.save()
            groups = list(Group.objects.filter(name__in=role))
            missing = set(role) - {g.name for g in groups}
            if missing:
                raise CommandError(
                    f"Role group(s) {sorted(missing)} do not exist: run `manage.py migrate`."
                )
            user.groups.set(groups)
            audit.record(
                action="staff.user.created",
                target=user,
                details={
                    "via": "createstaff",
                    "roles": sorted(role),
                    "superuser": superuser,
                },
            )

        if generated:
            self.stdout.write(f"Password (shown once, give it to {username} privately): {password}")
        login = f"{settings.SITE_URL}{reverse('staff:login')}"
        self.stdout.write(
            self.style.SUCCESS(
                f"Created staff user {username} ({', '.join(sorted(role))}"
                f"{', superuser' if superuser else ''}). "
                f"Next: log in at {login} — they will be led to enrol an authenticator app "
                f"(QR code) and shown backup codes once."
            )
        )

    def _password(self, username: str, email: str, options: dict[str, Any]) -> tuple[str, bool]:
        candidate = User(username=username, email=email)
        if options["password_from_env"]:
            password = os.environ.get(options["password_from_env"], "")
            if not password:
                raise CommandError(
                    f"Environment variable {options['password_from_env']} is empty or not set."
                )
            self._validate(password, candidate)
            return password, False
        if options["generate_password"] or not sys.stdin.isatty():
            # 20 random characters: far past the validators, and easy to type once.
            return secrets.token_urlsafe(15), True
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords did not match.")
                continue
            try:
                self._validate(password, candidate)
            except CommandError as error:
                self.stderr.write(str(error))
                continue
            return password, False

    @staticmethod
    def _validate(password: str, user: Any) -> None:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

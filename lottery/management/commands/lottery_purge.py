"""`manage.py lottery_purge`: erase applicants' details of rounds past retention."""

from typing import Any

from django.core.management.base import BaseCommand

from lottery.retention import applications_erase


class Command(BaseCommand):
    help = "Erase the personal details of lottery applications past retention."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"lottery: {applications_erase()} applications erased")

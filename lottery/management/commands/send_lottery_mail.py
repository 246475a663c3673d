"""`manage.py send_lottery_mail`: send the lottery's pending mails (received, changed,
withdrawn, results)."""

from typing import Any

from django.core.management.base import BaseCommand

from lottery.mail import send_pending


class Command(BaseCommand):
    help = "Send pending lottery mails from the outbox."

    def handle(self, *args: Any, **options: Any) -> None:
        sent, failed = send_pending()
        self.stdout.write(f"lottery mail: {sent} sent, {failed} failed")

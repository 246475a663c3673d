"""`manage.py lottery_draw ROUND`: draw a round (once), e.g. from cron at its draw time."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.context import AuditContext
from lottery.errors import AlreadyDrawn, DrawTooEarly
from lottery.models import Round
from lottery.services import round_draw, round_draw_refused


class Command(BaseCommand):
    help = "Draw a lottery round (runs once; a second run refuses)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round", type=int, help="the round's id (shown in admin)")

    def handle(self, *args: Any, **options: Any) -> None:
        round_id = options["round"]
        if not Round.objects.filter(pk=round_id).exists():
            raise CommandError(f"no lottery round {round_id}")
        try:
            summary = round_draw(round_id=round_id, audit_context=AuditContext.system())
        except (AlreadyDrawn, DrawTooEarly) as refused:
            round_draw_refused(round_id=round_id, code=refused.code, user=None, audit_context=None)
            raise CommandError(f"round {round_id}: {refused}") from None
        self.stdout.write(
            f"round {round_id} drawn: {summary.applications} applications, "
            f"{summary.places} places, {summary.winners} won, {summary.lost} lost, "
            f"{summary.void} void"
        )

"""`manage.py lottery_draw ROUND`: draw a round (once); `lottery_draw --due`: draw every
round whose draw time has passed (for cron, e.g. every five minutes)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.context import AuditContext
from lottery.errors import AlreadyDrawn, DrawTooEarly
from lottery.models import Round
from lottery.services import round_draw, round_draw_refused


class Command(BaseCommand):
    help = "Draw a lottery round (runs once; a second run refuses)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round", type=int, nargs="?", help="the round's id (shown in admin)")
        parser.add_argument(
            "--due", action="store_true", help="draw every undrawn round whose draw time has passed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["due"]:
            due = Round.objects.filter(drawn_at=None, draw_at__lte=timezone.now())
            for round_id in due.order_by("draw_at").values_list("pk", flat=True):
                self._draw(round_id)
            return
        if options["round"] is None:
            raise CommandError("give a round id, or --due")
        self._draw(options["round"])

    def _draw(self, round_id: int) -> None:
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

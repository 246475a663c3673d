"""`manage.py lottery_verify ROUND [--results F --places F]`: recompute a drawn round.

Without files it checks what the round's public page serves; with them, downloaded copies.
Exits non-zero on any mismatch.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lottery.models import Round
from lottery.publication import places_csv, results_csv, verify


class Command(BaseCommand):
    help = "Recompute a drawn lottery round from its published seed and lists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round", type=int)
        parser.add_argument("--results", type=Path, help="a downloaded results CSV")
        parser.add_argument("--places", type=Path, help="a downloaded places CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        round_ = Round.objects.filter(pk=options["round"]).first()
        if round_ is None or round_.drawn_at is None:
            raise CommandError(f"round {options['round']} does not exist or is not drawn")
        results = (
            options["results"].read_text("utf-8") if options["results"] else results_csv(round_)
        )
        places = options["places"].read_text("utf-8") if options["places"] else places_csv(round_)
        problems = verify(
            seed_hex=round_.published_seed,
            commitment=round_.commitment,
            results=results,
            places=places,
        )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"round {round_.pk}: {len(problems)} mismatches")
        self.stdout.write(f"round {round_.pk}: the published draw recomputes exactly")

"""Write the nightly encrypted CSV batch for the health centre (docs/exports.md).

    manage.py export_reservations                      # changes up to local midnight today
    manage.py export_reservations --cutoff now         # … up to a minute ago
    manage.py export_reservations --cutoff 2026-06-01T12:00
    manage.py export_reservations --full --from 2026-06-01 --to 2026-06-30

Prints one summary line. Exits non-zero, writing nothing, when the health centre's
certificate is missing or unusable: there is no unencrypted fallback.
"""

from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from exports import services


def _cutoff(value: str) -> datetime:
    if value == "now":
        return timezone.now() - services.SETTLE
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--cutoff {value!r}: expected 'now' or an ISO date-time such as 2026-06-01T00:00"
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # local time (TIME_ZONE)
    return moment


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r}: expected a date such as 2026-06-01") from None
    # The period's end is the next day's midnight: 9999-12-31 would have none.
    if not 2000 <= day.year <= 2999:
        raise CommandError(f"{value!r}: expected a date between 2000 and 2999")
    return day


class Command(BaseCommand):
    help = "Write the encrypted CSV batch of bookings for the health centre."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cutoff",
            type=_cutoff,
            help="export changes up to this local date-time (default: midnight today), or 'now'",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="a snapshot of all live bookings for screenings from --from to --to",
        )
        parser.add_argument("--from", dest="first_day", type=_day, help="first screening date")
        parser.add_argument("--to", dest="last_day", type=_day, help="last screening date")
        parser.add_argument(
            "--allow-empty", action="store_true", help="write a batch even if it has no rows"
        )

    def handle(
        self,
        *args: Any,
        cutoff: datetime | None,
        full: bool,
        first_day: date | None,
        last_day: date | None,
        allow_empty: bool,
        **options: Any,
    ) -> None:
        try:
            if full:
                if cutoff is not None:
                    raise CommandError("--cutoff is for change batches; --full takes --from/--to")
                if first_day is None or last_day is None:
                    raise CommandError("--full needs --from and --to (screening dates)")
                result = services.batch_create_full(
                    screenings_from=first_day, screenings_to=last_day, allow_empty=allow_empty
                )
            else:
                if first_day is not None or last_day is not None:
                    raise CommandError("--from/--to go with --full")
                result = services.batch_create_delta(cutoff=cutoff, allow_empty=allow_empty)
        except services.ExportError as exc:
            raise CommandError(f"export refused: {exc}") from None

        self.stdout.write(self.summary(result))

    @staticmethod
    def summary(result: services.BatchResult) -> str:
        batch = result.batch
        if batch is None:
            start = timezone.localtime(result.period_start) if result.period_start else None
            end = timezone.localtime(result.period_end)
            return (
                f"no batch: nothing to export ({start:%Y-%m-%d %H:%M:%S} – "
                f"{end:%Y-%m-%d %H:%M:%S}); --allow-empty writes an empty one"
                if start
                else "no batch: nothing to export; --allow-empty writes an empty one"
            )
        where = services.storage_location(batch.stored_name) if batch.has_file else "(deleted)"
        state = "written" if result.created else "already exists, nothing written"
        return (
            f"batch {batch.pk} {batch.kind} {state}: rows={batch.row_count} "
            f"(new={batch.rows_new} changed={batch.rows_changed} "
            f"cancelled={batch.rows_cancelled} current={batch.rows_current} "
            f"check={batch.rows_flagged}) file={where}"
        )

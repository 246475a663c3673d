"""Delete personal data past its retention (exports, reservations, screening history), audited.

    manage.py purge_expired            # run nightly, after export_reservations
    manage.py purge_expired --dry-run  # say what would be deleted

Unconfirmed batch files older than EXPORT_RETENTION_DAYS are deleted (status "expired");
reservations whose screening is more than RESERVATION_RETENTION_DAYS past are deleted with
their citizen rows, items and queued mails. Prints one summary line.
"""

from django.core.management.base import BaseCommand, CommandError

from exports.retention import batches_expire
from reservations import retention


class Command(BaseCommand):
    help = "Delete expired export batches and reservations past their retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted, delete nothing"
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=500,
            help="reservations deleted per transaction (default 500)",
        )

    def handle(self, *args, dry_run, chunk_size, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be 1 or more")
        batches = batches_expire(dry_run=dry_run)
        purged = retention.reservations_purge(chunk_size=chunk_size, dry_run=dry_run)
        forgotten = 0 if dry_run else retention.history_prune()
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"purge_expired {verb}: batches={len(batches)} "
            f"reservations={purged.reservations} citizens={purged.citizens} "
            f"items={purged.items} notifications={purged.notifications} "
            f"history_kept={purged.history_kept} history_forgotten={forgotten} "
            f"(screenings before {purged.screenings_before:%Y-%m-%d})"
        )

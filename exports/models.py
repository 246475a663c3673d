"""Export batches: the encrypted CSV files the health centre imports, and their history.

A Batch row is the proof the privacy council asked for ("how do we know the USB stick was
wiped?"): what was exported (period, row counts, SHA-256 of the plaintext and of the file),
who downloaded it and when, who confirmed the import and when the file was deleted. The
row holds no personal data, so it is kept after its file is gone.
"""

from datetime import UTC, datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reservations.models import staff_user_fk

# period_start of the first delta batch: "everything since the beginning". A real moment
# rather than NULL, so that the database can refuse two batches that continue from the
# same point (see the constraint below) on every backend.
CHAIN_START = datetime(2000, 1, 1, tzinfo=UTC)


class Batch(models.Model):
    class Kind(models.TextChoices):
        DELTA = "delta", _("Changes since the previous batch")
        FULL = "full", _("Snapshot of live bookings")

    class Status(models.TextChoices):
        READY = "ready", _("Ready")
        DOWNLOADED = "downloaded", _("Downloaded")
        CONFIRMED = "confirmed", _("Import confirmed")
        DELETED = "deleted", _("Deleted")
        EXPIRED = "expired", _("Expired")

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Delta: the batch holds every reservation whose last change is in
    # (period_start, period_end]; period_start is the previous delta's period_end.
    # Full: period_end is the moment of the snapshot; period_start is empty and the
    # screening dates covered are screenings_from..screenings_to.
    period_start = models.DateTimeField(_("changes after"), null=True, blank=True)
    period_end = models.DateTimeField(_("cut-off"))
    screenings_from = models.DateField(_("screenings from"), null=True, blank=True)
    screenings_to = models.DateField(_("screenings to"), null=True, blank=True)

    rows_new = models.PositiveIntegerField(_("new rows"), default=0)
    rows_changed = models.PositiveIntegerField(_("changed rows"), default=0)
    rows_cancelled = models.PositiveIntegerField(_("cancelled rows"), default=0)
    rows_current = models.PositiveIntegerField(_("snapshot rows"), default=0)
    rows_flagged = models.PositiveIntegerField(_("rows to check"), default=0)
    # Bookings made and cancelled inside the same period: the health centre never saw
    # them, so they are left out (and counted here, so the omission is visible).
    reservations_omitted = models.PositiveIntegerField(_("omitted reservations"), default=0)

    encoding = models.CharField(_("encoding"), max_length=10)
    plaintext_bytes = models.PositiveBigIntegerField(_("CSV size (bytes)"))
    plaintext_sha256 = models.CharField(_("SHA-256 of the CSV"), max_length=64)
    file_bytes = models.PositiveBigIntegerField(_("file size (bytes)"))
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    recipient_fingerprint = models.CharField(
        _("SHA-256 fingerprint of the recipient certificate"), max_length=64
    )
    stored_name = models.CharField(_("stored file name"), max_length=255, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.READY
    )
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    first_downloaded_at = models.DateTimeField(_("first downloaded at"), null=True, blank=True)
    # PROTECT: a staff user who downloaded a batch is kept while the batch is.
    first_downloaded_by = staff_user_fk(_("first downloaded by"), on_delete=models.PROTECT)
    last_downloaded_at = models.DateTimeField(_("last downloaded at"), null=True, blank=True)
    last_downloaded_by = staff_user_fk(_("last downloaded by"), on_delete=models.PROTECT)
    confirmed_at = models.DateTimeField(_("import confirmed at"), null=True, blank=True)
    confirmed_by = staff_user_fk(_("import confirmed by"), on_delete=models.PROTECT)
    deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)
    # Who deleted the file: the confirming user, the user who discarded the batch, or
    # empty when purge_expired deleted it.
    deleted_by = staff_user_fk(_("file deleted by"), on_delete=models.PROTECT)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export batch")
        verbose_name_plural = _("export batches")
        constraints = [
            # Re-running the nightly export for the same cut-off finds this batch instead
            # of making a second one.
            models.UniqueConstraint(
                fields=["period_end"],
                condition=Q(kind="delta"),
                name="exports_one_delta_per_cutoff",
            ),
            # Two runs racing from the same previous cut-off cannot both store a batch:
            # the chain of deltas stays a line, so no change is exported twice or lost.
            models.UniqueConstraint(
                fields=["period_start"], condition=Q(kind="delta"), name="exports_delta_chain"
            ),
            models.CheckConstraint(
                condition=Q(kind="full")
                | Q(period_start__isnull=False, period_start__lt=F("period_end")),
                name="exports_delta_period_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="delta")
                | Q(screenings_from__isnull=False, screenings_to__gte=F("screenings_from")),
                name="exports_full_dates_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["ready", "downloaded"]) | Q(deleted_at__isnull=False),
                name="exports_deleted_status_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"

    @property
    def row_count(self) -> int:
        return self.rows_new + self.rows_changed + self.rows_cancelled + self.rows_current

    @property
    def is_first_of_chain(self) -> bool:
        return self.kind == self.Kind.DELTA and self.period_start == CHAIN_START

    @property
    def has_file(self) -> bool:
        """The encrypted file is still stored (and so may be downloaded)."""
        return self.status in (self.Status.READY, self.Status.DOWNLOADED)

    @property
    def download_filename(self) -> str:
        """The name the browser saves the file under: chosen here, never from input."""
        stamp = timezone.localtime(self.period_end).strftime("%Y%m%d-%H%M")
        return f"kenshin-batch-{self.pk}-{self.kind}-{stamp}.p7m"

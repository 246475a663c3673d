"""The opening-time switch: the waiting room is on for a screening between two moments."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from reservations.models import ScreeningType


class WaitingRoomOpening(models.Model):
    """From `starts_at` until `ends_at`, whoever starts booking `screening` takes a ticket
    and is let in in arrival order, at WAITING_ROOM_ADMIT_PER_SECOND (waitingroom.room)."""

    screening = models.ForeignKey(
        ScreeningType,
        on_delete=models.CASCADE,
        related_name="waiting_room_openings",
        verbose_name=_("screening"),
    )
    starts_at = models.DateTimeField(_("waiting room on from"))
    ends_at = models.DateTimeField(_("waiting room on until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("waiting room opening")
        verbose_name_plural = _("waiting room openings")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="waitingroom_opening_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.screening} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

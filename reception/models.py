"""What happened on the screening day: who came (受付済) and who did not (欠席).

One row per reserved screening (a set booking has one per screening), so a resident who
came for the lung check but left before the stomach one is recorded as such. Undoing a
mark deletes the row; that is allowed only on the day it was made (services).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reservations.models import ReservationItem, staff_user_fk


class Attendance(models.Model):
    class Status(models.TextChoices):
        ATTENDED = "attended", _("Checked in")
        ABSENT = "absent", _("Absent")

    item = models.OneToOneField(
        ReservationItem,
        on_delete=models.CASCADE,
        related_name="attendance",
        verbose_name=_("reserved screening"),
    )
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices)
    marked_by = staff_user_fk(_("marked by"))
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["attended", "absent"]),
                name="attendance_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.status}"

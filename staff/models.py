"""The staff app keeps no data of its own: users, groups and devices belong to Django and
django-otp. This unmanaged model only carries the staff-specific permissions, so that they
can be granted to groups like any other permission."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class StaffAccess(models.Model):
    class Meta:
        managed = False  # no table: a holder for permissions
        default_permissions = ()
        permissions = [
            # Stored as written; the admin shows it translated (staff.admin.permission_label).
            ("reset_second_factor", gettext_noop("Can reset a staff member's second factor")),
        ]
        verbose_name = _("staff access")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

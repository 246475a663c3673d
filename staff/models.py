"""The staff app keeps no data of its own: users, groups and devices belong to Django and
django-otp. This unmanaged model only carries the staff-specific permissions, so that they
can be granted to groups like any other permission."""

from django.db import models


class StaffAccess(models.Model):
    class Meta:
        managed = False  # no table: a holder for permissions
        default_permissions = ()
        permissions = [
            ("reset_second_factor", "Can reset a staff member's second factor"),
        ]
        verbose_name = "staff access"

    def __str__(self) -> str:
        return "staff access"

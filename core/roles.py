"""Staff roles are Django groups (created by a migration in the staff app)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

HEALTH_CENTRE = "health_centre"  # 保健センター: phone desk, export batches
ADMINISTRATOR = "administrator"  # venues, screening types, slots, reservations in admin
ALL = (HEALTH_CENTRE, ADMINISTRATOR)
# What staff call the roles (the staff 403 page names the one that is missing).
LABELS = {HEALTH_CENTRE: _("Health centre"), ADMINISTRATOR: _("Administrator")}

User = AbstractBaseUser | AnonymousUser


def _active_staff(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_staff", False))


def has_role(user: User, role: str) -> bool:
    """Whether `user` is active staff and a member of the group `role`."""
    if not _active_staff(user):
        return False
    return bool(user.groups.filter(name=role).exists())  # type: ignore[union-attr]


def user_roles(user: User) -> set[str]:
    """The staff roles `user` holds (empty for anyone who is not active staff)."""
    if not _active_staff(user):
        return set()
    return set(user.groups.filter(name__in=ALL).values_list("name", flat=True))  # type: ignore[union-attr]

"""Staff roles are Django groups (created by a migration in this app)."""

HEALTH_CENTRE = "health_centre"  # 保健センター: phone desk, export batches
ADMINISTRATOR = "administrator"  # venues, screening types, slots, reservations in admin
ALL = (HEALTH_CENTRE, ADMINISTRATOR)


def has_role(user, role: str) -> bool:
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    return user.groups.filter(name=role).exists()


def user_roles(user) -> set[str]:
    """The staff roles `user` holds (empty for anyone who is not active staff)."""
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return set()
    return set(user.groups.filter(name__in=ALL).values_list("name", flat=True))

"""Re-exports core.roles for staff/desk.py's imports; new code imports core.roles."""

from core.roles import ADMINISTRATOR, ALL, HEALTH_CENTRE, has_role, user_roles

__all__ = ["ADMINISTRATOR", "ALL", "HEALTH_CENTRE", "has_role", "user_roles"]

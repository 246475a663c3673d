"""Re-exports core.access for staff/desk.py's imports; new code imports core.access."""

from core.access import role_required, staff_required

__all__ = ["role_required", "staff_required"]

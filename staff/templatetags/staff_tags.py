"""Template helpers for staff pages: the navigation that matches the signed-in person's roles."""

from datetime import timedelta
from typing import Any

from django import template
from django.template import Context
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import roles

register = template.Library()


def staff_links(user: Any) -> list[dict[str, Any]]:
    """The staff areas `user` may open, in the order of the navigation bar."""
    if not (user.is_authenticated and user.is_verified()):
        return []
    held = roles.user_roles(user)
    admin = roles.ADMINISTRATOR in held or (user.is_superuser and user.is_staff)
    links = []
    if roles.HEALTH_CENTRE in held:
        links.append({"key": "desk", "url": reverse("staff:home"), "label": _("Phone desk")})
        links.append(
            {"key": "no_email", "url": reverse("staff:no_email"), "label": _("Without email")}
        )
        links.append({"key": "waitlist", "url": "/staff/waitlist/", "label": _("Waiting list")})
        links.append({"key": "exports", "url": "/staff/exports/", "label": _("Export batches")})
        links.append({"key": "reception", "url": "/staff/reception/", "label": _("Reception")})
    if held or user.is_superuser:
        links.append({"key": "lottery", "url": "/staff/lottery/", "label": _("Lottery rounds")})
    if roles.HEALTH_CENTRE in held or roles.ADMINISTRATOR in held:
        links.append(
            {"key": "vouchers", "url": "/staff/vouchers/", "label": _("Screening ticket list")}
        )
    if admin:
        links.append({"key": "audit", "url": "/staff/audit/", "label": _("Audit trail")})
        links.append({"key": "admin", "url": reverse("admin:index"), "label": _("Administration")})
    if held or user.is_superuser:
        links.append(
            {
                "key": "backup_codes",
                "url": reverse("staff:backup_codes"),
                "label": _("Backup codes"),
            }
        )
    return links


@register.inclusion_tag("staff/_nav.html", takes_context=True)
def staff_nav(context: Context, current: str = "") -> dict[str, Any]:
    """{% staff_nav "desk" %}: who is signed in, their areas, and the logout button."""
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    return {
        "user": user,
        "signed_in": signed_in,
        "verified": signed_in and user is not None and user.is_verified(),
        "links": staff_links(user) if signed_in else [],
        "current": current,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def staff_help_contact() -> str:
    """Whom locked-out or stuck staff should call (STAFF_HELP_CONTACT), or ""."""
    from django.conf import settings

    return settings.STAFF_HELP_CONTACT


@register.filter
def minutes(delta: timedelta) -> int:
    """A timedelta in whole minutes (rounded up), for "try again in N minutes"."""
    try:
        return max(1, -(-int(delta.total_seconds()) // 60))
    except (AttributeError, TypeError):
        return 0


@register.filter
def postal_code(value: str) -> str:
    """ "3520001" → "352-0001"."""
    from citizens.normalize import format_postal_code

    return format_postal_code(value or "")

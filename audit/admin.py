"""Audit records in the Django admin: read-only for everyone, superusers included."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit import display
from audit.actions import action_label
from audit.models import AuditEvent
from core.admin import ReadOnlyModelAdmin
from core.roles import ADMINISTRATOR, has_role

FIELDS = (
    "at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "ip",
    "user_agent",
    "details",
    "key_id",
    "prev_mac",
    "mac",
)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = ["at", "actor_username", "action_label", "outcome", "target_label", "ip"]
    list_filter = ["outcome", ("at", admin.DateFieldListFilter)]
    search_fields = ["action", "actor_username", "=target_id"]
    date_hierarchy = "at"
    fields = FIELDS
    readonly_fields = FIELDS
    actions = None  # no "delete selected"

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, event: AuditEvent) -> str:
        label = action_label(event.action)
        return f"{label} ({event.action})" if label else event.action

    @admin.display(description=_("target"))
    def target_label(self, event: AuditEvent) -> str:
        return display.target_label(event.target_type, event.target_id)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user.is_superuser or has_role(user, ADMINISTRATOR)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

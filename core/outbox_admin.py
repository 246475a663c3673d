"""The features' mail outboxes in admin (the waiting list's, the lottery's), as the booking
mails' (reservations.admin.NotificationAdmin): read only, failed rows one filter away and
queued again with an action.

Nothing personal is shown: a row names its entry or application by number, and
last_error holds only an error class and SMTP codes (reservations.notifications).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class OutboxAdmin(admin.ModelAdmin):
    # The subclass puts its parent (entry, application) first.
    outbox_fields = ["kind", "status", "attempts", "next_attempt_at", "last_error", "created_at"]
    list_filter = ["status", "kind"]
    ordering = ["-created_at"]
    actions = ["retry_failed"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [str(field) for field in self.list_display]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The record of what was mailed; it goes with its entry or application.
        return False

    @admin.action(description=gettext_lazy("Send the selected failed messages again"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # Only failed rows: a pending one may be in a sender's hands right now.
        retried = queryset.filter(status="failed").update(
            status="pending", attempts=0, next_attempt_at=timezone.now(), last_error=""
        )
        messages.success(
            request,
            _("%(n)s failed messages are queued again; the mail worker will send them.")
            % {"n": retried},
        )

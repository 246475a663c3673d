"""The waiting room's opening-time switch in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.admin_hooks import AuditedChangesMixin
from waitingroom import room
from waitingroom.models import WaitingRoomOpening


@admin.register(WaitingRoomOpening)
class WaitingRoomOpeningAdmin(AuditedChangesMixin, admin.ModelAdmin):
    # Switching the room on or off for an opening changes who gets in first: audited like
    # the slots it guards.
    audit_action_prefix = "waitingroom.opening"
    audit_tracked_fields = ["screening", "starts_at", "ends_at"]
    list_display = ["screening", "starts_at", "ends_at", "note"]
    list_filter = ["screening"]
    date_hierarchy = "starts_at"

    # Every POST (save, delete, an action) makes every app server read the openings again
    # on its next booking request, not after the cached copy runs out.
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().changeform_view(request, *args, **kwargs)
        if request.method == "POST":
            room.openings_changed()
        return response

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().delete_view(request, *args, **kwargs)
        if request.method == "POST":
            room.openings_changed()
        return response

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().changelist_view(request, *args, **kwargs)
        if request.method == "POST":
            room.openings_changed()
        return response

"""Bookings for several people (ReservationGroup) in the admin: read only.

A group is made by reservations.group (web or phone desk) and never edited: each member's
own booking is cancelled or moved where any booking is. Opening a group shows its
contact's details, so it is audited like a reservation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from audit.admin_hooks import AuditedViewMixin
from reservations.models import ReservationGroup, format_reservation_number


@admin.register(ReservationGroup)
class ReservationGroupAdmin(AuditedViewMixin, admin.ModelAdmin):
    audit_view_action = "reservations.reservation_group.viewed"
    list_display = ["display_number", "channel", "member_count", "created_at"]
    list_filter = ["channel"]
    search_fields = ["first_number"]
    fields = readonly_fields = (
        "display_number",
        "contact_name",
        "contact_phone",
        "contact_email",
        "channel",
        "language",
        "created_at",
        "member_links",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # By the first member's number, typed with or without hyphens; never by name.
        digits = search_term.replace("-", "").replace(" ", "")
        return queryset.filter(first_number=digits) if digits else queryset, False

    @admin.display(description=_("first member's reservation number"), ordering="first_number")
    def display_number(self, group: ReservationGroup) -> str:
        return format_reservation_number(group.first_number)

    @admin.display(description=_("people"))
    def member_count(self, group: ReservationGroup) -> int:
        return group.members.count()

    @admin.display(description=_("bookings"))
    def member_links(self, group: ReservationGroup) -> SafeString:
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>',
            (
                (reverse("admin:reservations_reservation_change", args=[m.pk]), m.display_number)
                for m in group.members.order_by("group_position")
            ),
        )

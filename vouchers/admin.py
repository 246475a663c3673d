from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vouchers.models import VoucherList


@admin.register(VoucherList)
class VoucherListAdmin(admin.ModelAdmin):
    """Read-only: lists are imported at /staff/vouchers/, never edited by hand."""

    list_display = ("pk", "created_at", "created_by", "row_count", "is_current", "file_sha256")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

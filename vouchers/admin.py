from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.admin_hooks import AuditedChangesMixin
from vouchers.models import FeeClass, VoucherList


@admin.register(VoucherList)
class VoucherListAdmin(admin.ModelAdmin):
    """Read-only: lists are imported at /staff/vouchers/, never edited by hand."""

    list_display = ("pk", "created_at", "created_by", "row_count", "is_current", "file_sha256")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Without a current list every 受診券 booking, offer and draw is refused: a list
        # is only ever replaced by the next import (audited), never deleted by hand.
        return False


@admin.register(FeeClass)
class FeeClassAdmin(AuditedChangesMixin, admin.ModelAdmin):
    """What each 費用区分 on the city's list charges (reservations.fees.fee_for). A change
    applies to every booking of the class on its pages and the roster, and to the rows
    exported from then on (rows already sent are resent only by a full export); mails
    already sent keep the fee they said."""

    audit_action_prefix = "vouchers.fee_class"
    # Audit details hold ids and codes only: the code and label may be Japanese free text.
    audit_tracked_fields = ["amount"]
    list_display = ("code", "label", "amount")
    search_fields = ("code", "label")

"""Batches in the Django admin: read-only.

Files are deleted only through the staff page or purge_expired, which audit the deletion;
the admin can look at the record but not change or delete it.
"""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from core.admin import ReadOnlyModelAdmin
from exports.models import Batch


@admin.register(Batch)
class BatchAdmin(ReadOnlyModelAdmin):
    list_display = [
        "id",
        "created_at",
        "kind",
        "period_start",
        "period_end",
        "rows_new",
        "rows_changed",
        "rows_cancelled",
        "rows_current",
        "rows_flagged",
        "file_bytes",
        "status",
        "first_downloaded_at",
        "confirmed_at",
        "deleted_at",
    ]
    list_filter = ["kind", "status"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

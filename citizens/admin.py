from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse

from audit.admin_hooks import AuditedViewMixin
from citizens.models import Citizen

PERSONAL_FIELDS = (
    "name",
    "furigana",
    "birth_date",
    "sex",
    "postal_code",
    "address",
    "phone",
    "email",
)


@admin.register(Citizen)
class CitizenAdmin(AuditedViewMixin, admin.ModelAdmin):
    """Read-only: residents' details are corrected by a new booking, not edited by staff.

    Not listed in the admin index (no changelist browsing of personal data); reached only
    from a reservation, one person at a time. Every opening is audited (who saw whom).
    """

    audit_view_action = "citizens.citizen.viewed"

    def audit_view_details(self, citizen: Citizen) -> dict[str, Any]:
        reservation_id = (
            Citizen.objects.filter(pk=citizen.pk).values_list("reservation", flat=True).first()
        )
        return {"reservation_id": reservation_id}

    fields = PERSONAL_FIELDS
    readonly_fields = PERSONAL_FIELDS

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Citizen | None = None) -> bool:
        return obj is not None and super().has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Citizen | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # No list of residents at all: Django allows filtering on any field of the model
        # (?furigana=…&birth_date=…), which would be an unaudited "does this person
        # exist" query with the personal data in the URL.
        raise Http404

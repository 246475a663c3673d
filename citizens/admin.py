from django.contrib import admin
from django.http import Http404

from audit.admin_hooks import AuditedViewMixin
from citizens.models import Citizen


@admin.register(Citizen)
class CitizenAdmin(AuditedViewMixin, admin.ModelAdmin):
    """Read-only: residents' details are corrected by a new booking, not edited by staff.

    Not listed in the admin index (no changelist browsing of personal data); reached only
    from a reservation, one person at a time. Every opening is audited (who saw whom).
    """

    audit_view_action = "citizens.citizen.viewed"

    def audit_view_details(self, citizen):
        reservation_id = (
            Citizen.objects.filter(pk=citizen.pk).values_list("reservation", flat=True).first()
        )
        return {"reservation_id": reservation_id}

    fields = ["name", "furigana", "birth_date", "sex", "postal_code", "address", "phone", "email"]
    readonly_fields = fields

    def has_module_permission(self, request):
        return False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is not None and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # No list of residents at all: Django allows filtering on any field of the model
        # (?furigana=…&birth_date=…), which would be an unaudited "does this person
        # exist" query with the personal data in the URL.
        raise Http404

"""django-axes in the admin, in Japanese: its lockout records, relabelled.

django-axes ships no Japanese; its field and model names are translated in this app's
catalogue (staff/locale). What its admin builds without gettext (column titles of its
methods, the clean-up message) is given here; its records' names are in staff/apps.py.
"""

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

for model in (AccessAttempt, AccessLog, AccessFailureLog):
    admin.site.unregister(model)


@admin.register(AccessAttempt)
class StaffAccessAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description=_("Expires at"))
    def expiration(self, obj: AccessAttempt) -> Any:
        return super().expiration(obj)

    @admin.display(description=_("Status"))
    def status(self, obj: AccessAttempt) -> str:
        left = settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if left > 0:
            return ngettext("%(n)s attempt left", "%(n)s attempts left", left) % {"n": left}
        return str(_("Locked out"))

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext(
                "Cleaned up %(n)s expired access attempt.",
                "Cleaned up %(n)s expired access attempts.",
                count,
            )
            % {"n": count},
        )


admin.site.register(AccessLog, AccessLogAdmin)
admin.site.register(AccessFailureLog, AccessFailureLogAdmin)

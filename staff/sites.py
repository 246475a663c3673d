"""The admin site: Django admin, but only for a session verified with a second factor.

Signing in and out happens on the staff pages (/staff/login/), where the second factor,
the lockout and the audit trail live; the admin's own login page sends people there.
"""

from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

import audit
from core import roles


class StaffAdminSite(OTPAdminSite):
    site_header = _("kenshin administration")
    site_title = _("kenshin administration")
    index_title = _("Screening calendar and reservations")
    site_url = "/staff/"

    def __init__(self, name: str = "admin") -> None:
        # OTPAdminSite defaults to "otpadmin"; the URL namespace stays "admin".
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff, second factor verified in this session, and a staff role.

        Superusers need the second factor too; a staff member in no group sees nothing.
        """
        user: Any = request.user  # django-otp adds is_verified()
        return (
            super().has_permission(request)  # is_active, is_staff, is_verified()
            and (user.is_superuser or roles.ADMINISTRATOR in roles.user_roles(user))
        )

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """No password form here: /staff/login/ is the one way in (second factor, lockout)."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not next_url.startswith("/admin/"):
            next_url = reverse("admin:index", current_app=self.name)
        user: Any = request.user  # django-otp adds is_verified()
        if user.is_authenticated and user.is_verified():
            return redirect(next_url if self.has_permission(request) else reverse("staff:home"))
        return redirect_to_login(next_url, reverse("staff:login"))

    def password_change(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """An administrator's own password change, audited like a change by a superuser.

        One transaction: a password change that cannot be audited is not made.
        """
        with transaction.atomic():
            response = super().password_change(request, extra_context)
            if request.method == "POST" and response.status_code == 302:
                audit.record(
                    action="staff.user.password_set",
                    actor=request.user,
                    request=request,
                    target=request.user,
                    details={"via": "own_password_change"},
                )
        return response

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        """Not offered: no admin form here uses autocomplete_fields.

        Django's endpoint would search any registered admin's search_fields — reservations
        by フリガナ — outside the audited changelist search, with the term in the URL.
        """
        raise Http404

    def logout(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        from staff.views import logout_view

        return logout_view(request)

"""The gate in front of /staff/ and /admin/: network, session lifetime, second factor, role.

Residents' pages pass straight through without the session being read, so they get no
session cookie and no "Vary: Cookie" and stay cacheable by a CDN.

For staff pages, in this order:
1. Outside STAFF_ALLOWED_NETWORKS → 404 (the pages do not exist for the rest of the world).
2. A staff session idle longer than STAFF_IDLE_TIMEOUT or older than STAFF_ABSOLUTE_TIMEOUT
   is ended on the server and the person is sent to the login page.
3. Not logged in → login page. Logged in with a password only → second-factor page
   (or enrolment if they have no device yet). Only the sign-in pages themselves open.
4. Verified but not staff, or in no staff group (and not a superuser) → 403; /admin/ also
   needs the administrator role (or superuser).
Views still check their own role (core.access.role_required); this is the floor under
every staff page, including ones whose author forgot.
"""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

import audit
from core import roles
from core.client import client_ip
from staff.network import address_allowed, is_staff_path

SESSION_STARTED = "staff_session_started"
SESSION_LAST_SEEN = "staff_session_last_seen"

# Pages a password-only (not yet verified) session may open: (namespace, URL name).
SIGN_IN_PAGES = {
    ("staff", "login"),
    ("staff", "verify"),
    ("staff", "enrol"),
    ("staff", "logout"),
    ("admin", "login"),  # sends people to staff:login
    ("admin", "logout"),
}


def start_staff_session(request: HttpRequest) -> None:
    """Stamp the session's start; called at password login."""
    now = time.time()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_LAST_SEEN] = now
    request.session.set_expiry(int(settings.STAFF_IDLE_TIMEOUT.total_seconds()))


def session_expired(request: HttpRequest, now: float) -> bool:
    started = request.session.get(SESSION_STARTED)
    last_seen = request.session.get(SESSION_LAST_SEEN)
    if started is None or last_seen is None:
        return False
    return (
        now - last_seen > settings.STAFF_IDLE_TIMEOUT.total_seconds()
        or now - started > settings.STAFF_ABSOLUTE_TIMEOUT.total_seconds()
    )


class StaffAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_staff_path(request.path_info):
            return self.get_response(request)

        if not address_allowed(client_ip(request)):
            raise Http404

        user: Any = request.user  # django-otp adds is_verified()
        if user.is_authenticated:
            now = time.time()
            if session_expired(request, now):
                audit.record(action="staff.session.expired", actor=user, request=request)
                logout(request)
                return redirect(f"{reverse('staff:login')}?{urlencode({'expired': '1'})}")
            if SESSION_STARTED not in request.session:
                # A session made some other way (e.g. Django's test client): it starts now.
                start_staff_session(request)
            request.session[SESSION_LAST_SEEN] = now
            # Sliding server-side expiry too, so an abandoned session dies in the store.
            request.session.set_expiry(int(settings.STAFF_IDLE_TIMEOUT.total_seconds()))

        response = self._gate(request)
        if response is not None:
            return response
        response = self.get_response(request)
        # Staff pages are personal and never cached by a browser or proxy.
        response.headers.setdefault("Cache-Control", "no-store, private")
        return response

    def _gate(self, request: HttpRequest) -> HttpResponseBase | None:
        if self._page(request) in SIGN_IN_PAGES:
            return None
        user: Any = request.user  # django-otp adds is_verified()
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("staff:login"))
        if not user.is_verified():
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('staff:verify')}?{query}")
        if not user.is_active or not user.is_staff:
            raise PermissionDenied
        if user.is_superuser:
            return None
        held = roles.user_roles(user)
        if not held:
            raise PermissionDenied
        if request.path_info.startswith("/admin/") and roles.ADMINISTRATOR not in held:
            raise PermissionDenied
        return None

    @staticmethod
    def _page(request: HttpRequest) -> tuple[str, str | None] | None:
        """(namespace, URL name) of this request, or None for a URL that does not exist."""
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        return (match.namespace, match.url_name)

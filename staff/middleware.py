"""The gate in front of /staff/ and /admin/: network, session lifetime, second factor, role.

Residents' pages pass straight through without the session being read, so they get no
session cookie and no "Vary: Cookie" and stay cacheable by a CDN.

For staff pages, in this order:
1. Outside STAFF_ALLOWED_NETWORKS → 404 (the pages do not exist for the rest of the world).
2. A staff session idle longer than STAFF_IDLE_TIMEOUT or older than STAFF_ABSOLUTE_TIMEOUT
   is ended on the server, audited (staff.session.idle_timeout / .absolute_timeout), and
   the person is sent to the login page, which says which limit ended it. The session
   store keeps a session EXPIRY_NOTICE longer than these limits so that this check, not the
   store, is what ends it: a session the store had already dropped would arrive here as
   nobody, and the ending would be neither audited nor explained.
3. Not logged in → login page. Logged in with a password only → second-factor page
   (or enrolment if they have no device yet). Only the sign-in pages themselves open.
4. Verified but not staff, or in no staff group (and not a superuser) → 403; /admin/ also
   needs the administrator role (or superuser).
Views still check their own role (core.access.role_required); this is the floor under
every staff page, including ones whose author forgot.
"""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

import audit
from core import roles
from core.access import RoleRequired
from core.client import client_ip
from staff.network import address_allowed, is_staff_path

SESSION_STARTED = "staff_session_started"
SESSION_LAST_SEEN = "staff_session_last_seen"

# How long past its idle or absolute limit an ended session is still kept in the store (and
# its cookie in the browser), unusable, only so that the next request can be told why it
# ended: a person back from lunch, or the next morning, is told and the ending is audited.
# After that the store drops it and the person just sees the login page.
EXPIRY_NOTICE = timedelta(hours=24)

IDLE = "idle"
ABSOLUTE = "absolute"
TIMEOUT_ACTIONS = {IDLE: "staff.session.idle_timeout", ABSOLUTE: "staff.session.absolute_timeout"}

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
    _keep_in_store(request, now)


def _keep_in_store(request: HttpRequest, now: float) -> None:
    """The store's (and cookie's) expiry: EXPIRY_NOTICE past the earlier of the two limits.

    Sliding with activity like the idle limit, so an abandoned session still leaves the
    store a day later; never later than a day past the absolute limit.
    """
    started = request.session.get(SESSION_STARTED, now)
    idle_end = now + settings.STAFF_IDLE_TIMEOUT.total_seconds()
    absolute_end = started + settings.STAFF_ABSOLUTE_TIMEOUT.total_seconds()
    ends = min(idle_end, absolute_end) + EXPIRY_NOTICE.total_seconds()
    request.session.set_expiry(max(1, int(ends - now)))


def session_expired(request: HttpRequest, now: float) -> str | None:
    """Which limit ended this session (IDLE, ABSOLUTE), or None while it is alive.

    Past both (left open in the evening, back the next morning), the one reached first.
    """
    started = request.session.get(SESSION_STARTED)
    last_seen = request.session.get(SESSION_LAST_SEEN)
    if started is None or last_seen is None:
        return None
    idle_end = last_seen + settings.STAFF_IDLE_TIMEOUT.total_seconds()
    absolute_end = started + settings.STAFF_ABSOLUTE_TIMEOUT.total_seconds()
    if now <= min(idle_end, absolute_end):
        return None
    return IDLE if idle_end <= absolute_end else ABSOLUTE


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
            limit = session_expired(request, now)
            if limit is not None:
                return self._end_session(request, user, limit, now)
            if SESSION_STARTED not in request.session:
                # A session made some other way (e.g. Django's test client): it starts now.
                start_staff_session(request)
            request.session[SESSION_LAST_SEEN] = now
            _keep_in_store(request, now)

        response = self._gate(request)
        if response is not None:
            return response
        response = self.get_response(request)
        # Staff pages are personal and never cached by a browser or proxy.
        response.headers.setdefault("Cache-Control", "no-store, private")
        return response

    @staticmethod
    def _end_session(request: HttpRequest, user: Any, limit: str, now: float) -> HttpResponseBase:
        """Log out a session past a limit, audit which limit, and say so on the login page."""
        started = request.session[SESSION_STARTED]
        last_seen = request.session[SESSION_LAST_SEEN]
        audit.record(
            action=TIMEOUT_ACTIONS[limit],
            actor=user,
            request=request,
            details={
                "idle_minutes": int((now - last_seen) // 60),
                "session_minutes": int((now - started) // 60),
            },
        )
        logout(request)  # flushes the session from the store
        query = {"expired": limit}
        if request.method == "GET":  # back to the same page after signing in again
            query["next"] = request.get_full_path()
        return redirect(f"{reverse('staff:login')}?{urlencode(query)}")

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
            raise RoleRequired()
        if user.is_superuser:
            return None
        held = roles.user_roles(user)
        if not held:
            raise RoleRequired()
        if request.path_info.startswith("/admin/") and roles.ADMINISTRATOR not in held:
            raise RoleRequired(roles.ADMINISTRATOR)
        return None

    @staticmethod
    def _page(request: HttpRequest) -> tuple[str, str | None] | None:
        """(namespace, URL name) of this request, or None for a URL that does not exist."""
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        return (match.namespace, match.url_name)

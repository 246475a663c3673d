"""Signing in to the staff side: a password, then a second factor, in the same session.

1. /staff/login/  username + password. Wrong or unknown → the same message either way;
   django-axes counts the failure (per username and client) and locks out at the limit.
2. /staff/verify/ a code from the authenticator app, or one backup code. A wrong code
   counts against the same axes limit as a wrong password; the right code typed again
   within its 30 s (django-otp refuses a used time step) is answered "already used" and
   not counted.
   /staff/enrol/  instead, for someone with no device yet: scan, confirm with a code, get
   backup codes (shown once). Each session is shown its own secret; confirming one
   removes the secrets other sessions were shown.
The session key changes at each step (password login, second factor), and only a verified
session opens a staff page (StaffAccessMiddleware, role_required, the admin site).
"""

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

import audit
from audit.services import username_fingerprint
from core import roles
from core.access import staff_required
from core.client import client_ip
from staff import services
from staff.desk import desk_search
from staff.forms import LoginForm, TokenForm
from staff.middleware import start_staff_session
from staff.network import is_staff_path

LOW_BACKUP_CODES = 3
# Set at a password login that found no second factor at all (first login, or the first
# after a reset): only such a session may enrol without being verified. A session opened
# before a reset — perhaps the very one the reset was meant to shut out — may not.
SESSION_MAY_ENROL = "staff_may_enrol"
# The unconfirmed authenticator this session was shown: each enrolment attempt has its own
# secret, so one seen by another session (someone else with the password) stays useless.
SESSION_PENDING_DEVICE = "staff_pending_device"


def _next_url(request: HttpRequest, default: str | None = None) -> str:
    """Where to go after signing in: a staff page on this site, nothing else."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if (
        candidate
        and is_staff_path(candidate.split("?", 1)[0])
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default or reverse("staff:home")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


# --- django-axes: one failure counter for passwords and codes --------------------------------


def _credentials(user: Any) -> dict[str, str]:
    return {"username": user.get_username()}


def _count_code_failure(request: HttpRequest, user: Any) -> bool:
    """Count a wrong code like a wrong password (same username + client); True if now locked."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    return bool(getattr(request, "axes_locked_out", False))


def _locked_out(request: HttpRequest, user: Any, *, stage: str) -> HttpResponse:
    """End the half-signed-in session and show the lockout page."""
    audit.record(
        action="staff.login.locked_out",
        actor=user,
        request=request,
        outcome="denied",
        details={"stage": stage},
    )
    credentials = _credentials(user)
    auth_logout(request)
    return get_lockout_response(request, None, credentials)


def _complete_sign_in(
    request: HttpRequest, user: Any, device: Any, *, method: str, next_url: str
) -> HttpResponse:
    """The second factor is verified: mark the session, give it a new key, clear failures."""
    otp_login(request, device)
    request.session.cycle_key()
    AxesProxyHandler.reset_attempts(ip_address=client_ip(request), username=user.get_username())
    audit.record(
        action="staff.login.succeeded", actor=user, request=request, details={"method": method}
    )
    if method == "backup_code":
        left = services.backup_codes_left(user)
        audit.record(
            action="staff.second_factor.backup_code_used",
            actor=user,
            request=request,
            details={"codes_left": left},
        )
        if left <= LOW_BACKUP_CODES:
            messages.warning(
                request,
                _("Only %(n)s backup codes are left. Make new ones on the backup codes page.")
                % {"n": left},
            )
    if services.confirmed_totp_device(user) is None:
        # Signed in with a backup code but no authenticator any more: enrol one now.
        return redirect(_with_next("staff:enrol", next_url))
    return redirect(next_url)


# --- The pages ---------------------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user  # django-otp adds is_verified()
    next_url = _next_url(request)
    if user.is_authenticated and request.method == "GET":
        if user.is_verified():
            return redirect(next_url)
        return redirect(_with_next("staff:verify", next_url))

    form = LoginForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is not None and not user.is_staff:
            # The right password of someone who is not staff: the same answer as a wrong one,
            # and it counts as a failure.
            user_login_failed.send(
                sender=__name__, credentials={"username": username}, request=request
            )
            user = None
        if user is None:
            locked = bool(getattr(request, "axes_locked_out", False))
            audit.record(
                action="staff.login.locked_out" if locked else "staff.login.failed",
                request=request,
                outcome="denied" if locked else "failed",
                details={
                    "stage": "password",
                    "username_fingerprint": username_fingerprint(username),
                },
            )
            if locked:
                return get_lockout_response(request, None, {"username": username})
            form.add_error(None, _("The username or password is not correct."))
        else:
            auth_login(request, user)  # a new session key, and the old session is gone
            start_staff_session(request)
            audit.record(action="staff.login.password_accepted", actor=user, request=request)
            if services.has_second_factor(user):
                return redirect(_with_next("staff:verify", next_url))
            request.session[SESSION_MAY_ENROL] = True
            return redirect(_with_next("staff:enrol", next_url))

    return render(
        request,
        "staff/login.html",
        {
            "form": form,
            "next": next_url,
            "expired": request.GET.get("expired", ""),
            "idle_minutes": int(settings.STAFF_IDLE_TIMEOUT.total_seconds() // 60),
            "absolute_hours": int(settings.STAFF_ABSOLUTE_TIMEOUT.total_seconds() // 3600),
            "logged_out": request.GET.get("logged_out") == "1",
        },
    )


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user  # django-otp adds is_verified()
    next_url = _next_url(request)
    if not user.is_authenticated:
        return redirect_to_login(next_url)
    if user.is_verified():
        return redirect(next_url)
    if not user.is_staff:
        raise PermissionDenied
    if not services.has_second_factor(user):
        return redirect(_with_next("staff:enrol", next_url))
    if not AxesProxyHandler.is_allowed(request, _credentials(user)):
        return _locked_out(request, user, stage="second_factor")

    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        result = services.verify_second_factor(user, form.cleaned_data["token"])
        if result.ok:
            return _complete_sign_in(
                request, user, result.device, method=result.method, next_url=next_url
            )
        # A replayed code is the right one, typed again: not a guess, so not counted.
        if not result.replayed and _count_code_failure(request, user):
            return _locked_out(request, user, stage="second_factor")
        audit.record(
            action="staff.second_factor.failed",
            actor=user,
            request=request,
            outcome="failed",
            details={
                "stage": "verify",
                "method": result.method,
                "throttled": result.throttled,
                "replayed": result.replayed,
            },
        )
        if result.replayed:
            error = _("This code has already been used. Wait for the app to show the next one.")
        elif result.throttled:
            error = _("Too many wrong codes in a row. Wait a few seconds and enter a new code.")
        else:
            error = _("That code is not correct. Enter the 6 digits now shown in the app.")
        form.add_error("token", error)
    return render(
        request,
        "staff/verify.html",
        {
            "form": form,
            "next": next_url,
            "has_authenticator": bool(services.confirmed_totp_device(user)),
        },
    )


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user  # django-otp adds is_verified()
    next_url = _next_url(request)
    if not user.is_authenticated:
        return redirect_to_login(next_url)
    if not user.is_staff:
        raise PermissionDenied
    if services.confirmed_totp_device(user) is not None:
        # One authenticator per person; a lost phone is reset by an administrator.
        return redirect(next_url if user.is_verified() else _with_next("staff:verify", next_url))
    if services.has_second_factor(user) and not user.is_verified():
        # Backup codes but no authenticator: prove it is them with a backup code first.
        return redirect(_with_next("staff:verify", next_url))
    if not user.is_verified() and not request.session.get(SESSION_MAY_ENROL):
        # Signed in while a second factor existed, which has been reset since: the
        # password must be typed again before a new phone is enrolled.
        auth_logout(request)
        return redirect_to_login(next_url)
    if not AxesProxyHandler.is_allowed(request, _credentials(user)):
        return _locked_out(request, user, stage="enrolment")

    device = services.pending_totp_device(user, request.session.get(SESSION_PENDING_DEVICE))
    request.session[SESSION_PENDING_DEVICE] = device.pk
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        codes = services.confirm_enrolment(user, device, form.cleaned_data["token"])
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            request.session.pop(SESSION_MAY_ENROL, None)
            request.session.pop(SESSION_PENDING_DEVICE, None)
            request.session.cycle_key()
            AxesProxyHandler.reset_attempts(
                ip_address=client_ip(request), username=user.get_username()
            )
            audit.record(
                action="staff.second_factor.enrolled",
                actor=user,
                request=request,
                target=user,
                details={"device_id": device.pk, "backup_codes": len(codes)},
            )
            audit.record(
                action="staff.login.succeeded",
                actor=user,
                request=request,
                details={"method": "totp", "enrolment": True},
            )
            return render(
                request,
                "staff/backup_codes.html",
                {"codes": [services.format_backup_code(c) for c in codes], "next": next_url},
            )
        if _count_code_failure(request, user):
            return _locked_out(request, user, stage="enrolment")
        audit.record(
            action="staff.second_factor.failed",
            actor=user,
            request=request,
            outcome="failed",
            details={"stage": "enrolment", "method": "totp"},
        )
        form.add_error(
            "token",
            _("That code is not correct. Check the phone's clock and enter the new 6 digits."),
        )
    return render(
        request,
        "staff/enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": services.qr_code_data_uri(device),
            "secret": services.secret_for_typing(device),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def backup_codes_view(request: HttpRequest) -> HttpResponse:
    """How many backup codes are left; a POST replaces them with a new set, shown once."""
    user: Any = request.user  # django-otp adds is_verified()
    if request.method == "POST":
        codes = services.new_backup_codes(user)
        audit.record(
            action="staff.second_factor.backup_codes_renewed",
            actor=user,
            request=request,
            target=user,
            details={"backup_codes": len(codes)},
        )
        return render(
            request,
            "staff/backup_codes.html",
            {
                "codes": [services.format_backup_code(c) for c in codes],
                "next": reverse("staff:home"),
            },
        )
    return render(
        request, "staff/backup_codes_status.html", {"left": services.backup_codes_left(user)}
    )


@never_cache
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST only (a link or an image must not sign anyone out); ends the session on the server."""
    if request.user.is_authenticated:
        audit.record(action="staff.logout", actor=request.user, request=request)
    auth_logout(request)  # flushes the session from the store and forgets its key
    return redirect(f"{reverse('staff:login')}?logged_out=1")


@staff_required
def home(request: HttpRequest) -> HttpResponseBase:
    """The first staff page: the phone desk for the health centre, the admin for administrators."""
    user: Any = request.user  # django-otp adds is_verified()
    held = roles.user_roles(user)
    if roles.HEALTH_CENTRE in held:
        return desk_search(request)
    if roles.ADMINISTRATOR in held or (user.is_superuser and user.is_staff):
        return redirect("admin:index")
    raise PermissionDenied

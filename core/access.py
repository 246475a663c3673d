"""Who may open a staff page: a password AND a second factor, and the right role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.views.decorators.cache import never_cache

from core.roles import User, has_role, user_roles

View = Callable[..., HttpResponseBase]


class RoleRequired(PermissionDenied):
    """Verified staff without the role this page needs; `role` is None for "any staff role".

    The staff 403 page (config.views.permission_denied) names the missing role.
    """

    def __init__(self, role: str | None = None) -> None:
        super().__init__(role or "a staff role")
        self.role = role


def _staff_view(allowed: Callable[[User], bool], role: str | None = None) -> Callable[[View], View]:
    """A view decorator: logged in, second factor verified in this session, `allowed`.

    Not logged in → the login page; logged in with a password only → the second-factor
    page. Verified but not allowed → 403. The response is never cached.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        @never_cache
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_verified():  # type: ignore[attr-defined]  # django-otp's middleware
                return redirect_to_login(request.get_full_path(), reverse("staff:verify"))
            if not allowed(user):
                raise RoleRequired(role)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def role_required(role: str) -> Callable[[View], View]:
    """View decorator: logged in, second factor verified in this session, member of `role`.

    Verified but without the role (or not active staff) → 403. StaffAccessMiddleware
    applies the same floor to every staff URL; this decorator is what makes a view's own
    role explicit.
    """
    return _staff_view(lambda user: has_role(user, role), role)


def any_role_required(*roles: str) -> Callable[[View], View]:
    """Like role_required, for a page that members of any of `roles` may open."""
    return _staff_view(lambda user: any(has_role(user, role) for role in roles), roles[0])


def _any_staff_role(user: User) -> bool:
    """Active staff with at least one staff role; superusers pass without a group."""
    if not (user.is_active and getattr(user, "is_staff", False)):
        return False
    return bool(getattr(user, "is_superuser", False) or user_roles(user))


def staff_required(view: View) -> View:
    """Like role_required, for pages every staff role may open (home, own backup codes).

    Superusers pass without a group; anyone else needs at least one staff role.
    """
    return _staff_view(_any_staff_role)(view)

"""Who may open a staff page: a password AND a second factor, and the right role."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.views.decorators.cache import never_cache

from staff.roles import has_role, user_roles


def role_required(role: str):
    """View decorator: logged in, second factor verified in this session, member of `role`.

    Not logged in → the login page; logged in with a password only → the second-factor
    page. Verified but without the role (or not active staff) → 403. The response is
    never cached. StaffAccessMiddleware applies the same floor to every staff URL; this
    decorator is what makes a view's own role explicit.
    """

    def decorator(view):
        @wraps(view)
        @never_cache
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_verified():
                return redirect_to_login(request.get_full_path(), reverse("staff:verify"))
            if not has_role(user, role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def staff_required(view):
    """Like role_required, for pages every staff role may open (home, own backup codes).

    Superusers pass without a group; anyone else needs at least one staff role.
    """

    @wraps(view)
    @never_cache
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_verified():
            return redirect_to_login(request.get_full_path(), reverse("staff:verify"))
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if not (user.is_superuser or user_roles(user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped

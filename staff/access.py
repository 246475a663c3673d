"""Who may open a staff page: a password AND a second factor, and the right role."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from staff.roles import has_role


def role_required(role: str):
    """View decorator: logged in, second factor verified in this session, member of `role`.

    Not logged in, or logged in with a password only → the login / verification page.
    Verified but without the role → 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or not user.is_verified():
                return redirect_to_login(request.get_full_path())
            if not has_role(user, role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

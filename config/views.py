"""Project-wide views: health check and the error pages.

Error pages are plain templates in the page's language; they never echo input back.
"""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core import roles
from staff.network import is_staff_path

log = logging.getLogger("config.healthz")


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return False
    return True


def _cache_answers() -> bool:
    try:
        cache.set("healthz", "ok", 10)
        return bool(cache.get("healthz") == "ok")
    except Exception as exc:  # noqa: BLE001 - any cache failure means "cache down"
        log.warning("config.healthz.cache_down: %s", type(exc).__name__)
        return False


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Each part's state in the JSON: {"status", "database", "cache"}.

    503 only when the database does not answer: without the cache the residents' pages
    still work (uncached) and only the look-up refuses, so the process should stay in the
    load balancer; the "cache": "down" is for the operator's monitoring.
    """
    cache_state = "ok" if _cache_answers() else "down"
    if not _database_answers():
        return JsonResponse(
            {"status": "error", "database": "unavailable", "cache": cache_state}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok", "cache": cache_state})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The reason is for developers; residents get a plain explanation and a way back.
    return render(request, "errors/403_csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_staff_path(request.path_info):
        # Staff get their own page, in the staff layout: which role is missing, whom to ask.
        role = getattr(exception, "role", None)
        return render(
            request,
            "staff/403.html",
            {"role": role, "role_label": roles.LABELS.get(role or "", "")},
            status=403,
        )
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)

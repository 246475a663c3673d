"""HTTP plumbing of the resident's pages: allowed methods, caching, rendering, refusals.

Two kinds of page:
- Public pages (top, availability) are the opening-day flood. They set no cookie, never
  touch the session (so no "Vary: Cookie") and carry a short public Cache-Control, so a CDN
  or reverse proxy can answer most requests. Their templates must not use {{ user }},
  {{ perms }}, messages or {% csrf_token %}.
- Form pages carry the CSRF cookie and are never cached. There is no session: the state
  between steps travels in signed hidden fields (reservations.tokens.BookingState) and the
  proof of a successful look-up in a signed, expiring token, always in POST bodies so that
  neither ends up in an access log or the browser history. The done page is found again
  through a signed, hour-long cookie that only the booking POST sets (views.booking).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, translate_url
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import get_language, override

from reservations.forms import error_summary
from reservations.refusals import PAGES

View = Callable[..., HttpResponse]


def allow(*methods: str) -> Callable[[View], View]:
    """Like require_http_methods, but the refusal is a readable page in the right language."""
    allowed = {m.upper() for m in methods}
    if "GET" in allowed:
        allowed.add("HEAD")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                response = render(request, "errors/405.html", status=405)
                response["Allow"] = ", ".join(sorted(allowed))
                add_never_cache_headers(response)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def public(view: View) -> View:
    """Cacheable by anyone for PUBLIC_CACHE_SECONDS (read at request time, not import)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = render(request, "errors/404.html", status=404)
        if response.status_code in (200, 400, 404):
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        _leave_cookies_alone(request)
        return response

    return wrapper


def _leave_cookies_alone(request: HttpRequest) -> None:
    """Keep the middleware from answering a public page with cookies.

    A malformed csrftoken cookie makes CsrfViewMiddleware send a fresh one, and a malformed
    session cookie makes SessionMiddleware delete it; both add "Vary: Cookie". On a page a
    CDN shares, the first would hand one CSRF secret to everyone. The form pages set the
    CSRF cookie anyway; the session cookie is the staff pages' business.
    """
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
    request.COOKIES.pop(settings.SESSION_COOKIE_NAME, None)


def private(view: View) -> View:
    """Personal data or a CSRF token: no cache anywhere may keep it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    return wrapper


def page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    switch_language: bool = False,
    language_switch: tuple[str, Mapping[str, str]] | None = None,
) -> HttpResponse:
    """render() plus the header's way to the other language, which keeps the resident's place.

    A page reached by GET links to itself in the other language (`switch_language` is
    implied). A page that answers a POST cannot be a link without losing what was sent:
    `language_switch` = (URL name, hidden fields) makes the header a small form that re-posts
    them (the signed booking state) to that view in the other language; without it the
    header says why there is no switch here.
    """
    context = dict(context or {})
    other = "en" if get_language() == "ja" else "ja"
    if language_switch is not None:
        name, fields = language_switch
        with override(other):
            action = reverse(name)
        context["language_switch"] = {"action": action, "fields": list(fields.items())}
    elif switch_language or request.method in ("GET", "HEAD"):
        context["alternate_url"] = translate_url(request.get_full_path(), other)
    else:
        context["language_switch_unavailable"] = True
    if "form" in context and "errors" not in context:
        context["errors"] = error_summary(context["form"])
    return render(request, template, context, status=status)


def refuse(
    request: HttpRequest,
    code: str,
    *,
    params: Mapping[str, object] | None = None,
    reasons: Iterable[str] = (),
    link_args: tuple[object, ...] = (),
) -> HttpResponse:
    """The catalogue's page for `code` (reservations.refusals): what happened, why, and
    where to go next. `params` fill the paragraphs, `reasons` follow them."""
    refusal = PAGES[code]
    paragraphs = [str(p) % params if params else str(p) for p in refusal.paragraphs]
    links = [(reverse(name, args=link_args or None), label) for name, label in refusal.links]
    return page(
        request,
        "reservations/problem.html",
        {"title": refusal.title, "paragraphs": [*paragraphs, *reasons], "links": links},
        status=refusal.status,
    )


def bad_request(request: HttpRequest) -> HttpResponse:
    return refuse(request, "bad_request")

"""The waiting room in front of the booking form, before sessions, CSRF and the rest.

Only the way in is held: GET of a booking form (/book/<slot>/, /en/book/<slot>/). The
steps after it (details, confirm, done) are never held, so nobody admitted loses what
they typed. The waiting page is built from a few translated strings without the template
engine or the database: it costs about what a trivial view does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import suppress
from functools import cache
from html import escape
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language_from_path, gettext, ngettext, override

from waitingroom import room

log = logging.getLogger("waitingroom")

COOKIE = "kenshin_line"
TICKET_PARAMETER = "ticket"
MANUAL_PARAMETER = "manual"
LONGEST_REFRESH = 30  # seconds between reloads when the wait is long


@cache
def _booking_paths() -> re.Pattern[str]:
    """The booking forms' paths per language (none without the residents' URL map)."""
    marker = "987654321"
    prefixes = []
    for code, _name in settings.LANGUAGES:
        with override(code), suppress(NoReverseMatch):
            head, _m, tail = reverse("reservations:book", args=[marker]).partition(marker)
            prefixes.append(f"{re.escape(head)}([0-9]{{1,18}}){re.escape(tail)}")
    return re.compile("|".join(prefixes) or r"(?!)")


def _slot_id(path: str) -> int | None:
    match = _booking_paths().fullmatch(path)
    if match is None:
        return None
    return int(next(group for group in match.groups() if group is not None))


_BOOKING_STEPS = re.compile(r"/(?:[a-z]{2}/)?book/")


def _is_booking(path: str) -> bool:
    """Any booking step (/book/…, /en/book/…): what the in-flight count counts."""
    return _BOOKING_STEPS.match(path) is not None


class WaitingRoomMiddleware:
    """Hands out tickets and holds back those not yet admitted (waitingroom.room)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not _is_booking(request.path_info):
            return self.get_response(request)
        with room.InFlight() as in_flight:
            slot_id = _slot_id(request.path_info) if request.method in ("GET", "HEAD") else None
            if slot_id is None:
                return self.get_response(request)
            try:
                room.saturated(in_flight)
                if not room.is_on(slot_id):
                    return self.get_response(request)
                signed = request.GET.get(TICKET_PARAMETER) or request.COOKIES.get(COOKIE, "")
                place = room.place_in_line(signed)
            except room.Unavailable as exc:
                # No shared line without the cache: let everyone in rather than no one.
                log.warning("waitingroom.fail_open: %s", exc)
                return self.get_response(request)
            if place.admitted:
                response = self.get_response(request)
            else:
                response = waiting_page(request, place)
            if signed != (ticket := place.ticket.signed()) and not response.cookies.get(COOKIE):
                response.set_cookie(
                    COOKIE,
                    ticket,
                    max_age=room.TICKET_MAX_AGE,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            return response


@cache
def _stylesheet() -> str:
    return static("css/site.css")


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return gettext("less than a minute")
    minutes = round(seconds / 60)
    return ngettext("about %(n)s minute", "about %(n)s minutes", minutes) % {"n": minutes}


def waiting_page(request: HttpRequest, place: room.Place) -> HttpResponse:
    """ "You are in line": reloads itself (Refresh and Retry-After) until the turn comes.

    Status 200, not 503 or 429: nothing has failed and the resident has done nothing wrong
    — this page is the answer, and it must not count as an error (the opening-day target
    is no 5xx; a 429 tells clients and monitoring the caller was at fault, and some
    proxies replace 4xx/5xx bodies with their own page). Retry-After says when to come
    back; Refresh (which browsers treat as <meta http-equiv="refresh">) brings them back
    without JavaScript. The refresh is a header, not a <meta> in the page, and the page
    offers to stop it: a timed reload that the reader cannot turn off fails WCAG 2.2.1
    (axe: meta-refresh), and a screen reader user must be able to read in peace.
    """
    path = request.path_info
    language = get_language_from_path(path) or settings.LANGUAGE_CODE
    other = "en" if language == "ja" else "ja"
    ticket = place.ticket.signed()
    here = f"{path}?{urlencode({TICKET_PARAMETER: ticket})}"
    manual = request.GET.get(MANUAL_PARAMETER) == "1"
    # Back right on the turn (see room.place_in_line), at most LONGEST_REFRESH later.
    refresh = min(place.wait_seconds, LONGEST_REFRESH)
    with override(other):
        other_path = reverse("reservations:book", args=[_slot_id(path)])
    with override(language):
        title = gettext("You are in line")
        lines = [
            gettext(
                "Many people are booking right now, so we let everyone in in the order "
                "they arrived."
            ),
            ngettext(
                "There is about %(ahead)s person ahead of you; the wait is %(wait)s.",
                "There are about %(ahead)s people ahead of you; the wait is %(wait)s.",
                place.ahead,
            )
            % {"ahead": place.ahead, "wait": _wait_text(place.wait_seconds)},
            gettext(
                "Keep this page open: when it is your turn, the booking form opens by "
                "itself. Reloading keeps your place."
            )
            if not manual
            else gettext(
                "This page does not reload by itself now. Use “Check my turn” from time "
                "to time; your place is kept."
            ),
            gettext("You can also book by phone: %(phone)s.")
            % {"phone": settings.HEALTH_CENTRE_PHONE},
        ]
        check = gettext("Check my turn")
        stop = gettext("Stop reloading this page by itself")
        languages = gettext("Language")
    switch = "日本語" if language == "en" else "English"
    links = [f'<a href="{escape(here)}">{escape(check)}</a>']
    if not manual:
        links.append(f'<a href="{escape(here)}&amp;{MANUAL_PARAMETER}=1">{escape(stop)}</a>')
    switch_href = f"{other_path}?{urlencode({TICKET_PARAMETER: ticket})}"
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    items = "".join(f"<li>{link}</li>" for link in links)
    html = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{escape(_stylesheet())}"></head><body>'
        f'<header class="site-header"><nav aria-label="{escape(languages)}">'
        f'<a href="{escape(switch_href)}" lang="{other}" hreflang="{other}">{escape(switch)}</a>'
        "</nav></header>"
        f'<main id="main-content" class="main"><h1>{escape(title)}</h1>{body}'
        f'<ul class="links">{items}</ul></main></body></html>'
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(refresh)
    if not manual:
        response["Refresh"] = f"{refresh}; url={here}"
    response["Cache-Control"] = "no-store, private"
    response["Content-Language"] = language
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )
    return response

"""The booking's first page (GET /book/<slot>/) from the shared cache, with this request's
own tokens.

Everyone who opens a time gets the same page — the empty details form, or, once the time
is full, the nearest free times — but for two values in the form: the form token (new for
every booking) and the CSRF token (masked anew for every response). On opening day it is
the page everyone asks for, at about 5 ms of CPU a render (issue #12). So it is rendered
once per slot, language and PUBLIC_CACHE_SECONDS and stored with both tokens replaced by
markers — the cache holds neither, nor anything personal (nothing is typed yet) — and each
request gets a copy with a new form token and `get_token(request)`, which sets the CSRF
cookie as the render would have.

Like the public pages (reservations.page_cache): an entry carries the page cache's
generation, so admin changes show at once; bookings show within PUBLIC_CACHE_SECONDS (the
form step re-checks the slot's state before it answers, and the commit re-checks every
place); with the cache down the page renders as before, never a 500. Only a 200 is stored,
and only for a GET without a query string (the page's language link repeats it), keyed by
its path as well (another view may answer with the same page).
The full page is looked for before the slot is read (cached_full_page): once a time is
full, those who open it cost no query, and a freed place shows within the same period.
Not stampede-proof: when a copy is past its period each worker renders its own once, which
for a page this size is a handful of renders a period.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from reservations.page_cache import GENERATION_KEY, clock, current_generation
from reservations.tokens import new_form_token

log = logging.getLogger("reservations.first_step_cache")

FORM_TOKEN_MARK = "@@kenshin-form-token@@"  # noqa: S105 - a marker, not a secret
CSRF_MARK = "@@kenshin-csrf-token@@"
_CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class _Entry:
    generation: int
    fresh_until: float
    html: str
    content_type: str


def first_step_page(
    request: HttpRequest, slot_id: int, kind: str, render: Callable[[str], HttpResponse]
) -> HttpResponse:
    """`render(form_token)`'s page for `slot_id` (`kind`: "form" or "full"), from the cache
    when a copy of this period is there, else rendered (and stored when it is a 200)."""
    looked_up = _look_up(request, slot_id, kind)
    if looked_up is None:
        return render(new_form_token())
    key, generation, copy = looked_up
    if copy is not None:
        return copy
    form_token = new_form_token()
    response = render(form_token)
    if response.status_code == 200 and not response.streaming:
        _store(key, generation, response, form_token)
    return response


def cached_full_page(request: HttpRequest, slot_id: int) -> HttpResponse | None:
    """This period's copy of the "that time is full" page for `slot_id`, if there is one:
    served before the slot is even read (issue #12: on opening day most of those who open
    a time find it full). A copy may be up to PUBLIC_CACHE_SECONDS old, as the
    availability page may: a place freed since shows within that; admin changes at once."""
    looked_up = _look_up(request, slot_id, "full")
    return looked_up[2] if looked_up is not None else None


def _look_up(
    request: HttpRequest, slot_id: int, kind: str
) -> tuple[str, int, HttpResponse | None] | None:
    """(key, generation, this period's copy or None), or None when the page is not to be
    cached at all (caching off, not a GET, a query string, the cache down)."""
    if (
        settings.PUBLIC_CACHE_SECONDS <= 0
        or request.method != "GET"
        # A query string (the waiting room's ?ticket=) shows in the page's language link:
        # such a page is the requester's own.
        or request.META.get("QUERY_STRING")
    ):
        return None
    found = _fetched(request, slot_id)
    if found is None:  # the cache is down: render uncached
        return None
    key = _key(request, slot_id, kind)
    generation = current_generation(found.get(GENERATION_KEY))
    entry = found.get(key)
    if isinstance(entry, _Entry) and entry.generation == generation and clock() < entry.fresh_until:
        html = entry.html.replace(FORM_TOKEN_MARK, new_form_token())
        if CSRF_MARK in html:
            html = html.replace(CSRF_MARK, get_token(request))
        return key, generation, HttpResponse(html, content_type=entry.content_type)
    return key, generation, None


KINDS = ("form", "full")
# Where a request keeps what it fetched (the full page is looked for before the slot is
# read, the form after): one round trip to the cache for both, and one warning if it is down.
_FETCHED = "_kenshin_first_step_fetched"


def _key(request: HttpRequest, slot_id: int, kind: str) -> str:
    # The path too: another view (the family booking's) may answer with the same page,
    # whose language link points at its own path.
    return f"firststep:{slot_id}:{kind}:{get_language()}:{request.path_info}"


def _fetched(request: HttpRequest, slot_id: int) -> dict[str, object] | None:
    """The slot's copies of both kinds and the generation, fetched once per request (None:
    the cache is down)."""
    memo = getattr(request, _FETCHED, None)
    if memo is not None and memo[0] == slot_id:
        return memo[1]
    keys = [*(_key(request, slot_id, kind) for kind in KINDS), GENERATION_KEY]
    found: dict[str, object] | None
    try:
        found = cache.get_many(keys)
    except Exception as exc:  # noqa: BLE001 - any cache failure: render uncached
        log.warning("reservations.first_step_cache.unavailable: %s", type(exc).__name__)
        found = None
    setattr(request, _FETCHED, (slot_id, found))
    return found


def _store(key: str, generation: int, response: HttpResponse, form_token: str) -> None:
    html = response.content.decode(response.charset).replace(form_token, FORM_TOKEN_MARK)
    tokens = _CSRF_VALUE.findall(html)
    if html.count("csrfmiddlewaretoken") != len(tokens):
        # The token shown some other way than {% csrf_token %}'s field: it could not be
        # taken out, and a copy would hand this browser's CSRF secret to everyone.
        log.error("reservations.first_step_cache.unexpected_csrf_token key=%s", key)
        return
    for csrf in set(tokens):
        html = html.replace(csrf, CSRF_MARK)
    entry = _Entry(
        generation=generation,
        fresh_until=clock() + settings.PUBLIC_CACHE_SECONDS,
        html=html,
        content_type=response["Content-Type"],
    )
    try:
        cache.set(key, entry, settings.PUBLIC_CACHE_SECONDS * 2)
    except Exception as exc:  # noqa: BLE001 - not stored: the next request renders again
        log.warning("reservations.first_step_cache.unavailable: %s", type(exc).__name__)

"""The public pages (top, availability) from the shared cache: one render per variant per period.

On opening day thousands of residents load the same few pages. Each variant — page,
language, screening, ?month=, ?venue= and whether the browser takes gzip — is rendered at
most once per PUBLIC_CACHE_SECONDS by one worker of one app server, and every other request
is answered from the shared cache (Redis in production) by PublicPageCacheMiddleware,
which sits before the middleware a public page does not need (whitenoise, sessions, locale,
csrf, auth, otp, messages, axes): a hit costs one cache round trip.

- Staleness: a booking, cancellation or move does not touch the cache. A page may show a
  place that has just gone for up to PUBLIC_CACHE_SECONDS (plus one render); the commit
  re-checks every place and the loser is offered the nearest free times.
- Admin changes show at once: a generation counter in the cache is part of every entry,
  and `public_pages_changed()` — called after commit by the services and admin pages that
  change what residents see (slots, capacity, times, screenings, venues) — bumps it, so
  every entry of an older generation is ignored from the next request on.
- No stampede (stale-while-revalidate): when an entry is past its period, the first request
  takes a short lock (cache.add) and re-renders while the others keep serving the previous
  copy. With no usable copy at all (cold cache, new generation) the others wait briefly for
  the one render instead of rendering too.
- Nothing personal, no CSRF token, no cookie: only responses that any cache may share
  (compression.is_public_page: public Cache-Control, no cookie, HTML) with status 200 are
  stored, and a page carrying a CSRF token is refused (and logged) as a bug.
- Cache down: every cache call is guarded; the page renders uncached, never a 500.
- Garbage query strings do not grow the cache: only ?month= and ?venue= count, the view
  sees exactly those (so the page depends on the key alone), values of the wrong shape
  are rendered (a 400) without touching the cache, and only valid pages (200) are stored.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.middleware.gzip import re_accepts_gzip
from django.urls import NoReverseMatch, reverse
from django.utils.text import compress_string
from django.utils.translation import get_language_from_path, override

from reservations.compression import is_public_page

log = logging.getLogger("reservations.page_cache")

GENERATION_KEY = "pcache:generation"
# How long a copy is kept past its period: what the others serve while one re-renders.
STALE_SECONDS = 60
# The re-render lock; a worker that dies while rendering frees it after this long.
LOCK_SECONDS = 10
# With no copy at all, how long the others wait for the one render before rendering too.
WAIT_SECONDS = 3.0
WAIT_STEP = 0.02

# The query parameters the availability page reads; anything else is dropped.
MONTH_SHAPE = re.compile(r"(?:[0-9]{4}-[0-9]{2})?")
VENUE_SHAPE = re.compile(r"(?:[1-9][0-9]{0,17})?")

# Wall-clock seconds, shared by every app server (patched by tests).
clock: Callable[[], float] = time.time

_fresh_reads: ContextVar[bool] = ContextVar("page_cache_fresh_reads", default=False)


def reads_fresh() -> bool:
    """True while a page is being rendered for the shared cache (queries then skip their own
    short-lived cache, so the copy is no older than its period)."""
    return _fresh_reads.get()


@contextmanager
def _rendering() -> Iterator[None]:
    token = _fresh_reads.set(True)
    try:
        yield
    finally:
        _fresh_reads.reset(token)


# --- The generation: admin changes show at once -----------------------------------------


def public_pages_changed() -> None:
    """What residents see has changed (slots, capacity, times, a screening or a venue):
    every cached public page is re-rendered on its next request.

    Runs after the surrounding transaction commits, so no worker can re-render from the
    data as it was before the change. Not for bookings: those are allowed to show late.
    """
    transaction.on_commit(_bump_generation)


class PublicPagesAdminMixin:
    """For the admin of what residents see (screenings, venues, slots): every POST — a
    save, a delete, an action, a list edit — makes the public pages re-render.

    Hooked on the views rather than save_model, which SlotAdmin overrides: a refused or
    invalid POST costs one re-render, a missed change would show stale pages.
    """

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
        if request.method == "POST":
            public_pages_changed()
        return response

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().delete_view(request, *args, **kwargs)  # type: ignore[misc]
        if request.method == "POST":
            public_pages_changed()
        return response

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().changelist_view(request, *args, **kwargs)  # type: ignore[misc]
        if request.method == "POST":
            public_pages_changed()
        return response


def _bump_generation() -> None:
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # no counter yet (or evicted): any new value is a new generation
            cache.set(GENERATION_KEY, time.time_ns(), None)
    except Exception as exc:  # noqa: BLE001 - the cache is down: it holds no pages either
        log.warning("reservations.page_cache.unavailable: %s", type(exc).__name__)


def current_generation(found: Any) -> int:
    """The generation read with the entry, or a new one if the counter has gone (a Redis
    restart): copies from before cannot be trusted to be current."""
    if isinstance(found, int):
        return found
    cache.add(GENERATION_KEY, time.time_ns(), None)
    value = cache.get(GENERATION_KEY)
    return value if isinstance(value, int) else 0


# --- Variants ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    key: str
    query: str  # the canonical query string the view is given


class PublicPaths:
    """The top and availability paths per language, from the URL map itself (none when the
    URL map has no residents' pages, as in the benchmark's baseline server)."""

    @cached_property
    def homes(self) -> dict[str, str]:
        paths = {}
        for code, _name in settings.LANGUAGES:
            with override(code), suppress(NoReverseMatch):
                paths[reverse("reservations:home")] = code
        return paths

    @cached_property
    def availability(self) -> re.Pattern[str]:
        marker = "screening-code-marker"
        prefixes = []
        for code, _name in settings.LANGUAGES:
            with override(code), suppress(NoReverseMatch):
                url = reverse("reservations:availability", args=[marker])
                head, _m, tail = url.partition(marker)
                prefixes.append(f"{re.escape(head)}[-a-zA-Z0-9_]{{1,50}}{re.escape(tail)}")
        return re.compile("|".join(f"(?:{p})" for p in prefixes) or r"(?!)")


PATHS = PublicPaths()


def variant_of(request: HttpRequest) -> Variant | None:
    """The cache variant of a GET for a public page, or None when it is not one (or its
    query has values of a shape no valid page has)."""
    path = request.path_info
    if path in PATHS.homes:
        query = ""
    elif PATHS.availability.fullmatch(path):
        pairs = []
        for name, shape in (("month", MONTH_SHAPE), ("venue", VENUE_SHAPE)):
            if name in request.GET:
                value = request.GET[name]
                if not shape.fullmatch(value):
                    return None
                pairs.append((name, value))
        query = urlencode(pairs)
    else:
        return None
    try:
        host = request.get_host()
    except Exception:  # noqa: BLE001 - DisallowedHost: the normal chain answers it
        return None
    language = get_language_from_path(path) or settings.LANGUAGE_CODE
    wants_gzip = settings.COMPRESS_PUBLIC_PAGES and bool(
        re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    )
    name = f"{host}|{language}|{path}|{query}|{'gz' if wants_gzip else 'plain'}"
    digest = hashlib.blake2b(name.encode(), digest_size=16).hexdigest()
    return Variant(key=f"pcache:page:{digest}", query=query)


# --- Entries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One rendered page as the cache holds it: bytes and headers, nothing else."""

    generation: int
    fresh_until: float
    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status)
        for name, value in self.headers:
            response[name] = value
        return response


def entry_from(request: HttpRequest, response: HttpResponseBase, generation: int) -> Entry | None:
    """What of `response` may be stored (as the browser that asked would get it), or None."""
    if response.status_code != 200 or response.streaming or not is_public_page(response):
        return None
    assert isinstance(response, HttpResponse)
    content = response.content
    if b"csrfmiddlewaretoken" in content or "cookie" in response.get("Vary", "").lower():
        log.error("reservations.page_cache.refused: a public page with a CSRF token or cookie")
        return None
    headers = {k: v for k, v in response.items() if k.lower() != "set-cookie"}
    vary = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
    if "accept-encoding" not in {v.lower() for v in vary}:
        headers["Vary"] = ", ".join([*vary, "Accept-Encoding"])
    if settings.COMPRESS_PUBLIC_PAGES and re_accepts_gzip.search(
        request.META.get("HTTP_ACCEPT_ENCODING", "")
    ):
        # Stored compressed: a hit then costs no gzip (compression.PublicPageGZipMiddleware
        # leaves a response that already has a Content-Encoding alone).
        content = compress_string(content)
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(content))
    return Entry(
        generation=generation,
        fresh_until=clock() + settings.PUBLIC_CACHE_SECONDS,
        status=200,
        headers=tuple(headers.items()),
        content=content,
    )


class PublicPageCacheMiddleware:
    """Answers the top and availability pages from the shared cache (see the module).

    Placed right after compression.PublicPageGZipMiddleware and SecurityMiddleware (whose
    headers every answer gets), before everything a public page does not need.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD") or settings.PUBLIC_CACHE_SECONDS <= 0:
            return self.get_response(request)
        variant = variant_of(request)
        if variant is None:
            return self.get_response(request)
        self._give_canonical_query(request, variant.query)
        if request.method == "HEAD":
            return self._render(request)
        try:
            found = cache.get_many([variant.key, GENERATION_KEY])
            generation = current_generation(found.get(GENERATION_KEY))
        except Exception as exc:  # noqa: BLE001 - any cache failure: render uncached
            log.warning("reservations.page_cache.unavailable: %s", type(exc).__name__)
            return self._render(request)
        entry = found.get(variant.key)
        if not isinstance(entry, Entry) or entry.generation != generation:
            entry = None
        if entry is not None and clock() < entry.fresh_until:
            return entry.response()
        lock = f"{variant.key}:lock:{generation}"
        if self._try_lock(lock):
            # Someone may have stored a copy between our read and our lock (and let go).
            fresh = self._fresh(variant.key, generation)
            if fresh is not None:
                self._unlock(lock)
                return fresh.response()
            return self._render_and_store(request, variant, generation, lock)
        if entry is not None:
            return entry.response()  # stale while the lock holder re-renders
        waited = self._wait_for(variant.key, generation)
        return waited.response() if waited is not None else self._render(request)

    @staticmethod
    def _give_canonical_query(request: HttpRequest, query: str) -> None:
        """The view sees only what is in the key: an echo of ?utm_source=… in a stored
        page would be served to everyone else."""
        if request.META.get("QUERY_STRING", "") != query:
            request.META["QUERY_STRING"] = query
            request.GET = QueryDict(query)

    def _render(self, request: HttpRequest) -> HttpResponseBase:
        with _rendering():
            return self.get_response(request)

    @staticmethod
    def _try_lock(lock: str) -> bool:
        try:
            return bool(cache.add(lock, 1, LOCK_SECONDS))
        except Exception as exc:  # noqa: BLE001
            log.warning("reservations.page_cache.unavailable: %s", type(exc).__name__)
            return True  # render (and try to store) rather than wait for nobody

    def _render_and_store(
        self, request: HttpRequest, variant: Variant, generation: int, lock: str
    ) -> HttpResponseBase:
        try:
            response = self._render(request)
            entry = entry_from(request, response, generation)
            if entry is None:
                return response
            try:
                cache.set(variant.key, entry, settings.PUBLIC_CACHE_SECONDS + STALE_SECONDS)
            except Exception as exc:  # noqa: BLE001 - not stored; the page is still answered
                log.warning("reservations.page_cache.unavailable: %s", type(exc).__name__)
            return entry.response()
        finally:
            self._unlock(lock)

    @staticmethod
    def _unlock(lock: str) -> None:
        try:
            cache.delete(lock)
        except Exception:  # noqa: BLE001, S110 - it expires on its own
            pass

    @staticmethod
    def _fresh(key: str, generation: int) -> Entry | None:
        try:
            entry = cache.get(key)
        except Exception:  # noqa: BLE001 - render; storing will fail quietly too
            return None
        if isinstance(entry, Entry) and entry.generation == generation:
            return entry if clock() < entry.fresh_until else None
        return None

    @staticmethod
    def _wait_for(key: str, generation: int) -> Entry | None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(WAIT_STEP)
            try:
                entry = cache.get(key)
            except Exception:  # noqa: BLE001
                return None
            if isinstance(entry, Entry) and entry.generation == generation:
                return entry
        return None

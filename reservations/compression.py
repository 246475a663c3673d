"""gzip for the public pages (top, availability), for sites whose proxy does not compress.

An availability month is about 35 kB of HTML and a third of that gzipped: on a phone
line on opening day that is the difference that shows. Only pages that anyone may cache
(`Cache-Control: public`, no cookie set) are compressed, never the booking steps.

Why not Django's GZipMiddleware on every page: compressing a page that holds a secret
(the CSRF token in every booking form, a look-up proof) next to text an attacker can
choose lets them guess the secret from the compressed size (BREACH). A public page holds
no secret by construction — reservations.views.http.public pages set no cookie and carry
no CSRF token, and the cache in front of them shares one copy with everyone — so there is
nothing to guess, even though ?month= and ?venue= are echoed back. Off with
COMPRESS_PUBLIC_PAGES=false when the reverse proxy compresses anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware


def is_public_page(response: HttpResponseBase) -> bool:
    """An HTML page that any cache may share, and that sets no cookie."""
    directives = {
        part.split("=", 1)[0].strip().lower()
        for part in response.get("Cache-Control", "").split(",")
    }
    return (
        "public" in directives
        and "private" not in directives
        and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
    )


class PublicPageGZipMiddleware(GZipMiddleware):
    """GZipMiddleware for public pages only (see the module)."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not settings.COMPRESS_PUBLIC_PAGES or not is_public_page(response):
            return response
        return super().process_response(request, response)

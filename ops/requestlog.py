"""One log line per request: request id, method, path without query, status, duration.

The request id comes from the proxy's `X-Request-ID` when it is a plain token (nginx sets
`$request_id`, deploy/nginx), else a new one; it is sent back in the response header and
put on every log record written while the request runs (RequestIdFilter), so that a
service's "reservation.created id=…" line can be found beside the request that caused it.

Never personal data: the query string is dropped (look-up forms and admin searches carry
input there), a signed token in the path is replaced by "[token]", and nothing from the
form, cookies or headers other than the request id is logged.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponseBase

log = logging.getLogger("kenshin.request")

_request_id: ContextVar[str] = ContextVar("kenshin_request_id", default="")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# URL parameters whose value is a signed token or a secret: never written to a log.
SECRET_URL_PARAMETERS = ("token",)


def current_request_id() -> str:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Put the running request's id on every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = _request_id.get()
        return True


def loggable_path(request: HttpRequest) -> str:
    """The path without its query, with any token-like URL parameter masked."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in SECRET_URL_PARAMETERS:
            value = match.kwargs.get(name)
            if value:
                path = path.replace(str(value), "[token]")
    return path


class RequestLogMiddleware:
    """Outermost middleware: times the whole stack, including the other middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = str(request.META.get("HTTP_X_REQUEST_ID", ""))
        request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            response["X-Request-ID"] = request_id
            log.info(
                "http.request %s %s %s %sms",
                request.method,
                loggable_path(request),
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": loggable_path(request),
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            return response
        finally:
            _request_id.reset(token)

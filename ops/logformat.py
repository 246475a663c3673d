"""LOG_FORMAT: "plain" lines for a terminal, or "json", one object per line for a collector.

The JSON form is python-json-logger's formatter with fixed field names: timestamp (UTC,
ISO 8601), level, logger, message, request_id, and the request line's method, path,
status and duration_ms. Messages are the same as in the plain form: ids and codes only,
never personal data (tests/ops/test_json_logs.py checks with canary values).
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Only these keys reach a JSON line. Anything else put on a record (Django attaches the
# request object to its "django.request" records, whose repr holds the query string)
# is dropped rather than serialised.
JSON_FIELDS = frozenset(
    {
        "timestamp",
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "exc_info",
        "stack_info",
    }
)


class KenshinJsonFormatter(JsonFormatter):
    """python-json-logger's formatter with an allow-list of fields (JSON_FIELDS)."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in [key for key in log_data if key not in JSON_FIELDS]:
            del log_data[key]


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """A dictConfig for LOGGING; `log_format` is "plain" or "json"."""
    formatters: dict[str, Any] = {
        "plain": {"format": PLAIN_FORMAT},
        "json": {
            "()": "ops.logformat.KenshinJsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,  # UTC, ISO 8601
            "json_ensure_ascii": False,
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "filters": {"request_id": {"()": "ops.requestlog.RequestIdFilter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
            # The request line is ours (ops.requestlog); Django's own 4xx/5xx warnings
            # repeat it with the full path (and query) in the message.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
        },
    }

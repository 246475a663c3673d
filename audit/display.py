"""The audit page in words: what was acted on, and the details as "label: value" lines.

What is stored stays codes and ids (docs/audit.md); this module only reads them aloud for
the administrators' page. An unknown key or code is shown as it is, never hidden, so a
record written by a newer or older version still reads completely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import action_label

# Detail keys written by audit.record() calls across the project.
DETAIL_LABELS: dict[str, Promise] = {
    "via": gettext_lazy("Where"),
    "reason": gettext_lazy("Reason"),
    "by": gettext_lazy("Searched by"),
    "results": gettext_lazy("Results"),
    "reservation_id": gettext_lazy("Reservation ID"),
    "citizen_id": gettext_lazy("Resident ID"),
    "slot_ids": gettext_lazy("Slot IDs"),
    "from_slot_ids": gettext_lazy("From slot IDs"),
    "to_slot_ids": gettext_lazy("To slot IDs"),
    "created": gettext_lazy("Slots created"),
    "skipped": gettext_lazy("Skipped (already existed)"),
    "venue_id": gettext_lazy("Venue ID"),
    "screening_type_ids": gettext_lazy("Screening type IDs"),
    "first_date": gettext_lazy("First date"),
    "last_date": gettext_lazy("Last date"),
    "weekdays": gettext_lazy("Weekdays"),
    "start_times": gettext_lazy("Start times"),
    "duration_minutes": gettext_lazy("Minutes per slot"),
    "capacity": gettext_lazy("Capacity"),
    "opens_at": gettext_lazy("Booking opens"),
    "closes_at": gettext_lazy("Booking closes"),
    "changed": gettext_lazy("Changed"),
    "before": gettext_lazy("Before"),
    "after": gettext_lazy("After"),
    "refused": gettext_lazy("Refused (places were booked meanwhile)"),
    "rows": gettext_lazy("Rows"),
    "filter": gettext_lazy("Filter"),
    "user": gettext_lazy("User"),
    "action": gettext_lazy("Action"),
    "outcome": gettext_lazy("Outcome"),
    "date_from": gettext_lazy("From (date)"),
    "date_to": gettext_lazy("To (date)"),
    "batch": gettext_lazy("Batch ID"),
    "kind": gettext_lazy("Kind"),
    "new": gettext_lazy("New"),
    "cancelled": gettext_lazy("Cancelled"),
    "current": gettext_lazy("Live bookings"),
    "file_sha256": gettext_lazy("File SHA-256"),
    "download": gettext_lazy("Download number"),
    "status_before": gettext_lazy("Status before"),
    "created_at": gettext_lazy("Written at"),
    "reservations": gettext_lazy("Reservations"),
    "citizens": gettext_lazy("Residents' details"),
    "items": gettext_lazy("Booked screenings"),
    "notifications": gettext_lazy("Mails"),
    "history_kept": gettext_lazy("Screening history kept"),
    "screenings_before": gettext_lazy("Screenings before"),
    "first_screening": gettext_lazy("First screening"),
    "last_screening": gettext_lazy("Last screening"),
    "retention_days": gettext_lazy("Retention (days)"),
    "roles": gettext_lazy("Roles"),
    "superuser": gettext_lazy("Superuser"),
    "devices_removed": gettext_lazy("Devices removed"),
    "changed_fields": gettext_lazy("Changed fields"),
    "group_ids_added": gettext_lazy("Groups added (IDs)"),
    "group_ids_removed": gettext_lazy("Groups removed (IDs)"),
    "permissions_added": gettext_lazy("Permissions added"),
    "permissions_removed": gettext_lazy("Permissions removed"),
    "sets_credentials": gettext_lazy("Password set"),
    "stage": gettext_lazy("Step"),
    "username_fingerprint": gettext_lazy("Username fingerprint"),
    "method": gettext_lazy("Method"),
    "throttled": gettext_lazy("Too many tries in a row"),
    "replayed": gettext_lazy("Code already used"),
    "device_id": gettext_lazy("Device ID"),
    "backup_codes": gettext_lazy("Backup codes issued"),
    "codes_left": gettext_lazy("Backup codes left"),
    "enrolment": gettext_lazy("At enrolment"),
    "idle_minutes": gettext_lazy("Minutes without activity"),
    "session_minutes": gettext_lazy("Minutes since login"),
}

# Codes stored as detail values, per key.
VALUE_LABELS: dict[str, dict[str, Promise]] = {
    "via": {
        "phone_desk": gettext_lazy("phone desk"),
        "admin": gettext_lazy("admin"),
        "own_password_change": gettext_lazy("own password change"),
        "createstaff": gettext_lazy("createstaff command"),
    },
    "by": {
        "number": gettext_lazy("reservation number"),
        "furigana": gettext_lazy("furigana and date of birth"),
    },
    "reason": {
        "not_cancellable": gettext_lazy("already cancelled or already past"),
        "file missing": gettext_lazy("the file is missing"),
        "sha256 mismatch": gettext_lazy("the file's SHA-256 does not match"),
    },
    "method": {
        "totp": gettext_lazy("authenticator app"),
        "backup_code": gettext_lazy("backup code"),
    },
    "stage": {
        "password": gettext_lazy("password"),
        "second_factor": gettext_lazy("second factor"),
        "verify": gettext_lazy("second factor"),
        "enrolment": gettext_lazy("phone enrolment"),
    },
    "kind": {
        "delta": gettext_lazy("Changes since the previous batch"),
        "full": gettext_lazy("Snapshot of live bookings"),
    },
    "status_before": {
        "ready": gettext_lazy("Ready"),
        "downloaded": gettext_lazy("Downloaded"),
        "confirmed": gettext_lazy("Import confirmed"),
        "deleted": gettext_lazy("Deleted"),
        "expired": gettext_lazy("Expired"),
    },
    "roles": {
        "health_centre": gettext_lazy("health centre"),
        "administrator": gettext_lazy("administrator"),
    },
    "outcome": {
        "success": gettext_lazy("success"),
        "denied": gettext_lazy("denied"),
        "failed": gettext_lazy("failed"),
    },
}
WEEKDAYS = [
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
]
UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|\+00:00)$")
# Keys whose values (or whose inner keys) are field names of the record's target.
FIELD_NAME_LISTS = {"changed", "changed_fields", "refused"}
FIELD_DICTS = {"before", "after"}


@dataclass
class DetailLine:
    label: str
    value: str = ""
    lines: list[DetailLine] = field(default_factory=list)


def target_model(target_type: str) -> type[models.Model] | None:
    """The model a record's target_type ("reservations.Slot") names, if it still exists."""
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def target_label(target_type: str, target_id: str) -> str:
    """「枠 #42」 rather than "reservations.Slot #42"; unknown types as they are."""
    if not target_type:
        return ""
    model = target_model(target_type)
    name = str(model._meta.verbose_name) if model is not None else target_type
    return f"{name} #{target_id}" if target_id else name


def _field_label(model: type[models.Model] | None, name: str) -> str:
    if model is not None:
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
        if isinstance(model_field, models.Field):
            return str(model_field.verbose_name)
    label = DETAIL_LABELS.get(name)
    return str(label) if label is not None else name


def _value(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_value(key, item) for item in value)
    if key == "weekdays" and isinstance(value, int) and 0 <= value < len(WEEKDAYS):
        return str(WEEKDAYS[value])
    if key == "action" and isinstance(value, str):
        return action_label(value) or value
    code = VALUE_LABELS.get(key, {}).get(str(value))
    if code is not None:
        return str(code)
    if isinstance(value, str) and UTC_TIME.match(value):
        # audit.record() stores datetimes in UTC; staff read Japan time.
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    return str(value)


def readable_details(details: dict[str, Any], target_type: str = "") -> list[DetailLine]:
    """The details as label/value lines, in the order they were written."""
    model = target_model(target_type) if target_type else None
    lines = []
    for key, value in details.items():
        label = _field_label(None, key)
        if key in FIELD_NAME_LISTS and isinstance(value, list):
            names = [_field_label(model, str(name)) for name in value]
            lines.append(DetailLine(label, ", ".join(names) or "—"))
        elif isinstance(value, dict):
            inner_model = model if key in FIELD_DICTS else None
            lines.append(
                DetailLine(
                    label,
                    "" if value else "—",
                    [
                        DetailLine(_field_label(inner_model, str(k)), _value(str(k), v))
                        for k, v in value.items()
                    ],
                )
            )
        else:
            lines.append(DetailLine(label, _value(key, value)))
    return lines

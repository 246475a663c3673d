"""The HMAC chain: how a record is signed and how the whole trail is checked.

mac = HMAC-SHA256(AUDIT_HMAC_KEY, canonical(record)), where canonical() is a JSON object
with sorted keys and no whitespace holding every stored field except the id and the MAC
itself — including `prev_mac`, the MAC of the record before. The first record has an empty
`prev_mac`. So:

- editing any field of a record breaks that record's MAC;
- removing or reordering records breaks the next record's link (`prev_mac`);
- forging a replacement needs the key, which the database never sees.

Removing records from the *end* leaves a shorter chain that still verifies: that is what
`verify_audit_chain --expect-mac` (a MAC noted down earlier, outside the database) is for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from audit.models import AuditEvent

CANONICAL_VERSION = 1
_KEY_ID_LABEL = b"kenshin audit key id"


def current_key() -> str:
    key = settings.AUDIT_HMAC_KEY
    if not key:
        raise ImproperlyConfigured("AUDIT_HMAC_KEY is not set: audit records cannot be signed.")
    return key


def key_id(key: str) -> str:
    """A fingerprint naming the key a record was signed with; reveals nothing about it."""
    return hmac.new(key.encode(), _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def canonical(event: AuditEvent) -> bytes:
    """The exact bytes the MAC covers. Changing this breaks every existing chain."""
    payload = {
        "v": CANONICAL_VERSION,
        "at": event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "outcome": event.outcome,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "details": event.details,
        "key_id": event.key_id,
        "prev_mac": event.prev_mac,
    }
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def compute_mac(event: AuditEvent, key: str) -> str:
    return hmac.new(key.encode(), canonical(event), hashlib.sha256).hexdigest()


@dataclass
class ChainReport:
    """What verify_chain found: either every record checked out, or the first that did not."""

    count: int = 0
    last_mac: str = ""
    broken_id: int | None = None
    broken_action: str = ""
    reason: str = ""
    expected_mac_found: bool | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None and self.expected_mac_found is not False


def verify_chain(
    events: Iterable, *, keys: Mapping[str, str], expect_mac: str | None = None
) -> ChainReport:
    """Walk the records in id order and check every MAC and every link.

    `events` is consumed once (pass a queryset's .iterator() for a large table); `keys`
    maps key ids to keys. Stops at the first broken record.
    """
    report = ChainReport()
    previous_mac, previous_id = "", None
    if expect_mac is not None:
        report.expected_mac_found = False
    for event in events:
        reason = _check(event, keys, previous_mac, previous_id)
        if reason:
            report.broken_id, report.broken_action, report.reason = event.pk, event.action, reason
            return report
        report.count += 1
        previous_mac, previous_id = event.mac, event.pk
        if expect_mac is not None and hmac.compare_digest(event.mac, expect_mac):
            report.expected_mac_found = True
    report.last_mac = previous_mac
    return report


def _check(
    event: AuditEvent, keys: Mapping[str, str], previous_mac: str, previous_id: int | None
) -> str:
    key = keys.get(event.key_id)
    if key is None:
        return (
            f"it was signed with a key that is not configured (key id {event.key_id}); "
            "if the key was rotated, pass the old key with --old-keys-file"
        )
    if not hmac.compare_digest(compute_mac(event, key), event.mac):
        return "its MAC does not match its content: the record was altered after it was written"
    if event.prev_mac != previous_mac:
        if previous_id is None:
            return (
                "the first record does not start the chain (it points at an earlier MAC): "
                "records before it were removed"
            )
        return (
            f"it does not follow record {previous_id}: a record between them was removed, "
            "or records were reordered"
        )
    return ""

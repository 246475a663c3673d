"""Writing audit records: the one call every audited action makes.

    audit.record(action="exports.batch.downloaded", request=request, target=batch,
                 details={"rows": 120})

record() is called explicitly where the action happens (not from a signal), and it raises
if the record cannot be written — callers rely on that to refuse the action (a download is
refused rather than served unrecorded).
"""

import hashlib
import hmac
import json
import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from audit import chain
from audit.context import AuditContext
from audit.models import AuditEvent

OUTCOMES = frozenset(AuditEvent.Outcome.values)
ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
DETAIL_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DETAIL_STRING_MAX = 200
DETAILS_MAX_CHARS = 8000

# Parts of a details key that announce personal data (or secrets). Details carry ids,
# counts and codes; a key like "email" or "birth_date" is a bug, refused loudly.
PERSONAL_KEY_PARTS = frozenset(
    {
        "name",
        "names",
        "furigana",
        "kana",
        "birth",
        "dob",
        "address",
        "phone",
        "tel",
        "email",
        "postal",
        "zip",
        "password",
        "secret",
        "otp",
        "typed",
        "attempted",
    }
)
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# One advisory-lock key for the whole trail: appends are serialised so the chain stays a
# line, never a tree. A fixed 64-bit number derived from a name, so it cannot collide with
# another feature's lock by accident.
CHAIN_LOCK_KEY = int.from_bytes(hashlib.sha256(b"kenshin.audit.chain").digest()[:8], "big") - (
    1 << 63
)


class AuditDetailsError(ValueError):
    """details held something other than ids, counts and codes."""


def record(
    *,
    action: str,
    actor: Any = None,
    request: HttpRequest | None = None,
    context: AuditContext | None = None,
    target: Model | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    target_type: str = "",
    target_id: str | int = "",
) -> AuditEvent:
    """Append one signed record to the audit trail and return it.

    - context: an audit.context.AuditContext built at the edge (actor, address, user
      agent); services take one instead of the request. `request` is the older form of
      the same thing, for edges that record directly.
    - actor: the staff user; defaults to context.actor or request.user when logged in.
      None for actions by nobody logged in (a failed login) or by the system (a nightly
      purge).
    - target: the model instance acted on (saved: it needs its pk — record before
      deleting), or target_type/target_id for something that is not an instance.
    - details: ids, counts and codes only (see _clean_details); never names, birth dates,
      addresses, phones or emails. Refused with AuditDetailsError otherwise.

    Guarantees: the record is signed and linked to the one before it, under a lock that
    serialises appends (pg_advisory_xact_lock on PostgreSQL; SQLite's BEGIN IMMEDIATE);
    inside a caller's transaction it commits or rolls back with it (a savepoint), outside
    one it commits at once. Raises on any failure — nothing is swallowed.
    Call it last in a transaction: the lock is held until that transaction ends.
    """
    if not isinstance(action, str) or len(action) > 100 or not ACTION_RE.match(action):
        raise ValueError(f"audit action must be a dotted lower-case name, got {action!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {sorted(OUTCOMES)}, got {outcome!r}")
    if context is None and request is not None:
        context = AuditContext.from_request(request, actor=actor)
    if actor is None and context is not None:
        actor = context.actor
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if target is not None:
        if not isinstance(target, Model):
            raise TypeError("audit target must be a model instance (or use target_type/_id)")
        if target.pk is None:
            raise ValueError("audit target has no pk: record before deleting, after creating")
        target_type, target_id = target._meta.label, target.pk
    key = chain.current_key()
    event = AuditEvent(
        actor_id=actor.pk if actor is not None else None,
        actor_username=(actor.get_username() if actor is not None else "")[:150],
        action=action,
        target_type=str(target_type)[:100],
        target_id=str(target_id)[:64],
        outcome=outcome,
        ip=context.ip if context is not None else "",
        user_agent=context.user_agent if context is not None else "",
        details=_clean_details(details or {}),
        key_id=chain.key_id(key),
    )
    with transaction.atomic():
        _lock_chain()
        event.prev_mac = (
            AuditEvent.objects.order_by("-id").values_list("mac", flat=True).first() or ""
        )
        # Taken under the lock, so on one clock time never runs backwards along the chain.
        event.at = timezone.now()
        event.mac = chain.compute_mac(event, key)
        event.save(force_insert=True)
        _check_round_trip(event, key)
    return event


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite: settings open every transaction with BEGIN IMMEDIATE, which takes the
    # database's single write lock, so appends are already one at a time.


def _check_round_trip(event: AuditEvent, key: str) -> None:
    """Re-read the row just written and check its MAC, before the transaction commits.

    If the database stored anything differently from what was signed (a normalised
    string, a rounded time), the record would never verify; better to fail now, loudly.
    """
    stored = AuditEvent.objects.get(pk=event.pk)
    if not hmac.compare_digest(chain.compute_mac(stored, key), event.mac):
        raise RuntimeError(f"audit record {event.pk} did not survive the database round trip")


def username_fingerprint(username: str) -> str:
    """A keyed hash of a username typed at a failed login, for details.

    What people type into a login box is sometimes not a username at all (a resident's
    name, a password in the wrong field), so it is never stored as text. The fingerprint
    still shows that fifty failures were against the same name, without revealing it.
    """
    normalised = (username or "").strip().lower()
    digest = hmac.new(
        chain.current_key().encode(), b"login-username\x00" + normalised.encode(), hashlib.sha256
    )
    return digest.hexdigest()[:16]


def _clean_details(details: dict[str, Any]) -> dict[str, Any]:
    """Return details as plain JSON of ids, counts and codes, or raise AuditDetailsError.

    Accepted: dicts with lower_snake_case keys, lists, None, booleans, integers, and short
    printable-ASCII strings; dates, datetimes, Decimals and UUIDs become strings. Refused:
    floats (they do not survive a JSON round trip exactly, and the MAC must), any non-ASCII
    text (names and addresses are Japanese text), anything that looks like an email
    address, and keys that announce personal data ("email", "birth_date", ...).
    """
    if not isinstance(details, dict):
        raise AuditDetailsError("audit details must be a dict")
    cleaned = _clean_value(details, path="details", depth=0)
    if len(json.dumps(cleaned)) > DETAILS_MAX_CHARS:
        raise AuditDetailsError(f"audit details are longer than {DETAILS_MAX_CHARS} characters")
    return cleaned


def _clean_value(value: Any, *, path: str, depth: int) -> Any:
    if depth > 4:
        raise AuditDetailsError(f"{path}: nested too deeply")
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        raise AuditDetailsError(f"{path}: floats are not allowed (use an integer or a string)")
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).isoformat()
    elif isinstance(value, date | time):
        value = value.isoformat()
    elif isinstance(value, Decimal | UUID):
        value = str(value)
    if isinstance(value, str):
        if len(value) > DETAIL_STRING_MAX:
            raise AuditDetailsError(f"{path}: strings are limited to {DETAIL_STRING_MAX} chars")
        if not (value.isascii() and value.isprintable()):
            raise AuditDetailsError(
                f"{path}: only printable ASCII is allowed (ids and codes, never free text)"
            )
        if EMAIL_RE.search(value):
            raise AuditDetailsError(f"{path}: looks like an email address")
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [
            _clean_value(item, path=f"{path}[{i}]", depth=depth + 1) for i, item in enumerate(items)
        ]
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if not isinstance(key, str) or not DETAIL_KEY_RE.match(key):
                raise AuditDetailsError(f"{path}: keys must be lower_snake_case, got {key!r}")
            if PERSONAL_KEY_PARTS.intersection(key.split("_")):
                raise AuditDetailsError(f"{path}.{key}: looks like personal data")
            cleaned[key] = _clean_value(item, path=f"{path}.{key}", depth=depth + 1)
        return cleaned
    raise AuditDetailsError(f"{path}: {type(value).__name__} is not allowed")


def verify_audit_chain(
    *, old_keys: list[str] | tuple[str, ...] = (), expect_mac: str | None = None
) -> chain.ChainReport:
    """Check every record's MAC and link, streaming the table in id order.

    `old_keys` are keys used before a rotation (records name theirs by key_id);
    `expect_mac` is a MAC noted down earlier outside the database, which must still be
    in the chain — the only way to notice records removed from the end.
    """
    keys = {chain.key_id(key): key for key in old_keys if key}
    current = chain.current_key()
    keys[chain.key_id(current)] = current
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    return chain.verify_chain(events, keys=keys, expect_mac=expect_mac)

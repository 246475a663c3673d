"""Signed values that carry the resident's journey without a session.

The multi-step booking carries its state in a signed hidden field (`BookingState`), the
proof of a successful look-up in a signed, expiring manage token, the way back to the
"booking complete" page in a short-lived signed cookie (DONE_COOKIE), and the details
form as typed in a signed draft (for the language switch of a form with errors): a
session row per visitor would melt on opening day, and a signed value cannot be altered
by the browser. Each kind has its own salt, so one can never be passed off as another.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.core import signing

from reservations.eligibility import CitizenDetails

BOOKING_SALT = "reservations.booking.state"
MANAGE_SALT = "reservations.manage"
# The done page's cookie: set by the booking POST only, read by /book/done/ and its print
# page. Nothing secret is in their addresses (access logs keep paths). A new salt, so the
# signed tokens of the old /book/done/<token>/ addresses, which logs hold, are no cookie.
DONE_COOKIE = "kenshin_done"
DONE_SALT = "reservations.done.browser"
# Long enough to find a pen or a printer; short, because a library's shared PC shows the
# page to whoever sits down next. After that the look-up (number + date of birth) shows it.
DONE_MAX_AGE = 60 * 60
DRAFT_SALT = "reservations.booking.draft"
# Longer than WCAG's 20-hour threshold: a resident who is interrupted never finds the
# form has timed out. The booking itself re-checks everything when it is made.
STATE_MAX_AGE = 24 * 60 * 60

# No signed value the browser sends back may be longer than this.
SIGNED_MAX_LENGTH = 20_000

_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_form_token() -> str:
    """A fresh token per rendered details form: a replayed submit finds the first booking."""
    return secrets.token_urlsafe(24)


def is_form_token(value: str) -> bool:
    return bool(value) and bool(_FORM_TOKEN.fullmatch(value))


@dataclass
class BookingState:
    """Everything between the details form and the booking, carried in a signed field."""

    form_token: str
    slot_ids: list[int]
    details: dict[str, str] = field(default_factory=dict)

    def dumps(self) -> str:
        return signing.dumps(asdict(self), salt=BOOKING_SALT, compress=True)

    @classmethod
    def loads(cls, value: str) -> BookingState:
        """Raises signing.BadSignature (tampered or expired) or ValueError (malformed)."""
        if not value or len(value) > SIGNED_MAX_LENGTH:
            raise signing.BadSignature("missing or oversized state")
        data = signing.loads(value, salt=BOOKING_SALT, max_age=STATE_MAX_AGE)
        try:
            state = cls(
                form_token=str(data["form_token"]),
                slot_ids=[int(i) for i in data["slot_ids"]],
                details=dict(data.get("details") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("malformed state") from exc
        if not is_form_token(state.form_token) or not state.slot_ids:
            raise ValueError("malformed state")
        return state

    def citizen_details(self) -> CitizenDetails | None:
        if not self.details:
            return None
        values: dict[str, Any] = dict(self.details)
        values["birth_date"] = date.fromisoformat(values["birth_date"])
        return CitizenDetails(**values)

    def person(self) -> CitizenDetails:
        """The details, which a state that loaded (views' _load_state) always carries."""
        details = self.citizen_details()
        if details is None:
            raise ValueError("no details in this state")
        return details

    @staticmethod
    def pack_details(details: CitizenDetails) -> dict[str, str]:
        values = asdict(details)
        values["birth_date"] = details.birth_date.isoformat()
        return values


@dataclass
class DetailsDraft:
    """The details form as typed (errors and all), for its language switch: the same form,
    re-checked, in the other language. Signed so that it comes back as it was sent."""

    slot_id: int
    form_token: str
    data: dict[str, str]
    previous_state: str = ""

    def dumps(self) -> str:
        return signing.dumps(asdict(self), salt=DRAFT_SALT, compress=True)

    @classmethod
    def loads(cls, value: str) -> DetailsDraft:
        """Raises signing.BadSignature (tampered or expired) or ValueError (malformed)."""
        if not value or len(value) > SIGNED_MAX_LENGTH:
            raise signing.BadSignature("missing or oversized draft")
        data = signing.loads(value, salt=DRAFT_SALT, max_age=STATE_MAX_AGE)
        try:
            draft = cls(
                slot_id=int(data["slot_id"]),
                form_token=str(data["form_token"]),
                data={str(k): str(v) for k, v in dict(data["data"]).items()},
                previous_state=str(data.get("previous_state") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("malformed draft") from exc
        if not is_form_token(draft.form_token):
            raise ValueError("malformed draft")
        return draft


def sign_manage_token(number: str) -> str:
    """Proof that whoever holds it gave the right number and date of birth (POST bodies only).

    It carries the reservation number, which its holder already knows, rather than the
    database id, which would tell how many bookings there are.
    """
    return signing.dumps({"n": number}, salt=MANAGE_SALT)


def read_manage_token(value: str) -> str:
    """The reservation number, or signing.BadSignature when forged or older than STATE_MAX_AGE."""
    return _read_token(value, MANAGE_SALT, "n")


def _read_token(value: str, salt: str, key: str) -> str:
    if not value or len(value) > 500:
        raise signing.BadSignature("missing")
    data = signing.loads(value, salt=salt, max_age=STATE_MAX_AGE)
    if not isinstance(data, dict) or not isinstance(data.get(key), str) or not data[key]:
        raise signing.BadSignature("malformed")
    return data[key]

"""Why a booking, move or cancellation was refused: one exception per kind, each with a code.

Services raise these and write nothing; the edges (pages, phone desk, admin) turn the
`code` into words with reservations.refusals, the one catalogue of refusals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reservations.eligibility import Reason
    from reservations.models import ScreeningType, Slot


class BookingError(Exception):
    """Base class: the booking was not made and nothing was written."""

    code = "booking_error"


class InvalidSelection(BookingError):
    """The chosen slots cannot form one reservation (different day/venue, duplicates)."""

    code = "invalid_selection"


class SameScreeningTwice(InvalidSelection):
    """Two times of one screening: a booking holds each screening once."""

    code = "same_screening_twice"


class NotEligible(BookingError):
    """The rules refuse this person this slot; `reasons` says why, readably."""

    code = "not_eligible"

    def __init__(self, reasons: list[Reason]):
        super().__init__("; ".join(r.code for r in reasons))
        self.reasons = reasons


class SlotFull(BookingError):
    """Someone else took the last place. Carries the nearest free alternatives."""

    code = "slot_full"

    def __init__(self, slot: Slot, alternatives: list[Slot]):
        super().__init__(f"slot {slot.pk} is full")
        self.slot = slot
        self.alternatives = alternatives


class AlreadyBooked(BookingError):
    """The person already has a live booking for the screening in that fiscal year."""

    code = "already_booked"

    def __init__(self, screening_type: ScreeningType | None = None):
        super().__init__("already booked")
        self.screening_type = screening_type


class NotCancellable(BookingError):
    """Already cancelled, or the screening has already taken place."""

    code = "not_cancellable"


class OnlyScreening(BookingError):
    """The screening to drop is the booking's only one: that is cancelling the booking."""

    code = "only_screening"


class FormTokenReused(BookingError):
    """A form token came back with another person's details: it belongs to its first booking."""

    code = "form_token_reused"


class HeldForLottery(NotEligible):
    """The slot belongs to a lottery round whose places are not open first-come yet.

    A NotEligible, so every edge that shows eligibility reasons shows this one too."""

    code = "held_for_lottery"

"""Why a waiting-list step was refused: one exception per kind, each with a code.

Services raise these (or reservations.errors' NotEligible and AlreadyBooked, which mean
the same here as for a booking) and write nothing; waitlist.refusals words the codes.
"""

from __future__ import annotations

from reservations.errors import BookingError


class WaitlistError(BookingError):
    code = "waitlist_error"


class InvalidChoice(WaitlistError):
    """What the resident accepts is empty, of another screening, or spans fiscal years."""

    code = "invalid_choice"


class PlacesFree(WaitlistError):
    """A chosen time still has places: book it instead of waiting."""

    code = "places_free"


class AlreadyWaiting(WaitlistError):
    """The person already has a live entry for this screening in that fiscal year."""

    code = "already_waiting"


class EntryClosed(WaitlistError):
    """The entry has already left the list (booked, left, declined, expired or closed)."""

    code = "entry_closed"


class OfferNotOpen(WaitlistError):
    """The offer was already confirmed, declined or withdrawn, or has expired."""

    code = "offer_not_open"

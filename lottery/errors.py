"""Why a lottery write was refused: one exception per kind, each with a code.

Services raise these and write nothing; the edges turn the code into words with
lottery.refusals. Eligibility refusals reuse reservations.errors (NotEligible,
AlreadyBooked), so applying says exactly what booking would.
"""

from __future__ import annotations


class LotteryError(Exception):
    code = "lottery_error"


class RoundNotOpen(LotteryError):
    """The round is not accepting applications (not open yet, closed, or drawn)."""

    code = "round_not_open"


class InvalidPreferences(LotteryError):
    """The preferences cannot be used: none, more than three, repeated, outside the round,
    or a set application across sessions."""

    code = "invalid_preferences"


class AlreadyApplied(LotteryError):
    """This person already has a live application for one of these screenings in the round."""

    code = "already_applied"


class NotChangeable(LotteryError):
    """Withdrawn already, or the window has closed."""

    code = "not_changeable"


class AlreadyDrawn(LotteryError):
    """A round is drawn once; a second draw is refused."""

    code = "already_drawn"


class DrawTooEarly(LotteryError):
    """The application window has not closed yet."""

    code = "draw_too_early"


class SlotsTaken(LotteryError):
    """Some of the round's slots are held by another round that has not been drawn."""

    code = "slots_taken"

    def __init__(self, slot_ids: list[int]):
        super().__init__(f"slots held by another round: {slot_ids}")
        self.slot_ids = slot_ids

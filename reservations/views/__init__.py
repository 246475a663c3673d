"""The resident's pages, by journey: booking (home, availability, book … done) and
look-up (look up, cancel, move); http holds the plumbing they share."""

from reservations.views.booking import (
    availability,
    book,
    book_choose,
    book_confirm,
    book_done,
    book_edit,
    book_extras,
    home,
)
from reservations.views.lookup import cancel, drop, lookup, manage, move, move_times

__all__ = [
    "availability",
    "book",
    "book_choose",
    "book_confirm",
    "book_done",
    "book_edit",
    "book_extras",
    "cancel",
    "drop",
    "home",
    "lookup",
    "manage",
    "move",
    "move_times",
]

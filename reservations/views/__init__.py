"""The resident's pages, by journey: booking (home, availability, book … done) and
look-up (look up, cancel, move); http holds the plumbing they share."""

from reservations.views.booking import (
    availability,
    book,
    book_choose,
    book_confirm,
    book_done,
    book_done_old_address,
    book_done_print,
    book_edit,
    book_extras,
    book_language,
    home,
)
from reservations.views.group import (
    group_book,
    group_choose,
    group_confirm,
    group_done,
    group_done_print,
    group_edit,
    group_language,
)
from reservations.views.lookup import cancel, drop, lookup, manage, move, move_times

__all__ = [
    "availability",
    "book",
    "book_choose",
    "book_confirm",
    "book_done",
    "book_done_old_address",
    "book_done_print",
    "book_edit",
    "book_extras",
    "book_language",
    "cancel",
    "drop",
    "group_book",
    "group_choose",
    "group_confirm",
    "group_done",
    "group_done_print",
    "group_edit",
    "group_language",
    "home",
    "lookup",
    "manage",
    "move",
    "move_times",
]

"""The one catalogue of refusals: a code → what the resident (or the desk) is told.

Services raise reservations.errors with a `code`; the pages and the phone desk look the
code up here instead of each writing its own words. A page refusal has a title, its
paragraphs, where to go next and an HTTP status; the desk shows one line per refusal.
Paragraphs may name `%(…)s` values that the page supplies (a screening, a date).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Text = str | Promise


@dataclass(frozen=True)
class Refusal:
    """What a page says when it refuses: title, paragraphs, links (url name, label), status.

    `link_args` of the page fill the url names' arguments (the screening code of
    "See other dates"); `reasons` (eligibility messages) follow the fixed paragraphs.
    """

    title: Text
    paragraphs: tuple[Text, ...] = ()
    status: int = 409
    links: tuple[tuple[str, Text], ...] = ()


HOME = "reservations:home"
LOOKUP = "reservations:lookup"
AVAILABILITY = "reservations:availability"

PAGES: dict[str, Refusal] = {
    # The request itself is unusable (tampered state, an id that is not one).
    "bad_request": Refusal(
        _("This page could not be used"),
        (
            _(
                "The information sent from this page was incomplete or has expired. Nothing "
                "was saved."
            ),
        ),
        status=400,
        links=((HOME, _("Start again from the top page")),),
    ),
    "not_open": Refusal(
        _("Booking for this time has not opened yet"),
        (_("Booking for this time opens on %(opens)s."),),
        status=200,
        links=((AVAILABILITY, _("See other dates")),),
    ),
    "closed": Refusal(
        _("Booking for this time has closed"),
        (_("Booking for this time has closed."),),
        status=200,
        links=((AVAILABILITY, _("See other dates")),),
    ),
    "choose_not_eligible": Refusal(
        _("This time cannot be booked"),
        links=((HOME, _("Back to the top page")),),
    ),
    "not_eligible": Refusal(
        _("This booking cannot be made"),
        links=((HOME, _("Back to the top page")),),
    ),
    "already_booked": Refusal(
        _("You already have a booking"),
        (
            _("You already have a booking for %(screening)s in this fiscal year."),
            _("To change its date, look it up with your reservation number."),
        ),
        links=((LOOKUP, _("Check, change or cancel a booking")),),
    ),
    "done_expired": Refusal(
        _("This confirmation page has expired"),
        (
            _(
                "Your booking is not affected. You can see it at any time with your "
                "reservation number and date of birth."
            ),
        ),
        status=404,
        links=((LOOKUP, _("Look up a booking")),),
    ),
    "lookup_blocked": Refusal(
        _("Too many unsuccessful attempts"),
        (
            _(
                "For your security, look-ups are paused for up to %(minutes)s minutes after "
                "several reservation numbers or dates of birth that did not match."
            ),
            _("Please try again later, or phone %(centre)s on %(phone)s and we will help you."),
        ),
        status=429,
    ),
    # The shared counter of wrong guesses is out of reach: without it there is no limit,
    # so no look-up at all until it is back (reservations.ratelimit).
    "lookup_unavailable": Refusal(
        _("Look-ups are not available at the moment"),
        (
            _("Looking up a booking is paused for a few minutes. Nothing was changed."),
            _("Please try again later, or phone %(centre)s on %(phone)s and we will help you."),
        ),
        status=503,
        links=((HOME, _("Back to the top page")),),
    ),
    "manage_token_expired": Refusal(
        _("Please look up your booking again"),
        (
            _(
                "For your security, this page can only be used for 24 hours after you look "
                "up your booking. Nothing was changed."
            ),
        ),
        status=403,
        links=((LOOKUP, _("Look up a booking")),),
    ),
    "cancel_started": Refusal(
        _("This booking can no longer be cancelled"),
        (_("The screening has already taken place."),),
    ),
    "move_cancelled": Refusal(
        _("This booking has been cancelled"),
        (_("A cancelled booking cannot be moved. You can make a new booking instead."),),
        links=((HOME, _("Book a screening")),),
    ),
    "only_screening": Refusal(
        _("This is the only screening in your booking"),
        (
            _(
                "A booking keeps at least one screening. To give this one up, cancel the "
                "booking instead. Nothing was changed."
            ),
        ),
        links=((LOOKUP, _("Check, change or cancel a booking")),),
    ),
    "held_for_lottery": Refusal(
        _("This time is allocated by lottery"),
        links=((HOME, _("Back to the top page")),),
    ),
    "move_not_eligible": Refusal(_("The booking cannot be moved to this day")),
    "move_not_cancellable": Refusal(
        _("This booking can no longer be changed"),
        (_("It has been cancelled or the screening has already taken place."),),
    ),
}

# Eligibility reasons that the details form shows but cannot fix, and where to go instead:
# the same links as the page refusal of the same code.
REASON_LINKS: dict[str, tuple[tuple[str, Text], ...]] = {
    "already_booked": PAGES["already_booked"].links,
}

# The phone desk's one line per refusal, by error code (reservations.errors). Booking and
# moving word two of them differently: the desk is choosing times, not a set.
DESK: dict[str, Text] = {
    "not_eligible": _("This person cannot book this screening: see the messages below."),
    "already_booked": _("This person already has a booking for this screening this year."),
    "slot_full": _("That time has just been filled."),
    "invalid_selection": _("Screenings booked together must be on the same day at the same venue."),
    "same_screening_twice": _("Choose one time for each screening, not two."),
    "not_cancellable": _("This booking is already cancelled or its screening has taken place."),
    "only_screening": _(
        "This is the booking's only screening: cancel the booking instead. Nothing was changed."
    ),
    "drop_invalid_selection": _("This screening is not, or no longer, part of the booking."),
    "move_invalid_selection": _("Choose one new time per screening, all on one day at one venue."),
    "held_for_lottery": _(
        "This time belongs to a lottery round: enter an application for the caller instead."
    ),
    "move_incomplete": _("Choose a new time for every screening in the booking."),
}


# Booking for the family (reservations.group).
PAGES["group_not_eligible"] = Refusal(
    _("Not everyone can be booked"),
    (
        _(
            "Nobody has been booked: a booking for several people is made for all of them "
            "or for none. The reasons, person by person:"
        ),
    ),
    links=((HOME, _("Start again from the top page")),),
)
DESK.update(
    {
        "group_not_eligible": _("Not everyone can be booked: see the messages by each person."),
        "group_same_person_twice": _("The same person is in the list twice."),
        "group_does_not_fit": _(
            "This session has too few places left for everyone. Nobody was booked."
        ),
        "group_too_large": _("Too many people for one booking."),
    }
)


def desk_message(code: str, *, moving: bool = False, dropping: bool = False) -> str:
    """The desk's line for `code`; a move's or a drop's own wording where it has one."""
    if moving and f"move_{code}" in DESK:
        return str(DESK[f"move_{code}"])
    if dropping and f"drop_{code}" in DESK:
        return str(DESK[f"drop_{code}"])
    return str(DESK[code])

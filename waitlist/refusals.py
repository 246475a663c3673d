"""The waiting list's refusals: a code → what the resident is told (title, text, status).

The same shape as reservations.refusals; the waiting-list pages look their codes up here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from reservations.refusals import Refusal

HOME = "reservations:home"
LOOKUP = "waitlist:lookup"

PAGES: dict[str, Refusal] = {
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
    "closed": Refusal(
        _("Booking for this time has closed"),
        (_("The waiting list for this time has closed with its booking."),),
        status=409,
        links=((HOME, _("Back to the top page")),),
    ),
    "places_free": Refusal(
        _("This time still has places"),
        (_("You do not need to wait: you can book this time now."),),
        status=409,
    ),
    "already_waiting": Refusal(
        _("You are already on the waiting list"),
        (
            _("You already have a waiting-list entry for this screening in this fiscal year."),
            _("To see it or to leave the list, look it up with your entry number."),
        ),
        status=409,
        links=((LOOKUP, _("Look up a waiting-list entry")),),
    ),
    "already_booked": Refusal(
        _("You already have a booking"),
        (_("You already have a booking for this screening in this fiscal year."),),
        status=409,
        links=(("reservations:lookup", _("Check, change or cancel a booking")),),
    ),
    "not_eligible": Refusal(
        _("You cannot join this waiting list"),
        status=409,
        links=((HOME, _("Back to the top page")),),
    ),
    "invalid_choice": Refusal(
        _("There is no time to wait for"),
        (
            _(
                "The dates you chose have no screening time still open for booking, or they "
                "span two fiscal years (April to March). Nothing was saved."
            ),
        ),
        status=400,
    ),
    "entry_closed": Refusal(
        _("This entry has already left the waiting list"),
        (_("Nothing was changed. You can join the waiting list again from a full time."),),
        status=409,
        links=((HOME, _("Back to the top page")),),
    ),
    "offer_not_open": Refusal(
        _("This offer is no longer open"),
        (
            _(
                "It has been answered already, or the time to answer has passed and the "
                "place was offered to the next person. Nothing was changed."
            ),
        ),
        status=409,
        links=((LOOKUP, _("Look up a waiting-list entry")),),
    ),
    "slot_full": Refusal(
        _("This time can no longer be booked"),
        (_("The session was called off or its last place has gone. Nothing was booked."),),
        status=409,
        links=((HOME, _("Back to the top page")),),
    ),
    "offer_not_found": Refusal(
        _("This offer could not be found"),
        (_("Check that you opened the whole link from the mail."),),
        status=404,
        links=((LOOKUP, _("Look up a waiting-list entry")),),
    ),
    "token_expired": Refusal(
        _("Please look up your entry again"),
        (
            _(
                "For your security, this page can only be used for a while after you look up "
                "your entry. Nothing was changed."
            ),
        ),
        status=403,
        links=((LOOKUP, _("Look up a waiting-list entry")),),
    ),
}

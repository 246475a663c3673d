"""The lottery's refusals: an error code → what the resident (or the desk) is told."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from reservations.refusals import HOME, Refusal

LOOKUP = "lottery:lookup"

PAGES: dict[str, Refusal] = {
    "round_not_open": Refusal(
        _("Applications are not being accepted"),
        (_("This round is not open for applications now. Nothing was saved."),),
        links=((HOME, _("Back to the top page")),),
    ),
    "already_applied": Refusal(
        _("You have already applied"),
        (
            _("You already have an application for this screening in this round."),
            _("To change your choices, look up your application with its number."),
        ),
        links=((LOOKUP, _("Check, change or withdraw an application")),),
    ),
    "not_changeable": Refusal(
        _("This application can no longer be changed"),
        (_("It has been withdrawn, or applications have closed. Nothing was changed."),),
        links=((LOOKUP, _("Check, change or withdraw an application")),),
    ),
    "not_eligible": Refusal(
        _("This application cannot be made"),
        links=((HOME, _("Back to the top page")),),
    ),
    "already_booked": Refusal(
        _("You already have a booking"),
        (_("You already have a booking for %(screening)s in this fiscal year."),),
        links=(("reservations:lookup", _("Check, change or cancel a booking")),),
    ),
    "manage_token_expired": Refusal(
        _("Please look up your application again"),
        (_("For your security, this page can only be used for 24 hours. Nothing was changed."),),
        status=403,
        links=((LOOKUP, _("Look up an application")),),
    ),
}

DESK: dict[str, object] = {
    "round_not_open": _("This round is not accepting applications now."),
    "already_applied": _(
        "This person already has an application for this screening in this round."
    ),
    "already_booked": _("This person already has a booking for this screening this year."),
    "not_eligible": _("This person cannot apply: see the messages below."),
    "invalid_preferences": _("These choices cannot be used together: check the dates."),
}

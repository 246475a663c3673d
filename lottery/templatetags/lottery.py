"""{% lottery_notice [screening] %}: the rounds that hold slots now or open soon, with their
draw time, for the top and availability pages; and small texts of an application."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from lottery.models import Application, Preference, Round
from reservations.display import date_text, time_text
from reservations.templatetags.resident import translated

register = template.Library()

# A round is announced this long before its window opens.
ANNOUNCE_AHEAD = timedelta(days=30)


@register.inclusion_tag("lottery/notice.html")
def lottery_notice(screening: Any = None) -> dict[str, Any]:
    """One query: rounds announced or holding now (of `screening`, if given)."""
    now = timezone.now()
    rounds = Round.objects.filter(opens_at__lte=now + ANNOUNCE_AHEAD, first_come_at__gt=now)
    if screening is not None:
        rounds = rounds.filter(screening_types=screening)
    return {"rounds": list(rounds.order_by("opens_at")[:5])}


@register.simple_tag
def application_status(application: Application) -> str:
    if not application.is_live:
        return _("Withdrawn")
    if application.result == Application.Result.WON:
        return _("Drawn: you have a booking (choice %(rank)s)") % {"rank": application.won_rank}
    if application.result == Application.Result.LOST:
        return _("Not drawn")
    if application.result == Application.Result.VOID:
        return _("Not drawn: the booking rules no longer allowed it")
    return _("Received, waiting for the draw")


@register.simple_tag
def preference_text(preference: Preference) -> str:
    if preference.kind == Preference.Kind.DAY and preference.venue is not None:
        return _("%(day)s, %(venue)s, any time") % {
            "day": date_text(preference.day),
            "venue": translated(preference.venue, "name"),
        }
    return "; ".join(
        f"{date_text(s.starts_at)} {time_text(s.starts_at)}, {translated(s.venue, 'name')}"
        for s in preference.slots.all()
    )

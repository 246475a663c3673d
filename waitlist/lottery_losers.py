"""Lottery losers who agreed, onto the waiting list in draw order (lottery.waitlist_hook).

Each lost application becomes one waiting-list entry per screening it applied for, that
accepts exactly the times its preferences named (a time, or every time of the round on
the day and at the venue of a "day" preference). Entries are made one after another in
the draw's order, so the line keeps that order; places the draw left free in those times
are offered at once (entry_join). A loser who cannot join (booked meanwhile, already
waiting, no time still to come) is skipped with a log line: the draw itself is done.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from reservations.errors import BookingError
from reservations.models import Slot
from waitlist.models import WaitlistEntry
from waitlist.services import entry_join

if TYPE_CHECKING:
    from lottery.models import Application, Round

log = logging.getLogger(__name__)


def _accepted_slots(application: Application, round_: Round) -> list[Slot]:
    """Every time the application's preferences named, among the round's slots, of the
    screenings it applied for."""
    round_slot_ids = set(round_.round_slots.values_list("slot_id", flat=True))
    wanted: set[int] = set()
    for preference in application.preferences.all():
        if preference.kind == "slot":
            wanted.update(preference.slots.values_list("pk", flat=True))
        elif preference.venue_id is not None and preference.day is not None:
            wanted.update(
                Slot.objects.filter(
                    pk__in=round_slot_ids,
                    venue_id=preference.venue_id,
                    starts_at__date=preference.day,
                ).values_list("pk", flat=True)
            )
    # A day preference names every round time that day: only the screenings applied for.
    screening_ids = application.screenings.values_list("screening_type_id", flat=True)
    return list(
        Slot.objects.filter(
            pk__in=wanted & round_slot_ids, screening_type_id__in=list(screening_ids)
        ).select_related("screening_type", "venue")
    )


def add_lottery_losers(
    *, round_: Round, applications: Iterable[Application], now: datetime | None = None
) -> list[WaitlistEntry]:
    """Entries for `applications` (lost, consenting, in draw order), each in its own
    transaction through entry_join (channel LOTTERY); returns the entries made."""
    from lottery.services import application_details

    now = now or timezone.now()
    made: list[WaitlistEntry] = []
    for application in applications:
        details = application_details(application)
        slots = _accepted_slots(application, round_)
        for screening_id in sorted({s.screening_type_id for s in slots}):
            chosen = [s for s in slots if s.screening_type_id == screening_id]
            try:
                made.append(
                    entry_join(
                        screening_type=chosen[0].screening_type,
                        details=details,
                        slots=chosen,
                        channel=WaitlistEntry.Channel.LOTTERY,
                        language=application.language,
                        voucher_number=application.voucher_number,
                        now=now,
                    )
                )
            except BookingError as error:
                log.info(
                    "waitlist.lottery_loser.skipped application=%s reason=%s",
                    application.pk,
                    type(error).__name__,
                )
    return made

"""The waiting list in admin: a column beside each slot's fill rate.

Residents' entries are shown on the audited staff pages (/staff/waitlist/), not in admin;
the waiting list's mail outbox is (numbers, kinds and outcomes only).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.outbox_admin import OutboxAdmin
from reservations.admin import SlotAdmin
from reservations.models import Slot
from waitlist.models import WaitlistEntry, WaitlistMail
from waitlist.services import _line_for


@admin.display(description=_("waiting list (waiting / offered)"))
def waitlist_counts(slot: Slot) -> str:
    # Everyone waiting who would take this time: named it, or its day in their dates.
    waiting = WaitlistEntry.objects.filter(_line_for(slot)).count()
    # The slot's held places are its open offers (waitlist.services keeps them equal).
    offered = slot.held
    return f"{waiting} / {offered}" if waiting or offered else "-"


if waitlist_counts not in SlotAdmin.list_display:
    # After the fill rate: the admin reads booked / capacity, then who waits for it.
    position = SlotAdmin.list_display.index("fill_rate") + 1
    SlotAdmin.list_display = [
        *SlotAdmin.list_display[:position],
        waitlist_counts,
        *SlotAdmin.list_display[position:],
    ]


@admin.register(WaitlistMail)
class WaitlistMailAdmin(OutboxAdmin):
    """The waiting list's mails: joined, offer, closed."""

    list_display = ["id", "entry", *OutboxAdmin.outbox_fields, "sent_at"]
    list_select_related = ["entry"]

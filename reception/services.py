"""The screening day's writes: marking attendance, and calling a session off.

Each service owns its transaction and its audit record (ids, counts and codes only).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import transaction
from django.db.models import F
from django.utils import timezone

import audit
from reception.models import Attendance
from reception.queries import day_bounds
from reservations.freed_places import places_freed
from reservations.models import Notification, Reservation, ReservationItem, Slot, Venue
from reservations.page_cache import public_pages_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from audit.context import AuditContext

log = logging.getLogger(__name__)


class ReceptionError(Exception):
    """A refused reception action; `code` names it in reception.refusals."""

    code = "reception_refused"


class NotOnThisDay(ReceptionError):
    """Attendance is marked on the screening day only (and undone the same day)."""

    code = "not_screening_day"


class NotLive(ReceptionError):
    """The booking was cancelled: nobody is expected."""

    code = "booking_cancelled"


class NothingToCallOff(ReceptionError):
    """No session of that venue, day (and slot) is left to call off."""

    code = "nothing_to_call_off"


def _touch(reservation_id: int, now: datetime) -> None:
    # The next export batch carries the booking again (変更) with its 出欠 column.
    Reservation.objects.filter(pk=reservation_id).update(changed_at=now)


def attendance_mark(
    *,
    item: ReservationItem,
    status: str,
    user: User | None,
    audit_context: AuditContext,
    now: datetime | None = None,
) -> Attendance:
    """Mark one reserved screening 受付済 (attended) or 欠席 (absent), or change the mark.

    One transaction: the Attendance row is written (one per item: a OneToOne, so two
    desks marking at once leave one row), the reservation's changed_at stamped so the
    next export batch carries it, and "reception.attendance.marked" recorded. Raises
    NotLive for a cancelled booking and NotOnThisDay unless today is the screening day.
    """
    now = now or timezone.now()
    if status not in Attendance.Status.values:
        raise ValueError(f"unknown attendance status {status!r}")
    with transaction.atomic():
        item = (
            ReservationItem.objects.select_for_update()
            .select_related("slot", "reservation")
            .get(pk=item.pk)
        )
        if not item.is_live or not item.reservation.is_live:
            raise NotLive("the booking was cancelled")
        if timezone.localtime(item.slot.starts_at).date() != timezone.localtime(now).date():
            raise NotOnThisDay("attendance is marked on the screening day")
        attendance, _created = Attendance.objects.update_or_create(
            item=item, defaults={"status": status, "marked_by": user, "marked_at": now}
        )
        _touch(item.reservation_id, now)
        audit.record(
            action="reception.attendance.marked",
            context=audit_context,
            target=item.reservation,
            details={"item_id": item.pk, "slot_id": item.slot_id, "status": status},
        )
    return attendance


def attendance_undo(
    *,
    item: ReservationItem,
    audit_context: AuditContext,
    now: datetime | None = None,
) -> bool:
    """Take back a mark made today (a wrong tap at reception). Returns False when there
    was none. One transaction with "reception.attendance.undone"; raises NotOnThisDay
    for a mark made on an earlier day, which then stays."""
    now = now or timezone.now()
    with transaction.atomic():
        attendance = (
            Attendance.objects.select_for_update()
            .select_related("item")
            .filter(item_id=item.pk)
            .first()
        )
        if attendance is None:
            return False
        if timezone.localtime(attendance.marked_at).date() != timezone.localtime(now).date():
            raise NotOnThisDay("a mark can be undone on the day it was made only")
        attendance.delete()
        _touch(item.reservation_id, now)
        audit.record(
            action="reception.attendance.undone",
            context=audit_context,
            target=item.reservation,
            details={"item_id": item.pk, "slot_id": item.slot_id},
        )
    return True


# --- Calling a session off ----------------------------------------------------------------------


def call_off_slots(*, venue: Venue, day: date, slot_id: int | None = None) -> list[Slot]:
    """The sessions a call-off of `venue` on `day` (or of one slot) would stop: those not
    already called off. For the preview and the service alike."""
    start, end = day_bounds(day)
    slots = Slot.objects.filter(
        venue=venue, starts_at__gte=start, starts_at__lt=end, called_off_at__isnull=True
    )
    if slot_id is not None:
        slots = slots.filter(pk=slot_id)
    return list(slots.select_related("screening_type").order_by("starts_at", "pk"))


def bookings_on(slots: list[Slot]) -> list[Reservation]:
    """Live bookings with a screening in `slots` (each once)."""
    return list(
        Reservation.objects.filter(
            status=Reservation.Status.CONFIRMED,
            items__is_live=True,
            items__slot__in=[s.pk for s in slots],
        )
        .distinct()
        .select_related("citizen")
        .order_by("pk")
    )


@dataclass(frozen=True)
class CallOffResult:
    slots: int
    cancelled: int
    mailed: int
    without_email: int


def call_off(
    *,
    venue: Venue,
    day: date,
    slot_id: int | None = None,
    user: User | None,
    audit_context: AuditContext,
    now: datetime | None = None,
) -> CallOffResult:
    """Call off every session of `venue` on `day` (or the one slot `slot_id`).

    One transaction: first the slots' called_off_at is set by one UPDATE, which takes
    their row locks — a booking that took a place before it has committed by the time the
    bookings are read below (READ COMMITTED reads them), and one that comes after finds
    called_off_at set when its conditional UPDATE re-reads the row and is refused
    (reservations.services._take_place). Then every live booking with a screening on them
    is cancelled as a whole (a set booking is one day at one venue) with cancel_reason
    "called_off", its places released, its items no longer live, a called-off mail
    queued for those with an email address, and "reception.session.called_off" recorded
    with the counts. Raises NothingToCallOff when no session is left to call off.
    """
    now = now or timezone.now()
    with transaction.atomic():
        slots = call_off_slots(venue=venue, day=day, slot_id=slot_id)
        if not slots:
            raise NothingToCallOff("nothing left to call off")
        slot_ids = [s.pk for s in slots]
        # Locked in id order, as bookings take their places, so the two cannot deadlock.
        list(Slot.objects.select_for_update().filter(pk__in=slot_ids).order_by("pk"))
        Slot.objects.filter(pk__in=slot_ids).update(called_off_at=now)
        reservations = bookings_on(slots)
        ids = [r.pk for r in reservations]
        Reservation.objects.filter(pk__in=ids, status=Reservation.Status.CONFIRMED).update(
            status=Reservation.Status.CANCELLED,
            cancelled_at=now,
            cancelled_by_kind=Reservation.CancelledBy.STAFF,
            cancelled_by=user,
            cancel_reason=Reservation.CancelReason.CALLED_OFF,
            changed_at=now,
        )
        items = ReservationItem.objects.filter(reservation_id__in=ids, is_live=True)
        released: dict[int, int] = {}
        for held_slot in items.values_list("slot_id", flat=True):
            released[held_slot] = released.get(held_slot, 0) + 1
        items.update(is_live=False)
        # Every place they held comes free: on the called-off slots (which end with none
        # booked) and on a set partner's slot that was not called off.
        for held_slot in sorted(released):
            Slot.objects.filter(pk=held_slot, booked__gte=released[held_slot]).update(
                booked=F("booked") - released[held_slot]
            )
        if apps.is_installed("waitlist"):
            from waitlist.services import offers_withdraw

            # Places held for waiting-list offers on these sessions are gone with them.
            offers_withdraw(slot_ids=slot_ids, now=now)
        # The places a set partner's session (not called off) got back go to its waiting
        # list, as any freed place does; the called-off sessions offer nothing (closed).
        places_freed(slot_ids=sorted(released), now=now)
        mailed = [r for r in reservations if r.citizen.email]
        Notification.objects.bulk_create(
            Notification(reservation=r, kind=Notification.Kind.CALLED_OFF) for r in mailed
        )
        audit.record(
            action="reception.session.called_off",
            context=audit_context,
            target=venue,
            details={
                "venue_id": venue.pk,
                "day": day.isoformat(),
                "slot_ids": slot_ids,
                "cancelled": len(reservations),
                "mailed": len(mailed),
                "on_call_list": len(reservations) - len(mailed),
            },
        )
        public_pages_changed()
    log.info("session.called_off venue=%s slots=%s cancelled=%s", venue.pk, len(slots), len(ids))
    return CallOffResult(
        slots=len(slots),
        cancelled=len(reservations),
        mailed=len(mailed),
        without_email=len(reservations) - len(mailed),
    )

"""The writes that matter: booking, moving and cancelling places.

Every booking is one short transaction: a conditional UPDATE of each slot counter
("booked = booked + 1 WHERE booked < capacity"), then the inserts. No lock is held while a
person is typing, no counter is read into Python and written back, and the database's
constraints (booked <= capacity; one live booking per person, screening and fiscal year)
back up every check made here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

import audit
from citizens.models import Citizen
from reservations.closed_days import closed_reason
from reservations.eligibility import CitizenDetails as CitizenDetails
from reservations.eligibility import Reason, eligibility_reasons
from reservations.errors import AlreadyBooked as AlreadyBooked
from reservations.errors import BookingError as BookingError
from reservations.errors import FormTokenReused as FormTokenReused
from reservations.errors import HeldForLottery as HeldForLottery
from reservations.errors import InvalidSelection as InvalidSelection
from reservations.errors import NotCancellable as NotCancellable
from reservations.errors import NotEligible as NotEligible
from reservations.errors import OnlyScreening as OnlyScreening
from reservations.errors import SameScreeningTwice as SameScreeningTwice
from reservations.errors import SlotFull as SlotFull
from reservations.freed_places import places_freed
from reservations.models import (
    Notification,
    Reservation,
    ReservationGroup,
    ReservationItem,
    ScreeningType,
    Slot,
    Venue,
    new_reservation_number,
)
from reservations.page_cache import public_pages_changed
from reservations.queries import nearest_free_slots

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User

    from audit.context import AuditContext

log = logging.getLogger(__name__)


# --- Booking ------------------------------------------------------------------------------------


def validate_selection(slots: list[Slot]) -> None:
    if not slots:
        raise InvalidSelection("no slot chosen")
    if len({s.screening_type_id for s in slots}) != len(slots):
        raise SameScreeningTwice("the same screening was chosen twice")
    if len({s.venue_id for s in slots}) != 1 or len({s.local_date for s in slots}) != 1:
        raise InvalidSelection("a set booking must be on one day at one venue")


def _take_place(slot: Slot, now: datetime, *, check_window: bool = True) -> None:
    """booked += 1 if a place is free, the window is open and the session has not been
    called off; else SlotFull.

    One conditional UPDATE: the row lock it takes lasts only until the end of the (short)
    booking transaction, and the WHERE clause is re-evaluated after any concurrent writer
    commits, so two bookings can never both take the last place. A lottery draw books
    outside the slot's first-come window (`check_window=False`), never past capacity.
    """
    window = {"opens_at__lte": now, "closes_at__gt": now} if check_window else {}
    taken = Slot.objects.filter(
        pk=slot.pk,
        booked__lt=F("capacity") - F("held"),
        starts_at__gt=now,
        # Re-read after a concurrent call-off commits (reception.services.call_off sets it
        # under the same row lock), so no booking lands on a called-off session.
        called_off_at__isnull=True,
        **window,
    ).update(booked=F("booked") + 1)
    if not taken:
        raise SlotFull(slot, [])


# Eligibility reasons about the first-come window, which a lottery draw does not use.
WINDOW_REASONS = frozenset({"not_open", "closed"})


def refuse_if_held_for_lottery(slots: list[Slot], now: datetime) -> None:
    """HeldForLottery if a lottery round holds any of `slots` now (its window is open or
    its draw has not yet given the places left to first-come booking)."""
    if not apps.is_installed("lottery"):
        return
    from lottery.holds import holding_reason

    reason = holding_reason([s.pk for s in slots], now)
    if reason is not None:
        raise HeldForLottery([reason])


def _release_place(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _queue_notification(reservation: Reservation, kind: str, *, resident: bool = True) -> None:
    """Outbox rows, inside the caller's transaction (see Notification); `resident=False`
    queues only the health centre's copy (a group's members share one mail)."""
    if resident and reservation.citizen.email:
        Notification.objects.create(reservation=reservation, kind=kind)
    if settings.HEALTH_CENTRE_COPY_EMAIL and kind != Notification.Kind.REMINDER:
        Notification.objects.create(
            reservation=reservation, kind=Notification.Kind.HEALTH_CENTRE_COPY, about=kind
        )


@dataclass(frozen=True)
class BookingResult:
    """What reservation_create did: `created` is False when it found the form's first
    booking (a replayed or double-clicked submit) instead of making one."""

    reservation: Reservation
    created: bool


def _booked_with_token(form_token: str | None, details: CitizenDetails) -> BookingResult | None:
    """The reservation this form token already made, if any; FormTokenReused if it was
    made for someone else (a token only comes back to the person it was given to)."""
    if not form_token:
        return None
    existing = Reservation.objects.select_related("citizen").filter(form_token=form_token).first()
    if existing is None:
        return None
    if existing.citizen.person_key != details.person_key:
        raise FormTokenReused("this form token belongs to another booking")
    return BookingResult(existing, created=False)


def _voucher_required_text() -> str:
    return gettext(
        "This screening can only be booked with the screening ticket (受診券) the city sent: "
        "start again from the screening's page."
    )


def reservation_create(
    *,
    slots: list[Slot],
    details: CitizenDetails,
    form_token: str | None = None,
    channel: str = Reservation.Channel.WEB,
    booked_by: User | None = None,
    language: str = "ja",
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
    voucher_number: str = "",
    fee_class: str = "",
) -> BookingResult:
    """Book all of `slots` for one person, or none of them.

    A screening in 受診券 mode (ScreeningType.voucher_required) is booked only with the
    `voucher_number` (and `fee_class`) that the edge has checked against the city's list
    (vouchers.services.voucher_check); without one it is NotEligible (voucher_required).

    Guarantees: one transaction takes every place (conditional UPDATEs, in slot-id order so
    that concurrent set bookings cannot deadlock), stores the citizen, the reservation, its
    items, the confirmation mail in the outbox and (given `audit_context`) the audit record,
    and commits them together. A repeated call with the same `form_token` and person
    returns the first reservation (`created=False`); with another person it raises
    FormTokenReused. Raises InvalidSelection, NotEligible (with readable reasons),
    AlreadyBooked or SlotFull (with alternatives); when it raises, nothing was written.
    """
    now = now or timezone.now()
    slots = sorted(slots, key=lambda s: s.pk)
    validate_selection(slots)

    if found := _booked_with_token(form_token, details):
        return found

    if not voucher_number and any(s.screening_type.voucher_required for s in slots):
        raise NotEligible([Reason("voucher_required", _voucher_required_text())])

    by_lottery = channel == Reservation.Channel.LOTTERY
    # A lottery round's slots take only its winners and then, until first-come opens, the
    # losers it passed to the waiting list (their offers hold the place).
    if channel not in (Reservation.Channel.LOTTERY, Reservation.Channel.WAITLIST):
        refuse_if_held_for_lottery(slots, now)
    for slot in slots:
        reasons = eligibility_reasons(slot=slot, person=details, now=now, check_places=False)
        if by_lottery:
            reasons = [r for r in reasons if r.code not in WINDOW_REASONS]
        if any(r.code == "already_booked" for r in reasons):
            # A double-clicked submit whose twin has just committed: give back the twin.
            if found := _booked_with_token(form_token, details):
                return found
            raise AlreadyBooked(slot.screening_type)
        if reasons:
            raise NotEligible(reasons)

    try:
        with transaction.atomic():
            for slot in slots:
                try:
                    _take_place(slot, now, check_window=not by_lottery)
                except SlotFull:
                    raise SlotFull(slot, []) from None
            reservation = store_reservation(
                slots=slots,
                details=details,
                channel=channel,
                booked_by=booked_by,
                language=language,
                form_token=form_token or None,
                now=now,
                voucher_number=voucher_number,
                fee_class=fee_class,
            )
            _queue_notification(reservation, Notification.Kind.CONFIRMATION)
            actions: dict[str, str] = {
                Reservation.Channel.PHONE: "reservations.reservation.booked_by_phone",
                Reservation.Channel.LOTTERY: "reservations.reservation.booked_by_lottery",
            }
            action = actions.get(channel, "reservations.reservation.booked")
            _audit(audit_context, action, reservation, {"slot_ids": [s.pk for s in slots]})
    except SlotFull as full:
        raise SlotFull(full.slot, nearest_free_slots(full.slot, now=now)) from None
    except IntegrityError:
        # Lost a race against our own twin: the same form submitted twice, or the same
        # person booking the same screening in two tabs. The database refused the second.
        if found := _booked_with_token(form_token, details):
            return found
        if ReservationItem.objects.filter(
            person_key=details.person_key,
            screening_type_id__in=[s.screening_type_id for s in slots],
            fiscal_year__in=[s.fiscal_year for s in slots],
            is_live=True,
        ).exists():
            raise AlreadyBooked() from None
        raise
    log.info("reservation.created id=%s slots=%s channel=%s", reservation.pk, len(slots), channel)
    return BookingResult(reservation, created=True)


def store_reservation(
    *,
    slots: list[Slot],
    details: CitizenDetails,
    channel: str,
    booked_by: User | None,
    language: str,
    now: datetime,
    form_token: str | None = None,
    group: ReservationGroup | None = None,
    group_position: int | None = None,
    voucher_number: str = "",
    fee_class: str = "",
) -> Reservation:
    """The rows of one person's booking: citizen, reservation (with a fresh number) and
    items. Inside the caller's transaction, after the caller has taken the places; it
    takes none itself and queues no mail (reservation_create and reservation_create_group
    each say what is sent)."""
    citizen = Citizen.objects.create(
        name=details.name,
        furigana=details.furigana,
        birth_date=details.birth_date,
        sex=details.sex,
        postal_code=details.postal_code,
        address=details.address,
        phone=details.phone,
        email=details.email,
    )
    reservation = Reservation.objects.create(
        number=_unused_reservation_number(),
        citizen=citizen,
        channel=channel,
        booked_by=booked_by,
        language=language,
        form_token=form_token,
        created_at=now,
        changed_at=now,
        group=group,
        group_position=group_position,
        voucher_number=voucher_number,
        fee_class=fee_class,
    )
    ReservationItem.objects.bulk_create(
        ReservationItem(
            reservation=reservation,
            slot=slot,
            screening_type_id=slot.screening_type_id,
            fiscal_year=slot.fiscal_year,
            person_key=details.person_key,
        )
        for slot in slots
    )
    return reservation


class AuditWriteFailed(RuntimeError):
    """The audit record of a staff change could not be written: the change is refused."""


def _audit(
    context: AuditContext | None,
    action: str,
    reservation: Reservation,
    details: dict[str, object] | None,
) -> None:
    """The audit record of a change, last in its transaction; none without a context (a
    resident's own booking or change is not a staff action)."""
    if context is None:
        return
    try:
        audit.record(action=action, context=context, target=reservation, details=details)
    except IntegrityError as error:
        # The callers read an IntegrityError as "the person is already booked"; a record
        # that cannot be written must refuse the change as what it is.
        raise AuditWriteFailed(f"audit record {action} could not be written") from error


def _unused_reservation_number() -> str:
    # 10^12 numbers: a clash is vanishingly rare, but cheap to rule out.
    while True:
        number = new_reservation_number()
        if not Reservation.objects.filter(number=number).exists():
            return number


# --- Cancelling and moving ------------------------------------------------------------------------


def reservation_cancel(
    *,
    reservation: Reservation,
    by: str = Reservation.CancelledBy.RESIDENT,
    user: User | None = None,
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
    audit_details: dict[str, object] | None = None,
) -> Reservation:
    """Cancel a live reservation and free its places, atomically.

    The status change is a conditional UPDATE (only a confirmed reservation becomes
    cancelled), so two cancellations racing free each place once. Given `audit_context`,
    the "reservations.reservation.cancelled" record (with `audit_details`, ids and codes
    only) commits in the same transaction. Raises NotCancellable if it was already
    cancelled or a screening in it has already started; then nothing was written.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The conditional UPDATE comes first: it locks the reservation's row, so a move
        # of the same booking has either committed or not begun when its places are read
        # below. Read before it, they could be the places a move has just given up.
        changed = Reservation.objects.filter(
            pk=reservation.pk, status=Reservation.Status.CONFIRMED
        ).update(
            status=Reservation.Status.CANCELLED,
            cancelled_at=now,
            cancelled_by_kind=by,
            cancelled_by=user,
            changed_at=now,
        )
        if not changed:
            raise NotCancellable("already cancelled")
        items = list(reservation.items.filter(is_live=True).select_related("slot"))
        if any(item.slot.starts_at <= now for item in items):
            raise NotCancellable("the screening has already taken place")  # rolls back
        for item in sorted(items, key=lambda i: i.slot_id):
            _release_place(item.slot_id)
        reservation.items.filter(is_live=True).update(is_live=False)
        reservation.refresh_from_db()
        _queue_notification(reservation, Notification.Kind.CANCELLATION)
        places_freed(slot_ids=[item.slot_id for item in items], now=now)
        _audit(audit_context, "reservations.reservation.cancelled", reservation, audit_details)
    log.info("reservation.cancelled id=%s by=%s", reservation.pk, by)
    return reservation


def reservation_drop_screening(
    *,
    reservation: Reservation,
    screening_type_id: int,
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
    audit_details: dict[str, object] | None = None,
) -> Reservation:
    """Take one screening out of a live set booking (セット検診) and free its place; the
    others keep their times.

    One transaction: the reservation's row is locked first (as a move or a cancel locks
    it), then its place is released, its item deleted (the booking is as if it had been
    made without it: the next export batch carries the booking as 変更 with the
    screenings it still has, and the person may book that screening again), changed_at
    stamped, the change mail queued and, given `audit_context`, the
    "reservations.reservation.screening_dropped" record written. Raises NotCancellable
    (already cancelled, or any of its screenings has started), InvalidSelection (the screening is
    not in the booking) or OnlyScreening (it is the last one: cancel the booking
    instead); then nothing was written.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not (
            Reservation.objects.select_for_update()
            .filter(pk=reservation.pk, status=Reservation.Status.CONFIRMED)
            .exists()
        ):
            raise NotCancellable("already cancelled")
        items = list(reservation.items.filter(is_live=True).select_related("slot"))
        dropped = next((i for i in items if i.screening_type_id == screening_type_id), None)
        if dropped is None:
            raise InvalidSelection("the screening is not in this booking")
        if len(items) == 1:
            raise OnlyScreening("the last screening of a booking is dropped by cancelling it")
        # As for a cancel or a move: once the day's first screening has begun the booking
        # is the venue's business (the resident is told to phone).
        if any(item.slot.starts_at <= now for item in items):
            raise NotCancellable("the booking's screenings have begun")
        _release_place(dropped.slot_id)
        dropped.delete()
        Reservation.objects.filter(pk=reservation.pk).update(changed_at=now)
        reservation.refresh_from_db()
        _queue_notification(reservation, Notification.Kind.CHANGE)
        places_freed(slot_ids=[dropped.slot_id], now=now)
        _audit(
            audit_context,
            "reservations.reservation.screening_dropped",
            reservation,
            {
                **(audit_details or {}),
                "slot_id": dropped.slot_id,
                "screening_type_id": screening_type_id,
                "kept_slot_ids": sorted(i.slot_id for i in items if i is not dropped),
            },
        )
    log.info("reservation.screening_dropped id=%s slot=%s", reservation.pk, dropped.slot_id)
    return reservation


def reservation_move(
    *,
    reservation: Reservation,
    new_slots: list[Slot],
    user: User | None = None,
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
) -> Reservation:
    """Move a live reservation to other slots of the same screenings, all or nothing.

    One transaction takes the new places and releases the old ones: if any new place is
    gone, SlotFull is raised and the resident keeps the booking they had. The
    reservation's row is locked before its places are read, so a second move or a cancel
    of the same booking (a double click, another tab) waits and then sees this one's
    result. Counters change in slot-id order, as bookings and cancellations take them, so
    crossing moves cannot deadlock. `new_slots` must cover exactly the reservation's
    screenings, on one day at one venue. Given `audit_context`, the
    "reservations.reservation.moved" record (old and new slot ids) commits with the move.
    """
    now = now or timezone.now()
    new_slots = sorted(new_slots, key=lambda s: s.pk)
    validate_selection(new_slots)
    if not reservation.is_live:
        raise NotCancellable("already cancelled")
    # Early, friendly refusal; checked again below once the reservation's row is locked.
    held = set(reservation.items.filter(is_live=True).values_list("screening_type_id", flat=True))
    if held != {s.screening_type_id for s in new_slots}:
        raise InvalidSelection("a move must keep the same screenings")

    current = set(reservation.items.filter(is_live=True).values_list("slot_id", flat=True))
    refuse_if_held_for_lottery([s for s in new_slots if s.pk not in current], now)
    for slot in new_slots:
        reasons = eligibility_reasons(
            slot=slot,
            person=reservation.citizen,
            now=now,
            check_places=False,
            ignore_reservation=reservation,
        )
        if reasons:
            raise NotEligible(reasons)

    try:
        with transaction.atomic():
            if not (
                Reservation.objects.select_for_update()
                .filter(pk=reservation.pk, status=Reservation.Status.CONFIRMED)
                .exists()
            ):
                raise NotCancellable("already cancelled")
            items = {
                item.screening_type_id: item
                for item in reservation.items.filter(is_live=True).select_related("slot")
            }
            if set(items) != {s.screening_type_id for s in new_slots}:
                raise InvalidSelection("a move must keep the same screenings")
            if any(item.slot.starts_at <= now for item in items.values()):
                raise NotCancellable("the screening has already taken place")
            moves = [
                (items[s.screening_type_id], s)
                for s in new_slots
                if items[s.screening_type_id].slot_id != s.pk
            ]
            audit_details: dict[str, object] = {
                "from_slot_ids": sorted(item.slot_id for item in items.values()),
                "to_slot_ids": [s.pk for s in new_slots],
            }
            if not moves:
                _audit(audit_context, "reservations.reservation.moved", reservation, audit_details)
                return reservation
            changes: list[tuple[int, Slot | None]] = [(slot.pk, slot) for _item, slot in moves]
            changes += [(item.slot_id, None) for item, _slot in moves]
            for slot_id, taken in sorted(changes, key=lambda change: change[0]):
                if taken is not None:
                    _take_place(taken, now)
                else:
                    _release_place(slot_id)
            for item, slot in moves:
                item.slot = slot
                item.fiscal_year = slot.fiscal_year
                item.save(update_fields=["slot", "fiscal_year"])
            Reservation.objects.filter(pk=reservation.pk).update(changed_at=now)
            reservation.refresh_from_db()
            _queue_notification(reservation, Notification.Kind.CHANGE)
            places_freed(slot_ids=[pk for pk, taken in changes if taken is None], now=now)
            _audit(audit_context, "reservations.reservation.moved", reservation, audit_details)
    except SlotFull as full:
        raise SlotFull(full.slot, nearest_free_slots(full.slot, now=now)) from None
    except IntegrityError:
        raise AlreadyBooked() from None
    log.info("reservation.moved id=%s items=%s", reservation.pk, len(moves))
    return reservation


def slot_set_capacity(*, slot: Slot, capacity: int, now: datetime | None = None) -> bool:
    """Change a slot's capacity unless that would put it below what is already booked
    or held for waiting-list offers.

    A conditional UPDATE, so a booking that lands between the admin's form check and the
    save cannot make the slot overbooked. A raised capacity is offered to the waiting list
    (places_freed) in the same transaction. Returns False when refused.
    """
    now = now or timezone.now()
    with transaction.atomic():
        before = (
            Slot.objects.select_for_update()
            .filter(pk=slot.pk)
            .values_list("capacity", flat=True)
            .first()
        )
        changed = bool(
            Slot.objects.filter(pk=slot.pk, booked__lte=capacity - F("held")).update(
                capacity=capacity
            )
        )
        if changed and before is not None and capacity > before:
            places_freed(slot_ids=[slot.pk], now=now)
    if changed:
        public_pages_changed()
    return changed


def slots_bulk_create(
    *,
    venue: Venue,
    screening_types: Iterable[ScreeningType],
    first_date: date,
    last_date: date,
    weekdays: list[int],
    start_times: list[time],
    duration_minutes: int,
    capacity: int,
    opens_at: datetime,
    closes_at: datetime,
    include_closed_days: bool = False,
) -> tuple[int, int]:
    """Create one slot per (day in range on a chosen weekday) × start time × screening.

    Japanese public holidays and 年末年始 (reservations.closed_days) are left out unless
    `include_closed_days`. Slots that already exist (same venue, screening and start) are
    left untouched, so the same pattern can be submitted twice safely. Returns (created,
    skipped).
    """
    screening_types = list(screening_types)
    tz = timezone.get_current_timezone()
    wanted = []
    day = first_date
    while day <= last_date:
        if day.weekday() in weekdays and (include_closed_days or not closed_reason(day)):
            for start in start_times:
                starts_at = datetime.combine(day, start, tzinfo=tz)
                for screening in screening_types:
                    wanted.append(
                        Slot(
                            venue=venue,
                            screening_type=screening,
                            starts_at=starts_at,
                            ends_at=starts_at + timedelta(minutes=duration_minutes),
                            capacity=capacity,
                            opens_at=opens_at,
                            closes_at=closes_at,
                        )
                    )
        day += timedelta(days=1)
    with transaction.atomic():
        existing = set(
            Slot.objects.filter(
                venue=venue,
                screening_type__in=screening_types,
                starts_at__in={s.starts_at for s in wanted},
            ).values_list("screening_type_id", "starts_at")
        )
        new = [s for s in wanted if (s.screening_type.pk, s.starts_at) not in existing]
        Slot.objects.bulk_create(new, batch_size=500)
        public_pages_changed()
    return len(new), len(wanted) - len(new)


def slot_times_changed(*, slot: Slot, now: datetime | None = None) -> int:
    """Tell everyone booked into `slot` that its time has changed.

    Bumps each live reservation's `changed_at` (so the next export batch carries it as
    変更) and queues a change mail, inside the caller's transaction. Returns how many
    reservations were told.
    """
    now = now or timezone.now()
    reservations = list(
        Reservation.objects.filter(
            items__slot=slot, items__is_live=True, status=Reservation.Status.CONFIRMED
        )
        .select_related("citizen")
        .distinct()
    )
    Reservation.objects.filter(pk__in=[r.pk for r in reservations]).update(changed_at=now)
    for reservation in reservations:
        _queue_notification(reservation, Notification.Kind.CHANGE)
    log.info("slot.times_changed slot=%s reservations=%s", slot.pk, len(reservations))
    public_pages_changed()
    return len(reservations)

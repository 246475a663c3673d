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
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from citizens.models import Citizen, person_hash
from citizens.models import person_key as make_person_key
from reservations.language import is_english as is_english  # re-exported until callers move
from reservations.language import screening_name
from reservations.models import (
    Notification,
    Reservation,
    ReservationItem,
    ScreeningHistory,
    ScreeningType,
    Slot,
    fiscal_year_end,
    fiscal_year_end_age,
    fiscal_year_of,
    new_reservation_number,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CitizenDetails:
    """What a resident gives us, already normalised by the form."""

    name: str
    furigana: str
    birth_date: date
    sex: str
    postal_code: str
    address: str
    phone: str
    email: str = ""

    @property
    def person_key(self) -> str:
        return make_person_key(self.furigana, self.birth_date)


@dataclass(frozen=True)
class Reason:
    """Why someone cannot book a slot, in words a resident can read."""

    code: str
    message: str


class BookingError(Exception):
    """Base class: the booking was not made and nothing was written."""


class InvalidSelection(BookingError):
    """The chosen slots cannot form one reservation (different day/venue, duplicates)."""


class NotEligible(BookingError):
    def __init__(self, reasons: list[Reason]):
        super().__init__("; ".join(r.code for r in reasons))
        self.reasons = reasons


class SlotFull(BookingError):
    """Someone else took the last place. Carries the nearest free alternatives."""

    def __init__(self, slot: Slot, alternatives: list[Slot]):
        super().__init__(f"slot {slot.pk} is full")
        self.slot = slot
        self.alternatives = alternatives


class AlreadyBooked(BookingError):
    def __init__(self, screening_type: ScreeningType | None = None):
        super().__init__("already booked")
        self.screening_type = screening_type


class NotCancellable(BookingError):
    """Already cancelled, or the screening has already taken place."""


# --- Eligibility -------------------------------------------------------------------------------


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _fy_end_text(screening_date: date) -> str:
    return date_format(fiscal_year_end(fiscal_year_of(screening_date)), "DATE_FORMAT")


def eligibility_reasons(
    *,
    slot: Slot,
    birth_date: date,
    sex: str,
    person_key: str,
    now: datetime | None = None,
    ignore_reservation: Reservation | None = None,
    check_places: bool = True,
) -> list[Reason]:
    """Every reason this person cannot book this slot; an empty list means they can.

    Age is 年度末年齢 (age on 31 March of the slot's fiscal year). The interval rule looks
    at live bookings in the last `interval_years` fiscal years; cancelled ones don't count.
    `ignore_reservation` is the booking being moved, which must not block itself.
    """
    now = now or timezone.now()
    screening = slot.screening_type
    reasons: list[Reason] = []

    if not screening.is_active:
        # Withdrawn by an administrator: a confirm page opened before must not book it.
        reasons.append(
            Reason(
                "not_offered",
                _("%(screening)s is not offered at the moment.")
                % {"screening": screening_name(screening)},
            )
        )
    state = slot.window_state(now)
    if state == "not_open":
        opens = date_format(timezone.localtime(slot.opens_at), "DATETIME_FORMAT")
        reasons.append(
            Reason("not_open", _("Booking for this time opens on %(opens)s.") % {"opens": opens})
        )
    elif state == "closed":
        reasons.append(Reason("closed", _("Booking for this time has closed.")))

    screening_date = slot.local_date
    age = fiscal_year_end_age(birth_date, screening_date)
    params = {
        "date": _fy_end_text(screening_date),
        "age": age,
        "screening": screening_name(screening),
        "min": screening.min_age,
        "max": screening.max_age,
    }
    if age < screening.min_age:
        reasons.append(
            Reason(
                "too_young",
                _(
                    "On %(date)s you will be %(age)s: %(screening)s is for people aged "
                    "%(min)s or over on that day."
                )
                % params,
            )
        )
    if screening.max_age is not None and age > screening.max_age:
        reasons.append(
            Reason(
                "too_old",
                _(
                    "On %(date)s you will be %(age)s: %(screening)s is for people aged "
                    "%(max)s or under on that day."
                )
                % params,
            )
        )
    if screening.sex and screening.sex != sex:
        reasons.append(
            Reason(
                "wrong_sex",
                _("%(screening)s is for women only.") % params
                if screening.sex == "F"
                else _("%(screening)s is for men only.") % params,
            )
        )

    fiscal_year = fiscal_year_of(screening_date)
    # Both directions: when next fiscal year's slots open before this one's close, a
    # booking for April must also keep out one for March (and the other way round).
    nearby = ReservationItem.objects.filter(
        person_key=person_key,
        screening_type=screening,
        is_live=True,
        fiscal_year__gt=fiscal_year - screening.interval_years,
        fiscal_year__lt=fiscal_year + screening.interval_years,
    )
    if ignore_reservation is not None:
        nearby = nearby.exclude(reservation=ignore_reservation)
    # One query, so a booking committed in between cannot make the answer inconsistent.
    booked_years = set(nearby.values_list("fiscal_year", flat=True))
    # Screenings whose bookings were already purged (retention) still count.
    booked_years |= set(
        ScreeningHistory.objects.filter(
            person_hash=person_hash(person_key),
            screening_type=screening,
            fiscal_year__gt=fiscal_year - screening.interval_years,
            fiscal_year__lt=fiscal_year + screening.interval_years,
        ).values_list("fiscal_year", flat=True)
    )
    if fiscal_year in booked_years:
        reasons.append(
            Reason(
                "already_booked",
                _("You already have a booking for %(screening)s in this fiscal year.") % params,
            )
        )
    elif booked_years:
        other = min(booked_years, key=lambda year: (abs(year - fiscal_year), year))
        reasons.append(
            Reason(
                "interval",
                _(
                    "%(screening)s is once every %(years)s fiscal years, and you already "
                    "have a booking for it in the fiscal year from %(start)s to %(end)s."
                )
                % {
                    **params,
                    "years": screening.interval_years,
                    "start": date_format(date(other, 4, 1), "DATE_FORMAT"),
                    "end": date_format(fiscal_year_end(other), "DATE_FORMAT"),
                },
            )
        )

    if check_places and slot.remaining <= 0:
        reasons.append(Reason("full", _("This time is fully booked.")))
    return reasons


# --- Alternatives for the loser of a race -------------------------------------------------------


def nearest_free_slots(slot: Slot, *, limit: int = 5, now: datetime | None = None) -> list[Slot]:
    """Bookable slots of the same screening, nearest in time to `slot` (later ones first)."""
    bookable = (
        Slot.objects.bookable(now)
        .filter(screening_type_id=slot.screening_type_id)
        .exclude(pk=slot.pk)
        .select_related("venue", "screening_type")
    )
    later = list(bookable.filter(starts_at__gte=slot.starts_at).order_by("starts_at")[:limit])
    if len(later) < limit:
        earlier = bookable.filter(starts_at__lt=slot.starts_at).order_by("-starts_at")
        later += list(earlier[: limit - len(later)])
    return later


# --- Booking ------------------------------------------------------------------------------------


def validate_selection(slots: list[Slot]) -> None:
    if not slots:
        raise InvalidSelection("no slot chosen")
    if len({s.screening_type_id for s in slots}) != len(slots):
        raise InvalidSelection("the same screening was chosen twice")
    if len({s.venue_id for s in slots}) != 1 or len({s.local_date for s in slots}) != 1:
        raise InvalidSelection("a set booking must be on one day at one venue")


def _take_place(slot: Slot, now: datetime) -> None:
    """booked += 1 if a place is free and the window is open; else SlotFull.

    One conditional UPDATE: the row lock it takes lasts only until the end of the (short)
    booking transaction, and the WHERE clause is re-evaluated after any concurrent writer
    commits, so two bookings can never both take the last place.
    """
    taken = Slot.objects.filter(
        pk=slot.pk,
        booked__lt=F("capacity"),
        opens_at__lte=now,
        closes_at__gt=now,
        starts_at__gt=now,
    ).update(booked=F("booked") + 1)
    if not taken:
        raise SlotFull(slot, [])


def _release_place(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _queue_notification(reservation: Reservation, kind: str) -> None:
    """Outbox rows, inside the caller's transaction (see Notification)."""
    if reservation.citizen.email:
        Notification.objects.create(reservation=reservation, kind=kind)
    if settings.HEALTH_CENTRE_COPY_EMAIL and kind != Notification.Kind.REMINDER:
        Notification.objects.create(
            reservation=reservation, kind=Notification.Kind.HEALTH_CENTRE_COPY, about=kind
        )


def reservation_create(
    *,
    slots: list[Slot],
    details: CitizenDetails,
    form_token: str | None = None,
    channel: str = Reservation.Channel.WEB,
    booked_by=None,
    language: str = "ja",
    now: datetime | None = None,
) -> Reservation:
    """Book all of `slots` for one person, or none of them.

    Guarantees: one transaction takes every place (conditional UPDATEs, in slot-id order so
    that concurrent set bookings cannot deadlock), stores the citizen, the reservation, its
    items and the confirmation mail in the outbox, and commits them together. A repeated
    call with the same `form_token` returns the first reservation. Raises InvalidSelection,
    NotEligible (with readable reasons), AlreadyBooked or SlotFull (with alternatives);
    when it raises, nothing was written.
    """
    now = now or timezone.now()
    slots = sorted(slots, key=lambda s: s.pk)
    validate_selection(slots)

    if form_token:
        existing = Reservation.objects.filter(form_token=form_token).first()
        if existing is not None:
            return existing

    for slot in slots:
        reasons = eligibility_reasons(
            slot=slot,
            birth_date=details.birth_date,
            sex=details.sex,
            person_key=details.person_key,
            now=now,
            check_places=False,
        )
        if any(r.code == "already_booked" for r in reasons):
            # A double-clicked submit whose twin has just committed: give back the twin.
            existing = form_token and Reservation.objects.filter(form_token=form_token).first()
            if existing:
                return existing
            raise AlreadyBooked(slot.screening_type)
        if reasons:
            raise NotEligible(reasons)

    try:
        with transaction.atomic():
            for slot in slots:
                try:
                    _take_place(slot, now)
                except SlotFull:
                    raise SlotFull(slot, []) from None
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
                form_token=form_token or None,
                created_at=now,
                changed_at=now,
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
            _queue_notification(reservation, Notification.Kind.CONFIRMATION)
    except SlotFull as full:
        raise SlotFull(full.slot, nearest_free_slots(full.slot, now=now)) from None
    except IntegrityError:
        # Lost a race against our own twin: the same form submitted twice, or the same
        # person booking the same screening in two tabs. The database refused the second.
        if form_token:
            existing = Reservation.objects.filter(form_token=form_token).first()
            if existing is not None:
                return existing
        if ReservationItem.objects.filter(
            person_key=details.person_key,
            screening_type_id__in=[s.screening_type_id for s in slots],
            fiscal_year__in=[s.fiscal_year for s in slots],
            is_live=True,
        ).exists():
            raise AlreadyBooked() from None
        raise
    log.info("reservation.created id=%s slots=%s channel=%s", reservation.pk, len(slots), channel)
    return reservation


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
    user=None,
    now: datetime | None = None,
) -> Reservation:
    """Cancel a live reservation and free its places, atomically.

    The status change is a conditional UPDATE (only a confirmed reservation becomes
    cancelled), so two cancellations racing free each place once. Raises NotCancellable
    if it was already cancelled or a screening in it has already started.
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
    log.info("reservation.cancelled id=%s by=%s", reservation.pk, by)
    return reservation


def reservation_move(
    *,
    reservation: Reservation,
    new_slots: list[Slot],
    user=None,
    now: datetime | None = None,
) -> Reservation:
    """Move a live reservation to other slots of the same screenings, all or nothing.

    One transaction takes the new places and releases the old ones: if any new place is
    gone, SlotFull is raised and the resident keeps the booking they had. The
    reservation's row is locked before its places are read, so a second move or a cancel
    of the same booking (a double click, another tab) waits and then sees this one's
    result. Counters change in slot-id order, as bookings and cancellations take them, so
    crossing moves cannot deadlock. `new_slots` must cover exactly the reservation's
    screenings, on one day at one venue.
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

    citizen = reservation.citizen
    for slot in new_slots:
        reasons = eligibility_reasons(
            slot=slot,
            birth_date=citizen.birth_date,
            sex=citizen.sex,
            person_key=citizen.person_key,
            now=now,
            ignore_reservation=reservation,
            check_places=False,
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
            if not moves:
                return reservation
            changes = [(slot.pk, slot) for _item, slot in moves]
            changes += [(item.slot_id, None) for item, _slot in moves]
            for slot_id, slot in sorted(changes, key=lambda change: change[0]):
                if slot is not None:
                    _take_place(slot, now)
                else:
                    _release_place(slot_id)
            for item, slot in moves:
                item.slot = slot
                item.fiscal_year = slot.fiscal_year
                item.save(update_fields=["slot", "fiscal_year"])
            Reservation.objects.filter(pk=reservation.pk).update(changed_at=now)
            reservation.refresh_from_db()
            _queue_notification(reservation, Notification.Kind.CHANGE)
    except SlotFull as full:
        raise SlotFull(full.slot, nearest_free_slots(full.slot, now=now)) from None
    except IntegrityError:
        raise AlreadyBooked() from None
    log.info("reservation.moved id=%s items=%s", reservation.pk, len(moves))
    return reservation


def slot_set_capacity(*, slot: Slot, capacity: int) -> bool:
    """Change a slot's capacity unless that would put it below what is already booked.

    A conditional UPDATE, so a booking that lands between the admin's form check and the
    save cannot make the slot overbooked. Returns False when refused.
    """
    return bool(Slot.objects.filter(pk=slot.pk, booked__lte=capacity).update(capacity=capacity))


def slots_bulk_create(
    *,
    venue,
    screening_types,
    first_date: date,
    last_date: date,
    weekdays: list[int],
    start_times: list,
    duration_minutes: int,
    capacity: int,
    opens_at: datetime,
    closes_at: datetime,
) -> tuple[int, int]:
    """Create one slot per (day in range on a chosen weekday) × start time × screening.

    Slots that already exist (same venue, screening and start) are left untouched, so the
    same pattern can be submitted twice safely. Returns (created, skipped).
    """
    from datetime import timedelta

    tz = timezone.get_current_timezone()
    wanted = []
    day = first_date
    while day <= last_date:
        if day.weekday() in weekdays:
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
    return len(reservations)


def screening_history_keep(*, reservation_ids) -> int:
    """Before reservations are purged: remember who had which screening in which year.

    Only live (not cancelled) screenings count, as in eligibility_reasons. Runs inside the
    purge's transaction. Returns how many history rows were written.
    """
    rows = [
        ScreeningHistory(
            person_hash=person_hash(person_key),
            screening_type_id=screening_type_id,
            fiscal_year=fiscal_year,
        )
        for person_key, screening_type_id, fiscal_year in ReservationItem.objects.filter(
            reservation_id__in=reservation_ids, is_live=True
        ).values_list("person_key", "screening_type_id", "fiscal_year")
    ]
    ScreeningHistory.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def screening_history_prune(*, now: datetime | None = None) -> int:
    """Forget history rows that no interval rule can need any more. Returns the count."""
    current = fiscal_year_of(timezone.localdate(now or timezone.now()))
    deleted = 0
    for screening in ScreeningType.objects.all():
        deleted += ScreeningHistory.objects.filter(
            screening_type=screening, fiscal_year__lte=current - screening.interval_years
        ).delete()[0]
    return deleted

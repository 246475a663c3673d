"""Booking for the family (家族・代理予約): several people in one sitting, all or none.

A daughter books both parents, a husband his wife. Each person screened gets their own
Reservation, number and Citizen row, exactly as if they had booked alone (so each can look
up, move or cancel theirs alone with the existing pages); a ReservationGroup ties them
together and holds the contact details of whoever booked, who need not be screened.

The places are taken for the whole group in one transaction: the session's slots (one
venue, one day) of the screenings wanted are locked with SELECT … FOR UPDATE in id order,
as single bookings' conditional UPDATEs take them, so neither can deadlock the other;
the people are then placed at the time chosen and, when it cannot hold them all, at the
nearest other times of the same session. If the group does not fit, nothing is written
and the nearest sessions where it does fit are offered.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from reservations.eligibility import CitizenDetails, Reason, eligibility_reasons
from reservations.errors import BookingError, FormTokenReused, InvalidSelection
from reservations.models import Notification, Reservation, ReservationGroup, Slot, Venue
from reservations.services import (
    _audit,
    _queue_notification,
    refuse_if_held_for_lottery,
    store_reservation,
    validate_selection,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from audit.context import AuditContext

log = logging.getLogger(__name__)

# How many sessions a group that does not fit is offered instead.
ALTERNATIVES = 5
# How many free slots are looked at to find those sessions (a season has thousands).
ALTERNATIVES_SCAN = 2000


@dataclass(frozen=True)
class GroupContact:
    """Who booked: the person we call or mail about the whole group."""

    name: str
    phone: str
    email: str = ""


@dataclass(frozen=True)
class PersonRefusal:
    """Why one person of the group cannot be booked; `position` 0 is the first person."""

    position: int
    name: str
    reasons: list[Reason]


class GroupTooLarge(InvalidSelection):
    code = "group_too_large"


class SamePersonTwice(BookingError):
    """One person (same フリガナ and date of birth) is in the group twice."""

    code = "group_same_person_twice"

    def __init__(self, position: int, name: str):
        super().__init__(f"person {position} is in the group twice")
        self.position = position
        self.name = name


class GroupNotEligible(BookingError):
    """The rules refuse one or more people; `refusals` names each with their reasons."""

    code = "group_not_eligible"

    def __init__(self, refusals: list[PersonRefusal]):
        super().__init__(
            "; ".join(f"{r.position}:{','.join(x.code for x in r.reasons)}" for r in refusals)
        )
        self.refusals = refusals


@dataclass(frozen=True)
class Session:
    """One venue on one day, with the time chosen for each screening wanted."""

    day: date
    venue: Venue
    slots: list[Slot]


class GroupDoesNotFit(BookingError):
    """The session has too few places left for everyone: nobody was booked."""

    code = "group_does_not_fit"

    def __init__(self, alternatives: list[Session]):
        super().__init__("the group does not fit in this session")
        self.alternatives = alternatives


@dataclass(frozen=True)
class GroupBookingResult:
    group: ReservationGroup
    reservations: list[Reservation]
    created: bool


# --- Placement (pure: no database) ------------------------------------------------------------


def place_people(
    *,
    chosen: Sequence[Slot],
    wanted: Sequence[Sequence[int]],
    session_slots: Sequence[Slot],
    now: datetime,
) -> list[list[Slot]] | None:
    """Each person's slots, or None if the session cannot hold everyone.

    `chosen` holds one slot per screening (the times picked), `wanted[i]` the screening
    type ids person i takes, `session_slots` every slot of the session with its current
    `booked`. Everyone is put at the chosen time while it has room, then at the other
    open times of the same screening nearest to it (later before earlier on a tie).
    """
    free: dict[int, int] = {}
    by_screening: dict[int, list[Slot]] = defaultdict(list)
    for slot in session_slots:
        if slot.window_state(now) == "open":
            # Places held for waiting-list offers are taken (booked + held <= capacity).
            free[slot.pk] = max(slot.capacity - slot.booked - slot.held, 0)
            by_screening[slot.screening_type_id].append(slot)
    placed: list[list[Slot]] = [[] for _ in wanted]
    for pick in chosen:
        order = sorted(
            by_screening.get(pick.screening_type_id, []),
            key=lambda s: (
                abs((s.starts_at - pick.starts_at).total_seconds()),
                s.starts_at < pick.starts_at,
            ),
        )
        for position, screening_ids in enumerate(wanted):
            if pick.screening_type_id not in screening_ids:
                continue
            room = next((s for s in order if free[s.pk] > 0), None)
            if room is None:
                return None
            free[room.pk] -= 1
            placed[position].append(room)
    return placed


# --- Reads -------------------------------------------------------------------------------------


def _session_slots(chosen: Sequence[Slot], *, lock: bool = False) -> list[Slot]:
    """Every slot of the chosen screenings at the chosen venue on the chosen day."""
    first = chosen[0]
    queryset = Slot.objects.filter(
        venue_id=first.venue_id,
        screening_type_id__in=[s.screening_type_id for s in chosen],
        starts_at__date=first.local_date,
    ).order_by("pk")
    if lock:
        # In id order, as single bookings take their places: no deadlock between them.
        # NO KEY UPDATE is the lock their UPDATE of `booked` takes; a plain FOR UPDATE
        # would also queue behind (and block) the KEY SHARE locks of their items'
        # foreign keys to the slot, which deadlocks (seen on PostgreSQL under the race).
        queryset = queryset.select_for_update(no_key=True)
    return list(queryset.select_related("screening_type", "venue"))


def session_choices(primary: Slot, now: datetime) -> list[Slot]:
    """The chosen slot first, then for each other screening offered at the same venue on
    the same day, its open time nearest to the chosen one: what each person may take."""
    others: dict[int, Slot] = {}
    for slot in (
        Slot.objects.bookable(now)
        .filter(
            venue_id=primary.venue_id,
            starts_at__date=primary.local_date,
            screening_type__is_active=True,
        )
        .exclude(screening_type_id=primary.screening_type_id)
        .select_related("screening_type", "venue")
    ):
        best = others.get(slot.screening_type_id)
        distance = abs((slot.starts_at - primary.starts_at).total_seconds())
        if best is None or distance < abs((best.starts_at - primary.starts_at).total_seconds()):
            others[slot.screening_type_id] = slot
    ordered = sorted(
        others.values(), key=lambda s: (s.screening_type.display_order, s.screening_type.code)
    )
    return [primary, *ordered]


def sessions_that_fit(
    *,
    chosen: Sequence[Slot],
    wanted: Sequence[Sequence[int]],
    now: datetime,
    limit: int = ALTERNATIVES,
) -> list[Session]:
    """The nearest other sessions (venue and day) where the whole group has room, later
    days first on a tie, the chosen venue first on a day; each with the free time nearest
    to the one chosen for each screening."""
    first = chosen[0]
    screening_ids = [s.screening_type_id for s in chosen]
    free = list(
        Slot.objects.bookable(now)
        .filter(screening_type_id__in=screening_ids, screening_type__is_active=True)
        .exclude(venue_id=first.venue_id, starts_at__date=first.local_date)
        .select_related("venue", "screening_type")
        .order_by("starts_at")[:ALTERNATIVES_SCAN]
    )
    sessions: dict[tuple[date, int], list[Slot]] = defaultdict(list)
    for slot in free:
        sessions[(slot.local_date, slot.venue_id)].append(slot)
    day = first.local_date
    found: list[Session] = []
    for (session_day, _venue_id), slots in sorted(
        sessions.items(),
        key=lambda item: (
            item[0][0] < day,
            abs((item[0][0] - day).days),
            item[0][1] != first.venue_id,
        ),
    ):
        picks = []
        for pick in chosen:
            times = [s for s in slots if s.screening_type_id == pick.screening_type_id]
            if not times:
                break
            minutes = _minutes(pick.starts_at)
            picks.append(min(times, key=lambda s: abs(_minutes(s.starts_at) - minutes)))
        if len(picks) != len(chosen):
            continue
        if place_people(chosen=picks, wanted=wanted, session_slots=slots, now=now) is None:
            continue
        found.append(Session(session_day, slots[0].venue, picks))
        if len(found) >= limit:
            break
    return found


def _minutes(moment: datetime) -> int:
    local = timezone.localtime(moment)
    return local.hour * 60 + local.minute


def group_refusals(
    *,
    chosen: Sequence[Slot],
    people: Sequence[CitizenDetails],
    wanted: Sequence[Sequence[int]],
    now: datetime,
) -> list[PersonRefusal]:
    """Every person's reasons not to be booked, by name (the interval and one-a-year rules
    included, across fiscal years and other bookings); an empty list means all may."""
    refusals = []
    for position, (person, screening_ids) in enumerate(zip(people, wanted, strict=True)):
        reasons = [
            reason
            for slot in chosen
            if slot.screening_type_id in screening_ids
            for reason in eligibility_reasons(slot=slot, person=person, now=now, check_places=False)
        ]
        if reasons:
            refusals.append(PersonRefusal(position, person.name, reasons))
    return refusals


def check_group(
    *,
    chosen: Sequence[Slot],
    people: Sequence[CitizenDetails],
    wanted: Sequence[Sequence[int]],
    now: datetime,
) -> None:
    """The checks made before any place is taken: raises GroupTooLarge, InvalidSelection,
    SamePersonTwice or GroupNotEligible; returns when the group may be booked."""
    validate_selection(list(chosen))
    if any(s.screening_type.voucher_required for s in chosen):
        # 受診券 screenings are booked one person at a time, each with their own ticket.
        raise InvalidSelection("a screening that needs a 受診券 is booked person by person")
    refuse_if_held_for_lottery(list(chosen), now)
    if not people:
        raise InvalidSelection("nobody to book")
    if len(people) > settings.GROUP_MAX_PEOPLE:
        raise GroupTooLarge(f"at most {settings.GROUP_MAX_PEOPLE} people")
    offered = {s.screening_type_id for s in chosen}
    if len(wanted) != len(people) or any(not ids or not set(ids) <= offered for ids in wanted):
        raise InvalidSelection("each person takes some of the chosen screenings")
    seen: set[str] = set()
    for position, person in enumerate(people):
        keys = set(person.person_keys)
        if keys & seen:
            raise SamePersonTwice(position, person.name)
        seen |= keys
    if refusals := group_refusals(chosen=chosen, people=people, wanted=wanted, now=now):
        raise GroupNotEligible(refusals)


# --- The write ---------------------------------------------------------------------------------


def _booked_with_token(
    form_token: str | None, people: Sequence[CitizenDetails]
) -> GroupBookingResult | None:
    if not form_token:
        return None
    group = ReservationGroup.objects.filter(form_token=form_token).first()
    if group is None:
        return None
    members = list(group.members.select_related("citizen").order_by("group_position"))
    if [m.citizen.person_key for m in members] != [p.person_key for p in people]:
        raise FormTokenReused("this form token belongs to another group")
    return GroupBookingResult(group, members, created=False)


def reservation_create_group(
    *,
    slots: list[Slot],
    people: list[CitizenDetails],
    contact: GroupContact,
    wanted: Sequence[Sequence[int]] | None = None,
    form_token: str | None = None,
    channel: str = Reservation.Channel.WEB,
    booked_by: User | None = None,
    language: str = "ja",
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
) -> GroupBookingResult:
    """Book every person of a group at one session, each with their own reservation, or
    nobody.

    `slots` are the times chosen, one per screening (one day, one venue); `wanted[i]` the
    screening type ids person i takes (everyone takes all by default). Guarantees: one
    transaction locks the session's slots (id order), places everyone at the chosen time
    or the nearest others of the same session, takes the places, stores the group, each
    person's citizen, reservation and items, the one confirmation mail to the contact
    (and the health centre's copies) and, given `audit_context`, one audit record per
    reservation; they commit together. A repeated call with the same `form_token` and
    people returns the first group (`created=False`). Raises GroupTooLarge,
    InvalidSelection, SamePersonTwice, GroupNotEligible (each person's reasons, by
    name), GroupDoesNotFit (with the nearest sessions that fit) or FormTokenReused; when
    it raises, nothing was written.
    """
    now = now or timezone.now()
    chosen = sorted(slots, key=lambda s: s.pk)
    wanted = (
        [list(ids) for ids in wanted]
        if wanted is not None
        else [[s.screening_type_id for s in chosen] for _ in people]
    )
    if found := _booked_with_token(form_token, people):
        return found
    check_group(chosen=chosen, people=people, wanted=wanted, now=now)

    try:
        with transaction.atomic():
            session = _session_slots(chosen, lock=True)
            placed = place_people(chosen=chosen, wanted=wanted, session_slots=session, now=now)
            if placed is None:
                raise GroupDoesNotFit([])
            taking: dict[int, int] = defaultdict(int)
            for person_slots in placed:
                for slot in person_slots:
                    taking[slot.pk] += 1
            for slot_id in sorted(taking):
                # The rows are locked: this cannot fail but for a bug, and the database's
                # CheckConstraint refuses overbooking even then.
                Slot.objects.filter(pk=slot_id).update(booked=F("booked") + taking[slot_id])
            group = ReservationGroup.objects.create(
                contact_name=contact.name,
                contact_phone=contact.phone,
                contact_email=contact.email,
                first_number="",
                channel=channel,
                language=language,
                form_token=form_token or None,
                created_at=now,
            )
            reservations = []
            for position, (person, person_slots) in enumerate(zip(people, placed, strict=True)):
                reservation = store_reservation(
                    slots=sorted(person_slots, key=lambda s: s.pk),
                    # Later mails about one member (a move, a cancellation) go to the
                    # contact, who booked it: members give no address of their own.
                    details=_with_email(person, contact.email),
                    channel=channel,
                    booked_by=booked_by,
                    language=language,
                    now=now,
                    group=group,
                    group_position=position,
                )
                _queue_notification(reservation, Notification.Kind.CONFIRMATION, resident=False)
                _audit(
                    audit_context,
                    "reservations.reservation.booked_by_phone"
                    if channel == Reservation.Channel.PHONE
                    else "reservations.reservation.booked",
                    reservation,
                    {
                        "slot_ids": sorted(s.pk for s in person_slots),
                        "group_position": position,
                        "group_size": len(people),
                    },
                )
                reservations.append(reservation)
            group.first_number = reservations[0].number
            group.save(update_fields=["first_number"])
            if contact.email:
                Notification.objects.create(
                    reservation=reservations[0], kind=Notification.Kind.GROUP_CONFIRMATION
                )
    except GroupDoesNotFit:
        raise GroupDoesNotFit(sessions_that_fit(chosen=chosen, wanted=wanted, now=now)) from None
    except IntegrityError:
        # A person of the group booked the same screening elsewhere meanwhile (another
        # tab, the phone desk), or the same form twice: the database refused it.
        if found := _booked_with_token(form_token, people):
            return found
        if refusals := group_refusals(chosen=chosen, people=people, wanted=wanted, now=now):
            raise GroupNotEligible(refusals) from None
        raise
    log.info("reservation_group.created id=%s people=%s channel=%s", group.pk, len(people), channel)
    return GroupBookingResult(group, reservations, created=True)


def _with_email(person: CitizenDetails, email: str) -> CitizenDetails:
    return CitizenDetails(
        name=person.name,
        furigana=person.furigana,
        birth_date=person.birth_date,
        sex=person.sex,
        postal_code=person.postal_code,
        address=person.address,
        phone=person.phone,
        email=email,
    )

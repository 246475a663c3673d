"""The writes of the waiting list: joining, offering freed places, answering, expiring.

Lock order, the same everywhere, so that no two of these can deadlock: offer rows, then
slot rows (in id order, as reservations.services takes them), then entry rows (in line
order). reservations.services frees places with a
conditional UPDATE of the slot (which locks it) and then calls offer_freed_places through
reservations.freed_places in the same transaction, so a freed place is held for the next in
line before any first-come booker can see it. `Slot.held` always equals the slot's open
offers: each change of one is made with the other, and the database refuses
booked + held > capacity.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

import audit
from reservations import services as booking
from reservations.eligibility import CitizenDetails, eligibility_reasons
from reservations.errors import AlreadyBooked, BookingError, NotEligible
from reservations.models import (
    Reservation,
    ScreeningType,
    Slot,
    SlotState,
    Venue,
    fiscal_year_of,
)
from vouchers import refusals as voucher_refusals
from vouchers.booking import stored_voucher_as_rule
from waitlist.errors import (
    AlreadyWaiting,
    EntryClosed,
    InvalidChoice,
    OfferNotOpen,
    PlacesFree,
)
from waitlist.housekeeping import entries_close_stale
from waitlist.models import Offer, WaitlistEntry, WaitlistMail, new_entry_number

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from audit.context import AuditContext

log = logging.getLogger(__name__)

# Most slots a resident may pick; a date range covers more.
MAX_ACCEPTED_SLOTS = 10
# An offer never lasts less than this (unless the booking closes sooner) ...
MIN_OFFER = timedelta(hours=1)
# ... and never more than this share of the time left until the booking closes, so that a
# place freed the day before still has a chance to be passed on and taken.
OFFER_SHARE_OF_WINDOW = 4


# --- Joining ------------------------------------------------------------------------------------


def entry_join(
    *,
    screening_type: ScreeningType,
    details: CitizenDetails,
    slots: Sequence[Slot] = (),
    venue: Venue | None = None,
    first_date: date | None = None,
    last_date: date | None = None,
    channel: str = WaitlistEntry.Channel.WEB,
    added_by: User | None = None,
    language: str = "ja",
    voucher_number: str = "",
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
) -> WaitlistEntry:
    """Put one person on the waiting list of `screening_type`, accepting either `slots`
    (one or more times of it) or the dates `first_date`..`last_date` (at `venue`, or at
    any venue when it is None). The caller is the resident's page, the phone desk
    (channel PHONE, `added_by`) or the lottery (channel LOTTERY, for losers who agreed).

    Guarantees: one transaction inserts the entry (with a fresh 12-digit entry number),
    what it accepts, the "joined" mail in the outbox (when there is an email address) and,
    given `audit_context`, the "waitlist.entry.added" record. If a time it accepts has a
    free place now, that place is offered to the line at once (the entry may be first).
    The database keeps one live entry per person, screening and fiscal year.

    Raises InvalidChoice (nothing accepted, another screening, several fiscal years, no
    time still to come), PlacesFree (a chosen slot can simply be booked; the lottery and
    the desk may pass `slots` with places, which are then offered), NotEligible (the
    booking rules, in words), AlreadyBooked, AlreadyWaiting; then nothing was written.
    A screening in 受診券 mode takes the `voucher_number` the edge checked (and rate
    limited): it is checked again here, and refused as NotEligible with a "voucher_…"
    reason (vouchers.refusals.as_reason).
    """
    now = now or timezone.now()
    voucher = stored_voucher_as_rule(
        number=voucher_number, screening_types=[screening_type], details=details, now=now
    )
    slots = sorted(slots, key=lambda s: s.pk)
    candidates = _accepted_slots(
        screening_type=screening_type,
        slots=slots,
        venue=venue,
        first_date=first_date,
        last_date=last_date,
        now=now,
    )
    fiscal_year = candidates[0].fiscal_year
    if channel == WaitlistEntry.Channel.WEB and any(s.remaining > 0 for s in slots):
        raise PlacesFree("a chosen time has free places")
    reasons = [
        r
        for r in eligibility_reasons(
            slot=candidates[0], person=details, now=now, check_places=False
        )
        if r.code not in ("not_open", "closed")
    ]
    if any(r.code == "already_booked" for r in reasons):
        raise AlreadyBooked(screening_type)
    if reasons:
        raise NotEligible(reasons)
    # A live entry whose times have all passed would keep this person off the list for
    # the rest of the fiscal year: it is closed first.
    entries_close_stale(
        now=now,
        among=WaitlistEntry.objects.filter(
            person_key=details.person_key, screening_type=screening_type, fiscal_year=fiscal_year
        ),
    )
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(
                number=_unused_entry_number(),
                screening_type=screening_type,
                fiscal_year=fiscal_year,
                person_key=details.person_key,
                venue=venue if not slots else None,
                first_date=None if slots else first_date,
                last_date=None if slots else last_date,
                name=details.name,
                furigana=details.furigana,
                birth_date=details.birth_date,
                sex=details.sex,
                postal_code=details.postal_code,
                address=details.address,
                phone=details.phone,
                email=details.email,
                voucher_number=voucher.number if voucher else "",
                channel=channel,
                added_by=added_by,
                language=language,
                created_at=now,
            )
            if slots:
                entry.slots.set(slots)
            _queue_mail(entry, WaitlistMail.Kind.JOINED, now=now)
            if audit_context is not None:
                audit.record(
                    action="waitlist.entry.added",
                    context=audit_context,
                    target=entry,
                    details={"channel": channel, "slot_ids": [s.pk for s in slots]},
                )
            # Places already free in what it accepts (left after a lottery, or a slot the
            # desk chose with places) go to the line now rather than at the next cancellation.
            for slot in sorted(candidates, key=lambda s: s.pk):  # slot locks in id order
                if slot.remaining > 0:
                    offer_freed_places(slot=slot, now=now)
    except IntegrityError:
        if WaitlistEntry.objects.filter(
            person_key=details.person_key,
            screening_type=screening_type,
            fiscal_year=fiscal_year,
            status__in=WaitlistEntry.LIVE,
        ).exists():
            raise AlreadyWaiting("already on the list") from None
        raise
    log.info("waitlist.entry.joined id=%s channel=%s", entry.pk, channel)
    return entry


def _accepted_slots(
    *,
    screening_type: ScreeningType,
    slots: Sequence[Slot],
    venue: Venue | None,
    first_date: date | None,
    last_date: date | None,
    now: datetime,
) -> list[Slot]:
    """The slots still to come that the choice accepts, in time order; InvalidChoice when
    the choice is unusable."""
    if slots and (first_date or last_date or venue):
        raise InvalidChoice("either times or a date range, not both")
    if slots:
        if len(slots) > MAX_ACCEPTED_SLOTS:
            raise InvalidChoice("too many times")
        if any(s.screening_type_id != screening_type.pk for s in slots):
            raise InvalidChoice("a time of another screening")
        found = list(slots)
    else:
        if first_date is None or last_date is None or last_date < first_date:
            raise InvalidChoice("no date range")
        if fiscal_year_of(first_date) != fiscal_year_of(last_date):
            raise InvalidChoice("a date range spanning fiscal years")
        query = Slot.objects.filter(
            screening_type=screening_type,
            starts_at__date__gte=first_date,
            starts_at__date__lte=last_date,
        )
        if venue is not None:
            query = query.filter(venue=venue)
        found = list(query.select_related("screening_type", "venue").order_by("starts_at"))
    found = [s for s in found if s.window_state(now) != SlotState.CLOSED]
    if not found:
        raise InvalidChoice("no time still to come")
    if len({s.fiscal_year for s in found}) != 1:
        raise InvalidChoice("times in several fiscal years")
    return sorted(found, key=lambda s: s.starts_at)


def _unused_entry_number() -> str:
    while True:
        number = new_entry_number()
        if not WaitlistEntry.objects.filter(number=number).exists():
            return number


def entry_leave(
    *, entry: WaitlistEntry, now: datetime | None = None, audit_context: AuditContext | None = None
) -> WaitlistEntry:
    """Take a live entry off the list; an open offer of it is withdrawn and its place
    offered to the next in line, in the same transaction. Raises EntryClosed when it had
    already left (then nothing was written)."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = (
            Offer.objects.select_for_update().filter(entry=entry, status=Offer.Status.OPEN).first()
        )
        if offer is not None:
            _end_offer(offer, Offer.Status.WITHDRAWN, now=now)
        left = WaitlistEntry.objects.filter(pk=entry.pk, status__in=WaitlistEntry.LIVE).update(
            status=WaitlistEntry.Status.LEFT, closed_at=now
        )
        if not left:
            raise EntryClosed("the entry has already left the list")
        if audit_context is not None:
            audit.record(action="waitlist.entry.removed", context=audit_context, target=entry)
        if offer is not None:
            offer_freed_places(slot=offer.slot, now=now)
    entry.refresh_from_db()
    log.info("waitlist.entry.left id=%s", entry.pk)
    return entry


# --- Offering -----------------------------------------------------------------------------------


def offer_expiry(slot: Slot, now: datetime) -> datetime:
    """When an offer made now must be answered: WAITLIST_OFFER_HOURS, but at most a
    quarter of the time left until the booking closes (at least an hour), and never past
    the slot's booking close."""
    left = min(slot.closes_at, slot.starts_at) - now
    length = min(
        timedelta(hours=settings.WAITLIST_OFFER_HOURS), max(left / OFFER_SHARE_OF_WINDOW, MIN_OFFER)
    )
    return min(now + length, slot.closes_at, slot.starts_at)


def _line_for(slot: Slot) -> Q:
    """The waiting entries that accept `slot`."""
    day = slot.local_date
    return Q(
        status=WaitlistEntry.Status.WAITING,
        screening_type_id=slot.screening_type_id,
        fiscal_year=slot.fiscal_year,
    ) & (
        Q(
            pk__in=WaitlistEntry.slots.through.objects.filter(slot_id=slot.pk).values(
                "waitlistentry_id"
            )
        )
        | (
            Q(first_date__lte=day, last_date__gte=day)
            & (Q(venue__isnull=True) | Q(venue_id=slot.venue_id))
        )
    )


def offer_freed_places(*, slot: Slot, now: datetime | None = None) -> list[Offer]:
    """Offer every free place of `slot` to the first entries in line that accept it.

    Inside one transaction (the caller's, when it freed the place): the slot's row is
    locked, then entries in line order (joined first, first served). An entry no longer
    eligible (booked elsewhere meanwhile, …) is closed with its reason code and mailed,
    and the next one is tried. Each offer holds its place (held += 1, which the database
    refuses past capacity) and queues its mail; nothing is offered once the booking
    window has closed. Returns the offers made (often none).
    """
    now = now or timezone.now()
    offers: list[Offer] = []
    with transaction.atomic():
        slot = (
            Slot.objects.select_for_update()
            .select_related("screening_type", "venue")
            .get(pk=slot.pk)
        )
        if slot.window_state(now) != SlotState.OPEN or offer_expiry(slot, now) <= now:
            return offers
        if apps.is_installed("lottery"):
            from lottery.holds import held_before_draw

            if held_before_draw(slot.pk, now):
                return offers  # the round's draw gives these places, not the line
        line = WaitlistEntry.objects.filter(_line_for(slot)).order_by("created_at", "id")
        retries = 0
        while slot.remaining > 0:
            entry = line.select_for_update().first()
            if entry is None:
                # A locked row that changed while we waited is left out of a LIMIT 1 on
                # PostgreSQL: look again before deciding the line is empty.
                if retries < 3 and line.exists():
                    retries += 1
                    continue
                break
            reasons = eligibility_reasons(slot=slot, person=entry, now=now, check_places=False)
            if not reasons:
                # A 受診券 taken off the city's list since joining: an offer it could
                # never confirm would hold the place for nothing.
                try:
                    stored_voucher_as_rule(
                        number=entry.voucher_number,
                        screening_types=[slot.screening_type],
                        details=entry.details(),
                        now=now,
                    )
                except NotEligible as refused:
                    reasons = refused.reasons
                    if reasons[0].code == f"voucher_{voucher_refusals.NO_LIST}":
                        break  # no list loaded (not yet): nobody is offered, nobody closed
            if reasons:
                _close_entry(entry, reasons[0].code, now=now)
                continue
            offer = Offer.objects.create(
                entry=entry, slot=slot, created_at=now, expires_at=offer_expiry(slot, now)
            )
            Slot.objects.filter(pk=slot.pk).update(held=F("held") + 1)
            slot.held += 1
            WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.OFFERED)
            _queue_mail(entry, WaitlistMail.Kind.OFFER, offer=offer, now=now)
            offers.append(offer)
            log.info("waitlist.offer.made offer=%s slot=%s", offer.pk, slot.pk)
    # No page-cache bump: a held place looks as taken as the booked one it replaces, and
    # the booking service re-checks every place anyway (as after a cancellation).
    return offers


def _close_entry(entry: WaitlistEntry, reason: str, *, now: datetime) -> None:
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        status=WaitlistEntry.Status.CLOSED, closed_reason=reason[:40], closed_at=now
    )
    _queue_mail(entry, WaitlistMail.Kind.CLOSED, now=now)
    log.info("waitlist.entry.closed id=%s reason=%s", entry.pk, reason)


def _end_offer(offer: Offer, status: str, *, now: datetime, user: User | None = None) -> None:
    """Close a locked open offer and give its place back (held -= 1). The caller offers
    the place again (offer_freed_places) once the entry's own status is set."""
    Offer.objects.filter(pk=offer.pk).update(status=status, answered_at=now, answered_by=user)
    Slot.objects.filter(pk=offer.slot_id, held__gt=0).update(held=F("held") - 1)
    offer.status = status


def offers_withdraw(*, slot_ids: list[int], now: datetime) -> int:
    """Withdraw the open offers on `slot_ids` (a session called off: reception.call_off),
    inside the caller's transaction: each offer's hold is given back and its entry goes
    back to waiting in its place in line, for the other times it accepts. Returns how many
    were withdrawn. The offer's link then says it is no longer open."""
    offers = list(
        Offer.objects.select_for_update()
        .filter(slot_id__in=slot_ids, status=Offer.Status.OPEN)
        .order_by("slot_id", "pk")
    )
    for offer in offers:
        _end_offer(offer, Offer.Status.WITHDRAWN, now=now)
        WaitlistEntry.objects.filter(pk=offer.entry_id, status=WaitlistEntry.Status.OFFERED).update(
            status=WaitlistEntry.Status.WAITING
        )
        log.info("waitlist.offer.withdrawn offer=%s slot=%s", offer.pk, offer.slot_id)
    return len(offers)


def _locked_open_offer(offer: Offer, now: datetime, *, allow_expired: bool = False) -> Offer:
    locked = (
        Offer.objects.select_for_update()
        .select_related("entry", "slot", "slot__screening_type", "slot__venue")
        .filter(pk=offer.pk)
        .first()
    )
    if locked is None or not locked.is_open:
        raise OfferNotOpen("the offer is no longer open")
    if locked.expires_at <= now and not allow_expired:
        raise OfferNotOpen("the offer has expired")
    return locked


# --- Answering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmResult:
    reservation: Reservation | None
    # When the booking rules refused (booked elsewhere meanwhile …): the error, the entry
    # closed and the place passed on.
    refused: BookingError | None = None


def offer_confirm(
    *,
    offer: Offer,
    user: User | None = None,
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
) -> Reservation:
    """Turn an open offer into a reservation, through reservations.services.reservation_create
    (channel "waitlist": every check of a booking, the confirmation mail, the audit record).

    One transaction: the offer and the slot are locked, the hold is given back (held -1)
    and the place taken by the booking (booked +1) — no one else can take it in between,
    the slot's row lock is held —, then the offer and the entry are marked confirmed and
    booked. If the booking rules now refuse the person (booked elsewhere meanwhile; in
    受診券 mode, a ticket no longer on the city's list), the offer is withdrawn, the
    entry closed with the reason and the place offered to the next in line, and the
    refusal (NotEligible or AlreadyBooked) is raised after that commits.
    Raises OfferNotOpen (answered, withdrawn or expired) with nothing written.
    """
    now = now or timezone.now()
    refused: BookingError | None = None
    with transaction.atomic():
        offer = _locked_open_offer(offer, now)
        slot = Slot.objects.select_for_update().get(pk=offer.slot_id)
        entry = offer.entry
        _end_offer(offer, Offer.Status.CONFIRMED, now=now, user=user)
        try:
            voucher = stored_voucher_as_rule(
                number=entry.voucher_number,
                screening_types=[offer.slot.screening_type],
                details=entry.details(),
                now=now,
            )
            result = booking.reservation_create(
                slots=[slot],
                details=entry.details(),
                channel=Reservation.Channel.WAITLIST,
                booked_by=user,
                language=entry.language,
                now=now,
                audit_context=audit_context,
                voucher_number=voucher.number if voucher else "",
                fee_class=voucher.fee_class if voucher else "",
            )
        except (NotEligible, AlreadyBooked) as error:
            refused = error
            Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.WITHDRAWN)
            code = "already_booked" if isinstance(error, AlreadyBooked) else _first_reason(error)
            _close_entry(entry, code, now=now)
            offer_freed_places(slot=slot, now=now)
        else:
            Offer.objects.filter(pk=offer.pk).update(reservation=result.reservation)
            WaitlistEntry.objects.filter(pk=entry.pk).update(
                status=WaitlistEntry.Status.BOOKED, closed_at=now
            )
            if audit_context is not None and user is not None:
                audit.record(
                    action="waitlist.offer.confirmed_by_desk",
                    context=audit_context,
                    target=entry,
                    details={"offer_id": offer.pk, "slot_id": slot.pk},
                )
    if refused is not None:
        raise refused
    log.info("waitlist.offer.confirmed offer=%s", offer.pk)
    return result.reservation


def _first_reason(error: NotEligible) -> str:
    return error.reasons[0].code if error.reasons else "not_eligible"


def offer_decline(
    *,
    offer: Offer,
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
) -> Offer:
    """The resident (or the desk for them) says no: in one transaction the offer is
    declined, the entry leaves the list (it may join again) and the place is offered to
    the next in line. Raises OfferNotOpen with nothing written."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = _locked_open_offer(offer, now)
        _end_offer(offer, Offer.Status.DECLINED, now=now)
        WaitlistEntry.objects.filter(pk=offer.entry_id).update(
            status=WaitlistEntry.Status.DECLINED, closed_at=now
        )
        if audit_context is not None:
            audit.record(
                action="waitlist.offer.declined",
                context=audit_context,
                target=offer.entry,
                details={"offer_id": offer.pk},
            )
        offer_freed_places(slot=offer.slot, now=now)
    log.info("waitlist.offer.declined offer=%s", offer.pk)
    return offer


def offers_expire(*, now: datetime | None = None, batch_size: int = 1) -> int:
    """Expire every open offer past its time and pass each place to the next in line.

    Each batch (by default one offer) is one short transaction whose offers are claimed
    with SELECT … FOR UPDATE SKIP LOCKED: two workers never expire the same offer (the
    second skips it, and after the first commits it is no longer open), so each place is
    passed on exactly once. Small batches keep each slot's row lock short: cancellations
    and bookings of that slot wait for it. Safe to run again at any time. Returns how
    many offers expired.
    """
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            due = list(
                Offer.objects.select_for_update(skip_locked=True)
                .filter(status=Offer.Status.OPEN, expires_at__lte=now)
                .order_by("expires_at", "id")[:batch_size]
            )
            # The batch's slots are locked in id order first, as cancellations lock
            # theirs: two workers (or a worker and a set cancellation) holding one slot
            # each and waiting for the other's would deadlock.
            slot_ids = sorted({offer.slot_id for offer in due})
            list(Slot.objects.select_for_update().filter(pk__in=slot_ids).order_by("pk"))
            for offer in sorted(due, key=lambda o: (o.slot_id, o.pk)):
                _end_offer(offer, Offer.Status.EXPIRED, now=now)
                WaitlistEntry.objects.filter(pk=offer.entry_id).update(
                    status=WaitlistEntry.Status.EXPIRED, closed_at=now
                )
                offer_freed_places(slot=Slot(pk=offer.slot_id), now=now)
        expired += len(due)
        if len(due) < batch_size:
            break
    if expired:
        log.info("waitlist.offers.expired count=%s", expired)
    return expired


# --- Mail ---------------------------------------------------------------------------------------


def _queue_mail(
    entry: WaitlistEntry, kind: str, *, offer: Offer | None = None, now: datetime
) -> None:
    """An outbox row in the caller's transaction; none for a resident without email (the
    desk's call list shows their offers instead)."""
    if entry.email:
        WaitlistMail.objects.create(
            entry=entry, offer=offer, kind=kind, created_at=now, next_attempt_at=now
        )

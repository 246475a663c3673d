"""The writes of a lottery round: its slots, applications, and the one draw.

Applications and the draw serialise on the round's row (SELECT … FOR UPDATE): an
application commits either before the draw reads the applications (and takes part) or
after the draw (and is refused as too late), never in between. The draw is one
transaction: every winner's booking (through reservations.services.reservation_create,
so capacity and one-booking-per-year hold as for any booking), every result, the mails in
the outbox and the audit record commit together or not at all.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

import audit
from lottery import allocation
from lottery.errors import (
    AlreadyApplied,
    AlreadyDrawn,
    DrawTooEarly,
    InvalidPreferences,
    NotChangeable,
    RoundNotOpen,
    SlotsTaken,
)
from lottery.models import (
    MAX_PREFERENCES,
    Application,
    ApplicationScreening,
    LotteryNotification,
    Preference,
    Round,
    RoundSlot,
    new_application_number,
)
from lottery.seed import new_sealed_seed, open_seed
from lottery.waitlist_hook import offer_losers_to_waitlist
from reservations.eligibility import CitizenDetails, Reason, eligibility_reasons
from reservations.errors import AlreadyBooked, NotEligible
from reservations.models import Reservation, ScreeningType, Slot
from reservations.page_cache import public_pages_changed
from reservations.services import WINDOW_REASONS, reservation_create
from vouchers.booking import stored_voucher_as_rule
from vouchers.services import VoucherMatch

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from audit.context import AuditContext

log = logging.getLogger(__name__)


# --- The round and its slots --------------------------------------------------------------------


def round_seal_seed(round_: Round) -> None:
    """Give a new (unsaved) round its encrypted seed and public commitment."""
    round_.seed_ciphertext, round_.commitment = new_sealed_seed()


def round_candidate_slots(
    *,
    screening_type_ids: list[int],
    venue_ids: list[int],
    first_date: date | None,
    last_date: date | None,
) -> list[int]:
    """The slots a round over these screenings, venues (none = all) and dates would hold."""
    slots = Slot.objects.filter(screening_type_id__in=screening_type_ids)
    if venue_ids:
        slots = slots.filter(venue_id__in=venue_ids)
    if first_date:
        slots = slots.filter(starts_at__date__gte=first_date)
    if last_date:
        slots = slots.filter(starts_at__date__lte=last_date)
    return list(slots.order_by("pk").values_list("pk", flat=True))


def slots_held_elsewhere(slot_ids: list[int], *, round_id: int | None) -> list[int]:
    """Which of `slot_ids` another round that has not been drawn holds."""
    held = RoundSlot.objects.filter(slot_id__in=slot_ids, holding=True)
    if round_id is not None:
        held = held.exclude(round_id=round_id)
    return sorted(held.values_list("slot_id", flat=True))


def round_assign_slots(*, round_: Round, audit_context: AuditContext | None = None) -> int:
    """Make the round hold exactly the slots its screenings, venues and dates select.

    Refused with RoundNotOpen once applications have opened (the applicants chose among
    the slots shown) or the round is drawn, and with SlotsTaken if another undrawn round
    holds any of them; the partial unique constraint on RoundSlot backs that check up
    against a concurrent admin. One transaction. Returns how many slots the round holds.
    """
    if round_.drawn_at is not None or round_.applications.exists():
        raise RoundNotOpen("the slots of a round are fixed once anyone has applied")
    wanted = round_candidate_slots(
        screening_type_ids=list(round_.screening_types.values_list("pk", flat=True)),
        venue_ids=list(round_.venues.values_list("pk", flat=True)),
        first_date=round_.first_date,
        last_date=round_.last_date,
    )
    with transaction.atomic():
        if taken := slots_held_elsewhere(wanted, round_id=round_.pk):
            raise SlotsTaken(taken)
        round_.round_slots.exclude(slot_id__in=wanted).delete()
        have = set(round_.round_slots.values_list("slot_id", flat=True))
        try:
            with transaction.atomic():
                RoundSlot.objects.bulk_create(
                    RoundSlot(round=round_, slot_id=slot_id)
                    for slot_id in wanted
                    if slot_id not in have
                )
        except IntegrityError:
            raise SlotsTaken(slots_held_elsewhere(wanted, round_id=round_.pk)) from None
        if audit_context is not None:
            audit.record(
                action="lottery.round.created",
                context=audit_context,
                target=round_,
                details={"slots": len(wanted), "commitment": round_.commitment},
            )
        public_pages_changed()
    return len(wanted)


def round_slots(round_: Round) -> dict[int, Slot]:
    """The round's slots by id, with venue and screening loaded."""
    slots = Slot.objects.filter(pk__in=round_.round_slots.values("slot_id")).select_related(
        "venue", "screening_type"
    )
    return {slot.pk: slot for slot in slots}


# --- Preferences --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceChoice:
    """One 第n希望 as entered: given slots (one per screening, one session), or a venue
    and a day (any time that day)."""

    slot_ids: tuple[int, ...] = ()
    venue_id: int | None = None
    day: date | None = None

    @property
    def kind(self) -> str:
        return Preference.Kind.DAY if self.venue_id is not None else Preference.Kind.SLOT


def candidate_groups(
    choice: PreferenceChoice, screening_ids: list[int], slots: dict[int, Slot]
) -> allocation.Preference:
    """The preference as the allocation sees it: per screening (ascending id), the
    candidate slot ids in order. Raises InvalidPreferences if it cannot be met at all."""
    groups: list[tuple[int, ...]] = []
    if choice.kind == Preference.Kind.SLOT:
        chosen = [slots.get(slot_id) for slot_id in choice.slot_ids]
        if any(slot is None for slot in chosen):
            raise InvalidPreferences("a chosen time is not part of this round")
        picked = {slot.screening_type_id: slot for slot in chosen if slot is not None}
        if sorted(picked) != sorted(screening_ids) or len(chosen) != len(screening_ids):
            raise InvalidPreferences("choose one time for each screening applied for")
        if len({(s.venue_id, s.local_date) for s in picked.values()}) != 1:
            raise InvalidPreferences("a set application is for one day at one venue")
        for screening_id in sorted(screening_ids):
            groups.append((picked[screening_id].pk,))
        return tuple(groups)
    for screening_id in sorted(screening_ids):
        day_slots = sorted(
            (
                s
                for s in slots.values()
                if s.venue_id == choice.venue_id
                and s.local_date == choice.day
                and s.screening_type_id == screening_id
            ),
            key=lambda s: (s.starts_at, s.pk),
        )
        if not day_slots:
            raise InvalidPreferences("no time of this screening on that day at that venue")
        groups.append(tuple(s.pk for s in day_slots))
    return tuple(groups)


def _checked_preferences(
    round_: Round, screening_ids: list[int], choices: list[PreferenceChoice]
) -> tuple[dict[int, Slot], list[allocation.Preference]]:
    if not screening_ids or len(set(screening_ids)) != len(screening_ids):
        raise InvalidPreferences("choose each screening once")
    if not 1 <= len(choices) <= MAX_PREFERENCES:
        raise InvalidPreferences(f"give between 1 and {MAX_PREFERENCES} preferences")
    if len(set(choices)) != len(choices):
        raise InvalidPreferences("the same preference was given twice")
    round_screenings = set(round_.screening_types.values_list("pk", flat=True))
    if not set(screening_ids) <= round_screenings:
        raise InvalidPreferences("a screening is not part of this round")
    slots = round_slots(round_)
    groups = [candidate_groups(choice, screening_ids, slots) for choice in choices]
    return slots, groups


def _refuse_ineligible(
    details: CitizenDetails,
    slots: dict[int, Slot],
    groups: list[allocation.Preference],
    now: datetime,
) -> None:
    """The booking rules, asked of the first candidate of each screening: the same readable
    reasons as the booking pages (the first-come window does not apply to a lottery)."""
    reasons: list[Reason] = []
    for group in groups[0]:
        slot = slots[group[0]]
        found = [
            r
            for r in eligibility_reasons(slot=slot, person=details, now=now, check_places=False)
            if r.code not in WINDOW_REASONS
        ]
        if any(r.code == "already_booked" for r in found):
            raise AlreadyBooked(slot.screening_type)
        reasons += found
    if reasons:
        raise NotEligible(reasons)


def _locked_open_round(round_id: int, now: datetime | None) -> tuple[Round, datetime]:
    """The round's row, locked for this transaction, and the time it was locked at."""
    round_ = Round.objects.select_for_update().get(pk=round_id)
    now = now or timezone.now()
    if not round_.accepts_applications(now):
        raise RoundNotOpen("the round is not accepting applications")
    return round_, now


def _store_preferences(application: Application, choices: list[PreferenceChoice]) -> None:
    for rank, choice in enumerate(choices, start=1):
        preference = Preference.objects.create(
            application=application,
            rank=rank,
            kind=choice.kind,
            venue_id=choice.venue_id,
            day=choice.day,
        )
        if choice.slot_ids:
            preference.slots.set(choice.slot_ids)


def _queue(application: Application, kind: str) -> None:
    if application.email:
        LotteryNotification.objects.create(application=application, kind=kind)


# --- Applying, changing, withdrawing ------------------------------------------------------------


def application_create(
    *,
    round_: Round,
    details: CitizenDetails,
    screening_ids: list[int],
    preferences: list[PreferenceChoice],
    waitlist_consent: bool = False,
    language: str = "ja",
    channel: str = Application.Channel.WEB,
    entered_by: User | None = None,
    form_token: str | None = None,
    voucher_number: str = "",
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
) -> Application:
    """Enter one person's application with up to three preferences, or nothing.

    Checks the preferences (InvalidPreferences) and the booking rules for each screening
    (NotEligible with readable reasons; AlreadyBooked for a booking of the screening this
    fiscal year). Then one transaction locks the round's row, checks the window is open at
    that moment (RoundNotOpen), and stores the application, its screenings (the partial
    unique constraint refuses a second live one: AlreadyApplied), its preferences and the
    confirmation mail in the outbox. The same `form_token` again returns the first
    application. Given `audit_context` (the phone desk), the audit record commits with it.
    A screening in 受診券 mode takes the `voucher_number` the edge checked (and rate
    limited); it is checked again here with the details, NotEligible ("voucher_…") if the
    city's list does not allow it.
    """
    if form_token and (found := Application.objects.filter(form_token=form_token).first()):
        if found.person_key != details.person_key:
            raise InvalidPreferences("this form token belongs to another application")
        return found
    slots, groups = _checked_preferences(round_, screening_ids, preferences)
    _refuse_ineligible(details, slots, groups, now or timezone.now())
    voucher = stored_voucher_as_rule(
        number=voucher_number,
        screening_types=ScreeningType.objects.filter(pk__in=screening_ids),
        details=details,
        now=now or timezone.now(),
    )
    try:
        with transaction.atomic():
            round_, moment = _locked_open_round(round_.pk, now)
            application = Application.objects.create(
                round=round_,
                number=_unused_application_number(),
                name=details.name,
                furigana=details.furigana,
                birth_date=details.birth_date,
                sex=details.sex,
                postal_code=details.postal_code,
                address=details.address,
                phone=details.phone,
                email=details.email,
                voucher_number=voucher.number if voucher else "",
                person_key=details.person_key,
                language=language,
                channel=channel,
                entered_by=entered_by,
                waitlist_consent=waitlist_consent,
                form_token=form_token or None,
                created_at=moment,
                changed_at=moment,
            )
            ApplicationScreening.objects.bulk_create(
                ApplicationScreening(
                    application=application,
                    round=round_,
                    screening_type_id=screening_id,
                    person_key=details.person_key,
                )
                for screening_id in screening_ids
            )
            _store_preferences(application, preferences)
            _queue(application, LotteryNotification.Kind.RECEIVED)
            if audit_context is not None:
                audit.record(
                    action="lottery.application.entered_by_phone",
                    context=audit_context,
                    target=application,
                    details={"round_id": round_.pk, "preferences": len(preferences)},
                )
    except IntegrityError:
        if form_token and (found := Application.objects.filter(form_token=form_token).first()):
            return found
        raise AlreadyApplied("a live application for this screening exists") from None
    log.info("lottery.application.created id=%s round=%s", application.pk, round_.pk)
    return application


def application_change(
    *,
    application: Application,
    preferences: list[PreferenceChoice],
    waitlist_consent: bool,
    now: datetime | None = None,
) -> Application:
    """Replace a live application's preferences (and waiting-list consent) until the
    window closes; one transaction under the round's lock. Raises NotChangeable (withdrawn,
    or the window has closed) or InvalidPreferences; then nothing was written."""
    screening_ids = list(
        application.screenings.filter(is_live=True).values_list("screening_type_id", flat=True)
    )
    _checked_preferences(application.round, screening_ids, preferences)
    with transaction.atomic():
        try:
            _locked_open_round(application.round_id, now)
        except RoundNotOpen:
            raise NotChangeable("the window has closed") from None
        if not Application.objects.filter(
            pk=application.pk, status=Application.Status.LIVE
        ).exists():
            raise NotChangeable("withdrawn")
        application.preferences.all().delete()
        _store_preferences(application, preferences)
        Application.objects.filter(pk=application.pk).update(
            waitlist_consent=waitlist_consent, changed_at=now or timezone.now()
        )
        application.refresh_from_db()
        _queue(application, LotteryNotification.Kind.CHANGED)
    return application


def application_withdraw(
    *,
    application: Application,
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
) -> Application:
    """Withdraw a live application until the window closes (the person may apply again).

    One transaction under the round's lock: a conditional UPDATE of the status (two
    withdrawals racing withdraw once), its screenings no longer live, the mail queued and,
    given `audit_context` (the phone desk), the "lottery.application.withdrawn_by_phone"
    record. Raises NotChangeable when already withdrawn or the window has closed."""
    with transaction.atomic():
        try:
            _, moment = _locked_open_round(application.round_id, now)
        except RoundNotOpen:
            raise NotChangeable("the window has closed") from None
        changed = Application.objects.filter(
            pk=application.pk, status=Application.Status.LIVE
        ).update(status=Application.Status.WITHDRAWN, withdrawn_at=moment, changed_at=moment)
        if not changed:
            raise NotChangeable("already withdrawn")
        application.screenings.update(is_live=False)
        application.refresh_from_db()
        _queue(application, LotteryNotification.Kind.WITHDRAWN)
        if audit_context is not None:
            audit.record(
                action="lottery.application.withdrawn_by_phone",
                context=audit_context,
                target=application,
                details={"round_id": application.round_id},
            )
    return application


def _unused_application_number() -> str:
    # Unique among applications and reservations, so that neither look-up finds the other.
    while True:
        number = new_application_number()
        if not (
            Application.objects.filter(number=number).exists()
            or Reservation.objects.filter(number=number).exists()
        ):
            return number


# --- The draw -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawSummary:
    applications: int
    places: int
    winners: int
    lost: int
    void: int
    by_rank: dict[int, int]


def _entry_preferences(
    application: Application, slots: dict[int, Slot]
) -> tuple[allocation.Preference, ...]:
    screening_ids = [s.screening_type_id for s in application.screenings.all() if s.is_live]
    groups = []
    for preference in application.preferences.all():
        choice = PreferenceChoice(
            slot_ids=tuple(s.pk for s in preference.slots.all()),
            venue_id=preference.venue_id,
            day=preference.day,
        )
        try:
            groups.append(candidate_groups(choice, screening_ids, slots))
        except InvalidPreferences:
            groups.append(())  # a preference that can no longer be met never wins
    return tuple(groups)


def _still_eligible(
    application: Application,
    groups: tuple[allocation.Preference, ...],
    slots: dict[int, Slot],
    now: datetime,
    vouchers: dict[str, VoucherMatch | None],
) -> bool:
    """Whether the booking rules (and, in 受診券 mode, the city's list) still let the
    application be booked; its voucher as checked now goes into `vouchers`."""
    met = next((g for g in groups if g), None)
    if met is None:
        return False
    details = application_details(application)
    for group in met:
        reasons = eligibility_reasons(
            slot=slots[group[0]], person=details, now=now, check_places=False
        )
        if any(r.code not in WINDOW_REASONS for r in reasons):
            return False
    # 受診券 mode: the ticket must still be on the city's list (it may have been replaced
    # since the application); the draw books with what the list says now.
    try:
        vouchers[application.number] = stored_voucher_as_rule(
            number=application.voucher_number,
            screening_types=[slots[group[0]].screening_type for group in met],
            details=details,
            now=now,
        )
    except NotEligible:
        return False
    return True


def application_details(application: Application) -> CitizenDetails:
    return CitizenDetails(
        name=application.name,
        furigana=application.furigana,
        birth_date=application.birth_date,
        sex=application.sex,
        postal_code=application.postal_code,
        address=application.address,
        phone=application.phone,
        email=application.email,
    )


def round_draw(
    *,
    round_id: int,
    user: User | None = None,
    now: datetime | None = None,
    audit_context: AuditContext | None = None,
) -> DrawSummary:
    """Draw the round, once.

    One transaction, under the round's row lock (so a second draw waits, then is refused
    with AlreadyDrawn; DrawTooEarly before the window closes): opens the seed, notes each
    slot's free places, marks applications that the booking rules now refuse (booked the
    screening elsewhere meanwhile; a 受診券 the city's list no longer allows) as void,
    runs lottery.allocation.allocate over the rest, books every winner through
    reservation_create (channel "lottery", with the 受診券番号 and the list's fee class;
    capacity and one-booking-per-year hold as for any booking), stores every result with
    its place in the order, queues the result mails, publishes the seed and writes the
    "lottery.round.drawn" audit record. If anything fails, nothing was written.
    After commit, losers who consented are offered to the waiting list (waitlist_hook).
    """
    with transaction.atomic():
        round_ = Round.objects.select_for_update().get(pk=round_id)
        now = now or timezone.now()
        if round_.drawn_at is not None:
            raise AlreadyDrawn("this round has already been drawn")
        if now < round_.closes_at:
            raise DrawTooEarly("the application window has not closed")
        seed = open_seed(bytes(round_.seed_ciphertext), round_.commitment)
        slots = round_slots(round_)
        # A session the health centre called off (reception.call_off) has no place to
        # give: the booking would refuse it, and the whole draw with it.
        places = {
            slot_id: 0 if slot.called_off_at is not None else slot.remaining
            for slot_id, slot in slots.items()
        }
        rows = list(round_.round_slots.all())
        for row in rows:
            row.places_at_draw = places.get(row.slot_id, 0)
            row.holding = False
        RoundSlot.objects.bulk_update(rows, ["places_at_draw", "holding"])

        applications = list(
            round_.applications.filter(status=Application.Status.LIVE).prefetch_related(
                "screenings",
                Prefetch("preferences", queryset=Preference.objects.order_by("rank")),
                "preferences__slots",
            )
        )
        entries = []
        by_number: dict[str, Application] = {}
        vouchers: dict[str, VoucherMatch | None] = {}
        for application in applications:
            groups = _entry_preferences(application, slots)
            application.draw_preferences = [[list(g) for g in pref] for pref in groups]
            by_number[application.number] = application
            if _still_eligible(application, groups, slots, now, vouchers):
                entries.append(allocation.Entry(application.number, groups))
            else:
                application.result = Application.Result.VOID
        outcomes = allocation.allocate(seed, entries, places)

        order = allocation.draw_order(seed, [a.number for a in applications])
        positions = {number: i for i, number in enumerate(order, start=1)}
        for outcome in outcomes:
            application = by_number[outcome.number]
            if outcome.rank is None:
                application.result = Application.Result.LOST
                continue
            won = [slots[slot_id] for slot_id in outcome.slot_ids]
            voucher = vouchers[application.number]
            booking = reservation_create(
                slots=won,
                details=application_details(application),
                channel=Reservation.Channel.LOTTERY,
                language=application.language,
                now=now,
                voucher_number=voucher.number if voucher else "",
                fee_class=voucher.fee_class if voucher else "",
            )
            application.result = Application.Result.WON
            application.won_rank = outcome.rank
            application.won_slot_ids = list(outcome.slot_ids)
            application.reservation = booking.reservation
        for application in applications:
            application.draw_position = positions[application.number]
        Application.objects.bulk_update(
            applications,
            [
                "result",
                "won_rank",
                "won_slot_ids",
                "reservation",
                "draw_position",
                "draw_preferences",
            ],
            batch_size=500,
        )
        LotteryNotification.objects.bulk_create(
            LotteryNotification(
                application=a,
                kind=LotteryNotification.Kind.WON
                if a.result == Application.Result.WON
                else LotteryNotification.Kind.LOST,
            )
            for a in applications
            if a.email
        )
        round_.drawn_at = now
        round_.drawn_by = user
        round_.published_seed = seed.hex()
        round_.save(update_fields=["drawn_at", "drawn_by", "published_seed"])
        results = Counter(a.result for a in applications)
        summary = DrawSummary(
            applications=len(applications),
            places=sum(places.values()),
            winners=results[Application.Result.WON],
            lost=results[Application.Result.LOST],
            void=results[Application.Result.VOID],
            by_rank=dict(Counter(a.won_rank for a in applications if a.won_rank)),
        )
        audit.record(
            action="lottery.round.drawn",
            context=audit_context,
            actor=user,
            target=round_,
            details={
                "seed": round_.published_seed,
                "commitment": round_.commitment,
                "applications": summary.applications,
                "places": summary.places,
                "winners": summary.winners,
                "lost": summary.lost,
                "void": summary.void,
                "winners_by_preference": {
                    f"rank_{k}": v for k, v in sorted(summary.by_rank.items())
                },
            },
        )
        public_pages_changed()
        transaction.on_commit(lambda: offer_losers_to_waitlist(round_))
    log.info(
        "lottery.round.drawn round=%s applications=%s winners=%s",
        round_.pk,
        summary.applications,
        summary.winners,
    )
    return summary


def round_draw_refused(
    *, round_id: int, code: str, user: User | None, audit_context: AuditContext | None
) -> None:
    """The audit record of a draw that was refused (a second run, or too early)."""
    audit.record(
        action="lottery.round.draw_refused",
        context=audit_context,
        actor=user,
        target_type="lottery.Round",
        target_id=round_id,
        outcome="denied",
        details={"code": code},
    )

"""Lottery rounds (抽選受付): an application window over a set of slots, then one draw.

The invariants live in the database: a slot is held by at most one round that has not
been drawn yet (a partial UniqueConstraint on RoundSlot), and one person has at most one
live application per screening per round (a partial UniqueConstraint on
ApplicationScreening). The draw itself is lottery.allocation (pure) run by
lottery.services.round_draw (once).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Sex
from reservations.models import (
    RESERVATION_NUMBER_DIGITS,
    Reservation,
    ScreeningType,
    Slot,
    Venue,
    format_reservation_number,
    staff_user_fk,
)

MAX_PREFERENCES = 3


class RoundPhase(models.TextChoices):
    """Where a round is in its life, from its times and whether it has been drawn."""

    SCHEDULED = "scheduled", _("Not open yet")
    OPEN = "open", _("Accepting applications")
    CLOSED = "closed", _("Closed, waiting for the draw")
    DRAWN = "drawn", _("Drawn")


class Round(models.Model):
    """One application period over the slots of some screenings (optionally some venues
    and dates), its draw time and when the places left open first-come.

    The seed is 32 random bytes made when the round is created, kept encrypted
    (lottery.seed) and published only after the draw; its SHA-256, the commitment, is
    public from the moment the window opens.
    """

    name = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    screening_types = models.ManyToManyField(
        ScreeningType, related_name="+", verbose_name=_("screening types")
    )
    venues = models.ManyToManyField(
        Venue,
        related_name="+",
        blank=True,
        verbose_name=_("venues"),
        help_text=_("Leave empty for every venue."),
    )
    first_date = models.DateField(_("first screening date"), null=True, blank=True)
    last_date = models.DateField(_("last screening date"), null=True, blank=True)
    opens_at = models.DateTimeField(_("applications open at"))
    closes_at = models.DateTimeField(_("applications close at"))
    draw_at = models.DateTimeField(_("draw at"))
    first_come_at = models.DateTimeField(_("places left open first-come at"))
    seed_ciphertext = models.BinaryField(editable=False)
    commitment = models.CharField(_("commitment (SHA-256 of the seed)"), max_length=64)
    published_seed = models.CharField(
        _("seed (published after the draw)"), max_length=64, blank=True
    )
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    drawn_by = staff_user_fk(_("drawn by"), editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("lottery round")
        verbose_name_plural = _("lottery rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="round_window_valid"
            ),
            models.CheckConstraint(
                condition=Q(draw_at__gte=F("closes_at")), name="round_draw_after_close"
            ),
            models.CheckConstraint(
                condition=Q(first_come_at__gte=F("draw_at")), name="round_first_come_after_draw"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def phase(self, now: datetime | None = None) -> RoundPhase:
        now = now or timezone.now()
        if self.drawn_at is not None:
            return RoundPhase.DRAWN
        if now < self.opens_at:
            return RoundPhase.SCHEDULED
        if now < self.closes_at:
            return RoundPhase.OPEN
        return RoundPhase.CLOSED

    def accepts_applications(self, now: datetime | None = None) -> bool:
        return self.phase(now) == RoundPhase.OPEN

    def holds_slots(self, now: datetime | None = None) -> bool:
        """From the window's opening until first-come opening, the slots are the round's."""
        now = now or timezone.now()
        return self.opens_at <= now < self.first_come_at


class RoundSlot(models.Model):
    """A slot of a round. `holding` stays True until the round is drawn: while it does, no
    other round may take the slot (the partial unique constraint)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="round_slots")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="+")
    holding = models.BooleanField(default=True)
    # The slot's free places when the draw began (published with the result).
    places_at_draw = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("slot of a round")
        verbose_name_plural = _("slots of a round")
        constraints = [
            models.UniqueConstraint(fields=["round", "slot"], name="round_slot_once"),
            models.UniqueConstraint(
                fields=["slot"], condition=Q(holding=True), name="slot_in_one_undrawn_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.slot_id}"


def new_application_number() -> str:
    """12 random digits, like a reservation number: nothing in it reveals order or count."""
    return "".join(secrets.choice("0123456789") for _ in range(RESERVATION_NUMBER_DIGITS))


class Application(models.Model):
    """One person's ranked preferences in a round, with the details a booking needs.

    The details are kept here (not in a Citizen row) until the draw: a winner's booking
    gets its own Citizen through reservations.services.reservation_create.
    """

    class Status(models.TextChoices):
        LIVE = "live", _("Live")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Result(models.TextChoices):
        PENDING = "", _("Not drawn yet")
        WON = "won", _("Won")
        LOST = "lost", _("Not drawn")
        # Could not be booked at the draw (e.g. booked the screening elsewhere meanwhile).
        VOID = "void", _("Not eligible at the draw")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        PHONE = "phone", _("Phone (staff)")

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="applications", verbose_name=_("round")
    )
    number = models.CharField(
        _("application number"), max_length=RESERVATION_NUMBER_DIGITS, unique=True
    )
    name = models.CharField(_("name"), max_length=60)
    furigana = models.CharField(_("furigana"), max_length=60)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    postal_code = models.CharField(_("postal code"), max_length=7)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    # 受診券 mode (ScreeningType.voucher_required): the 受診券番号 checked when applying,
    # checked against the city's list again at the draw.
    voucher_number = models.CharField(_("screening ticket number"), max_length=20, blank=True)
    person_key = models.CharField(max_length=100, editable=False)
    language = models.CharField(_("language"), max_length=5, default="ja")
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    entered_by = staff_user_fk(_("entered by (staff)"), editable=False)
    waitlist_consent = models.BooleanField(_("join the waiting list if not drawn"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.LIVE
    )
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, blank=True, default=""
    )
    won_rank = models.PositiveSmallIntegerField(_("won preference"), null=True, blank=True)
    reservation = models.OneToOneField(
        Reservation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lottery_application",
        verbose_name=_("reservation"),
    )
    # Fixed at the draw and published: place in the draw order, the preferences as the
    # allocation saw them (per preference, per screening, the candidate slot ids) and the
    # slots won. Later changes to slots cannot change what was drawn.
    draw_position = models.PositiveIntegerField(_("place in the draw order"), null=True, blank=True)
    draw_preferences = models.JSONField(default=list, blank=True, editable=False)
    won_slot_ids = models.JSONField(default=list, blank=True, editable=False)
    form_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("applied at"), default=timezone.now, editable=False)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, editable=False)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lottery application")
        verbose_name_plural = _("lottery applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(won_rank__isnull=True)
                | (Q(won_rank__gte=1) & Q(won_rank__lte=MAX_PREFERENCES) & Q(result="won")),
                name="application_won_rank_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="live") | Q(withdrawn_at__isnull=False),
                name="application_withdrawn_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return format_reservation_number(self.number)

    @property
    def display_number(self) -> str:
        return format_reservation_number(self.number)

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE


class ApplicationScreening(models.Model):
    """A screening applied for: the database refuses a second live application of the
    same person (person key) for the same screening in the same round."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="screenings"
    )
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    screening_type = models.ForeignKey(ScreeningType, on_delete=models.PROTECT, related_name="+")
    person_key = models.CharField(max_length=100)
    is_live = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("screening applied for")
        verbose_name_plural = _("screenings applied for")
        constraints = [
            models.UniqueConstraint(
                fields=["person_key", "screening_type", "round"],
                condition=Q(is_live=True),
                name="one_live_application_per_person_screening_round",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.screening_type_id}"


class Preference(models.Model):
    """第n希望: either given slots (one per screening of the application, one session), or a
    day at a venue (any time that day, the earliest with a place)."""

    class Kind(models.TextChoices):
        SLOT = "slot", _("A time")
        DAY = "day", _("Any time on a day at a venue")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="preferences"
    )
    rank = models.PositiveSmallIntegerField(_("preference"))
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    slots = models.ManyToManyField(Slot, related_name="+", blank=True)
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    day = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["application_id", "rank"]
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"], name="preference_rank_once"),
            models.CheckConstraint(
                condition=Q(rank__gte=1) & Q(rank__lte=MAX_PREFERENCES),
                name="preference_rank_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="slot")
                | (Q(kind="day") & Q(venue__isnull=False) & Q(day__isnull=False)),
                name="preference_day_has_venue_and_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}#{self.rank}"


class LotteryNotification(models.Model):
    """Outbox for the round's mails, written in the same transaction as what they tell:
    a rolled-back application or draw leaves no row, a committed one always has one."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Application received")
        CHANGED = "changed", _("Application changed")
        WITHDRAWN = "withdrawn", _("Application withdrawn")
        WON = "won", _("Result: drawn")
        LOST = "lost", _("Result: not drawn")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the sender may take it (again): now, a lease ahead while one sends it, or after
    # a failure the backoff's delay (lottery.mail).
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("lottery mail")
        verbose_name_plural = _("lottery mails")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

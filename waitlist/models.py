"""The waiting list (キャンセル待ち): who waits for which places, and the places offered.

Invariants in the database: one live entry per person (the bookings' person key), screening
and fiscal year (a partial UniqueConstraint); one open offer per entry; and, on the slot,
booked + held <= capacity (reservations.Slot), where `held` counts the open offers of the
slot. The services keep `held` equal to the number of open offers: every offer is opened,
confirmed, declined or expired in one transaction with its counter change.
"""

from __future__ import annotations

import secrets
from datetime import date

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Sex
from citizens.models import person_key as make_person_key
from citizens.models import person_keys as make_person_keys
from reservations.eligibility import CitizenDetails
from reservations.models import (
    RESERVATION_NUMBER_DIGITS,
    Reservation,
    ScreeningType,
    Slot,
    Venue,
    format_reservation_number,
    staff_user_fk,
)

# Same shape as a reservation number (12 random digits, read aloud in fours): nothing in
# it reveals order or count, and it only opens an entry together with the date of birth.
ENTRY_NUMBER_DIGITS = RESERVATION_NUMBER_DIGITS


def new_entry_number() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(ENTRY_NUMBER_DIGITS))


def new_offer_token() -> str:
    return secrets.token_urlsafe(32)


class WaitlistEntry(models.Model):
    """One person waiting for a place of one screening, with what they would accept:
    chosen slots, or a date range (at one venue, or any when `venue` is empty)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a place")
        BOOKED = "booked", _("Booked")
        LEFT = "left", _("Left the list")
        DECLINED = "declined", _("Declined the offer")
        EXPIRED = "expired", _("Offer not answered in time")
        CLOSED = "closed", _("Closed (no longer eligible)")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        PHONE = "phone", _("Phone (staff)")
        LOTTERY = "lottery", _("Lottery")

    LIVE = (Status.WAITING, Status.OFFERED)

    number = models.CharField(_("entry number"), max_length=ENTRY_NUMBER_DIGITS, unique=True)
    screening_type = models.ForeignKey(
        ScreeningType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("screening type"),
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    person_key = models.CharField(max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    # Why the entry left the list when the resident did not choose to (an eligibility
    # reason code such as "already_booked", or "window_closed"); never personal data.
    closed_reason = models.CharField(_("closed because"), max_length=40, blank=True)

    # What the resident accepts.
    slots = models.ManyToManyField(
        Slot, blank=True, related_name="+", verbose_name=_("accepted times")
    )
    venue = models.ForeignKey(
        Venue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("venue (empty: any)"),
    )
    first_date = models.DateField(_("from"), null=True, blank=True)
    last_date = models.DateField(_("to"), null=True, blank=True)

    # The resident's details, as the booking form takes them: the confirmed offer books
    # with these.
    name = models.CharField(_("name"), max_length=60)
    furigana = models.CharField(_("furigana"), max_length=60)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    postal_code = models.CharField(_("postal code"), max_length=7)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    # 受診券 mode (ScreeningType.voucher_required): the 受診券番号 checked when joining,
    # checked against the city's list again before an offer and at its confirmation.
    voucher_number = models.CharField(_("screening ticket number"), max_length=20, blank=True)

    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    added_by = staff_user_fk(_("added by (staff)"))
    language = models.CharField(_("language"), max_length=5, default="ja")
    created_at = models.DateTimeField(_("joined at"), default=timezone.now)
    closed_at = models.DateTimeField(_("left the list at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting-list entries")
        constraints = [
            models.UniqueConstraint(
                fields=["person_key", "screening_type", "fiscal_year"],
                condition=Q(status__in=["waiting", "offered"]),
                name="one_live_waitlist_entry_per_person_screening_year",
            ),
            models.CheckConstraint(
                condition=Q(first_date__isnull=True, last_date__isnull=True)
                | Q(first_date__isnull=False, last_date__gte=models.F("first_date")),
                name="waitlist_entry_date_range_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "offered"], closed_at__isnull=True)
                | (~Q(status__in=["waiting", "offered"]) & Q(closed_at__isnull=False)),
                name="waitlist_entry_closed_at_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["screening_type", "status", "created_at"])]

    def __str__(self) -> str:
        return format_reservation_number(self.number)

    @property
    def display_number(self) -> str:
        return format_reservation_number(self.number)

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    # The eligibility rules' Person (reservations.eligibility.Person).
    @property
    def person_keys(self) -> list[str]:
        return make_person_keys(self.furigana, self.birth_date)

    def details(self) -> CitizenDetails:
        return CitizenDetails(
            name=self.name,
            furigana=self.furigana,
            birth_date=self.birth_date,
            sex=self.sex,
            postal_code=self.postal_code,
            address=self.address,
            phone=self.phone,
            email=self.email,
        )

    def accepts_day(self, day: date, venue_id: int) -> bool:
        if self.first_date is None or self.last_date is None:
            return False
        return self.first_date <= day <= self.last_date and self.venue_id in (None, venue_id)


def entry_person_key(details: CitizenDetails) -> str:
    return make_person_key(details.furigana, details.birth_date)


class Offer(models.Model):
    """A place held for one entry until it is confirmed, declined or expires."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="offers", verbose_name=_("entry")
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="+", verbose_name=_("slot")
    )
    # The secret of the mailed link; the page still asks for the date of birth.
    token = models.CharField(max_length=64, unique=True, default=new_offer_token, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("offered at"), default=timezone.now)
    expires_at = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = staff_user_fk(_("confirmed by (staff)"))
    reservation = models.OneToOneField(
        Reservation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reservation"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waiting-list offer")
        verbose_name_plural = _("waiting-list offers")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status="open"),
                name="one_open_offer_per_entry",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="waitlist_offer_expires_after_offered",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.entry} → {self.slot_id}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class WaitlistMail(models.Model):
    """The waiting list's outbox: a mail written in the transaction that needs it.

    Its own table rather than reservations.Notification, whose rows belong to a
    reservation; a waiting-list entry has none until its offer is confirmed (and then the
    booking's confirmation goes through reservations' outbox as usual).
    """

    class Kind(models.TextChoices):
        JOINED = "joined", _("Joined the waiting list")
        OFFER = "offer", _("A place is offered")
        CLOSED = "closed", _("Entry closed")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="mails", verbose_name=_("entry")
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, null=True, blank=True, related_name="mails"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waiting-list mail")
        verbose_name_plural = _("waiting-list mails")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

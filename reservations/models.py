"""Screenings, venues, slots and the reservations that fill them.

The invariants live in the database: a slot's booked count never exceeds its capacity
(CheckConstraint), and one person holds at most one live booking of a screening per
fiscal year (a partial UniqueConstraint on ReservationItem). Services give the friendly
message; the constraints give the guarantee.
"""

import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Citizen, Sex

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def fiscal_year_of(day: date) -> int:
    """Japanese fiscal year (年度): April to March. 2027-03-31 belongs to FY2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_end(fiscal_year: int) -> date:
    return date(fiscal_year + 1, 3, 31)


def fiscal_year_end_age(birth_date: date, screening_date: date) -> int:
    """年度末年齢: the age on 31 March of the fiscal year the screening falls in.

    In law (年齢計算ニ関スル法律, 民法143条) a year of age is completed at the end of the
    day before the birthday, so someone born on 1 April is already a year older on
    31 March. That is why municipalities count cancer-screening ages on the following
    1 April ("40 or over in FY2026" = born on or before 1 April 1987), and so do we.
    """
    reference = date(fiscal_year_of(screening_date) + 1, 4, 1)
    return (
        reference.year
        - birth_date.year
        - ((reference.month, reference.day) < (birth_date.month, birth_date.day))
    )


class SexRequirement(models.TextChoices):
    ANY = "", _("Anyone")
    FEMALE = Sex.FEMALE.value, _("Women only")
    MALE = Sex.MALE.value, _("Men only")


class ScreeningType(models.Model):
    """A kind of screening and who may take it. Eligibility is data, not code."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name (Japanese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    description = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age on 31 March"))
    max_age = models.PositiveSmallIntegerField(_("maximum age on 31 March"), null=True, blank=True)
    sex = models.CharField(
        _("sex"), max_length=1, choices=SexRequirement.choices, blank=True, default=""
    )
    interval_years = models.PositiveSmallIntegerField(
        _("interval in fiscal years"),
        default=1,
        help_text=_("1 = every year, 2 = every other fiscal year."),
    )
    fee = models.PositiveIntegerField(_("fee (yen)"), default=0)
    # Fee exemptions (reservations.fees.fee_for reads them): free from this 年度末年齢 on
    # (e.g. 70歳以上 free), and free for those turning exactly this age in the fiscal year
    # (the 無料クーポン of breast screening at 40). Empty = no such exemption.
    free_from_age = models.PositiveSmallIntegerField(
        _("free from this age on 31 March"), null=True, blank=True
    )
    free_coupon_age = models.PositiveSmallIntegerField(
        _("free coupon for those turning this age in the fiscal year"), null=True, blank=True
    )
    what_to_bring = models.TextField(_("what to bring (Japanese)"), blank=True)
    what_to_bring_en = models.TextField(_("what to bring (English)"), blank=True)
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)
    # 検診種別コード of the MHLW/JAMI municipal screening data specification (51 肺 …),
    # for the export (docs/export-format.md); blank for the city's own checks.
    system_code = models.CharField(
        _("screening type code (検診種別コード)"), max_length=4, blank=True
    )
    # 受診券 mode (vouchers app): only people on the city's list may book.
    voucher_required = models.BooleanField(
        _("screening ticket (受診券) required"),
        default=False,
        help_text=_(
            "Only people on the city's imported list may book, with 受診券番号 + date of birth."
        ),
    )

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name = _("screening type")
        verbose_name_plural = _("screening types")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_age__isnull=True) | Q(max_age__gte=F("min_age")),
                name="screeningtype_age_range_valid",
            ),
            models.CheckConstraint(
                condition=Q(interval_years__gte=1), name="screeningtype_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Venue(models.Model):
    name = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200)
    access = models.TextField(_("access (Japanese)"), blank=True)
    access_en = models.TextField(_("access (English)"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # 会場コード in the health management system, for the export.
    code = models.CharField(_("venue code (会場コード)"), max_length=10, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self) -> str:
        return self.name


class SlotQuerySet(models.QuerySet["Slot"]):
    def bookable(self, now: datetime | None = None) -> "SlotQuerySet":
        """Slots whose booking window is open now and which still have a free place."""
        now = now or timezone.now()
        return self.filter(
            opens_at__lte=now,
            closes_at__gt=now,
            booked__lt=F("capacity") - F("held"),
            starts_at__gt=now,
            called_off_at__isnull=True,
        )


class SlotState(models.TextChoices):
    """Whether a slot can be booked now: its booking window, and (for the pages) its places.

    Slot.window_state gives the first three; the availability pages add FULL for an open
    window with no place left.
    """

    # Never shown as such (the pages word each state in full), so no translated labels.
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"
    FULL = "full"


class PlaceMark(models.TextChoices):
    """○ / △ / ×: how many places are left, always shown with the number."""

    FREE = "free", _("places available")
    FEW = "few", _("few places left")
    FULL = "full", _("full")


class Slot(models.Model):
    """One venue, one screening, one time: capacity places, `booked` of them taken.

    `booked` is only ever changed by a conditional UPDATE in reservations.services, never
    read-modify-written in Python; the CheckConstraint makes overbooking impossible even
    for code that forgets.
    """

    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, related_name="slots", verbose_name=_("venue")
    )
    screening_type = models.ForeignKey(
        ScreeningType,
        on_delete=models.PROTECT,
        related_name="slots",
        verbose_name=_("screening type"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    booked = models.PositiveIntegerField(_("booked"), default=0, editable=False)
    # Places held for waiting-list offers (waitlist.Offer): taken for everyone else until
    # the resident confirms (held -1, booked +1), declines or lets the offer expire.
    held = models.PositiveIntegerField(_("held for the waiting list"), default=0, editable=False)
    opens_at = models.DateTimeField(_("booking opens at"))
    closes_at = models.DateTimeField(_("booking closes at"))
    # Set when the health centre calls the session off (reception.services.call_off): no
    # booking can land on it any more (services._take_place) and the pages show it closed.
    called_off_at = models.DateTimeField(_("called off at"), null=True, blank=True, editable=False)

    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "venue_id", "screening_type_id"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__gte=0)
                & Q(held__gte=0)
                & Q(booked__lte=F("capacity") - F("held")),
                name="slot_booked_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="slot_window_valid"
            ),
            models.UniqueConstraint(
                fields=["venue", "screening_type", "starts_at"], name="slot_unique_time"
            ),
        ]
        indexes = [models.Index(fields=["screening_type", "starts_at"])]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.screening_type} {local:%Y-%m-%d %H:%M} {self.venue}"

    @property
    def remaining(self) -> int:
        """Places anyone may book now: held places are taken until their offer ends."""
        return max(self.capacity - self.booked - self.held, 0)

    @property
    def fill_rate(self) -> float:
        return self.booked / self.capacity if self.capacity else 1.0

    @property
    def local_date(self) -> date:
        return timezone.localtime(self.starts_at).date()

    @property
    def fiscal_year(self) -> int:
        return fiscal_year_of(self.local_date)

    def window_state(self, now: datetime | None = None) -> SlotState:
        """NOT_OPEN, OPEN or CLOSED — the booking window, not the places."""
        now = now or timezone.now()
        if self.called_off_at is not None:
            return SlotState.CLOSED
        if now < self.opens_at:
            return SlotState.NOT_OPEN
        if now >= self.closes_at or now >= self.starts_at:
            return SlotState.CLOSED
        return SlotState.OPEN


def staff_user_fk(
    verbose_name: "StrOrPromise",
    *,
    on_delete: Callable[..., None] = models.SET_NULL,
    editable: bool = True,
) -> "models.ForeignKey[Any, Any]":
    """An optional link to the staff user who did something (booked, cancelled, downloaded).

    No reverse accessor: a user's bookings or downloads are looked up from this side.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=on_delete,
        null=True,
        blank=True,
        related_name="+",
        editable=editable,
        verbose_name=verbose_name,
    )


# Digits only, so that an elderly resident can read the number over the phone; 12 random
# digits (10^12 possibilities) plus the date of birth plus rate-limited look-ups make
# guessing hopeless, and nothing in the number reveals order or count.
RESERVATION_NUMBER_DIGITS = 12


def new_reservation_number() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(RESERVATION_NUMBER_DIGITS))


def format_reservation_number(number: str) -> str:
    """ "123456789012" → "1234-5678-9012" for display and reading aloud."""
    return "-".join(number[i : i + 4] for i in range(0, len(number), 4))


class ReservationGroup(models.Model):
    """Several people booked in one sitting (家族・代理予約): a daughter for both parents.

    Each person screened still has their own Reservation, number and Citizen row (each
    can look up, move or cancel theirs alone); the group only ties them together and
    holds who booked them, who need not be screened: one confirmation mail goes to
    `contact_email`. `first_number` is the first member's reservation number, the name
    the export gives the group (同時予約) and staff read over the phone.
    """

    contact_name = models.CharField(_("contact name"), max_length=60)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    contact_email = models.EmailField(_("contact email"), blank=True)
    first_number = models.CharField(
        _("first member's reservation number"), max_length=RESERVATION_NUMBER_DIGITS
    )
    channel = models.CharField(_("channel"), max_length=10, default="web")
    language = models.CharField(_("language"), max_length=5, default="ja")
    # As Reservation.form_token: a replayed submit finds the group it already made.
    form_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("booked at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("booking for several people")
        verbose_name_plural = _("bookings for several people")

    def __str__(self) -> str:
        return format_reservation_number(self.first_number)


class Reservation(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        PHONE = "phone", _("Phone (staff)")
        WAITLIST = "waitlist", _("Waiting list")
        # Won in a lottery round's draw (lottery.services.round_draw).
        LOTTERY = "lottery", _("Lottery draw")

    class CancelledBy(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")

    class CancelReason(models.TextChoices):
        NONE = "", _("Not given")
        CALLED_OFF = "called_off", _("The session was called off")

    number = models.CharField(
        _("reservation number"), max_length=RESERVATION_NUMBER_DIGITS, unique=True
    )
    citizen = models.OneToOneField(Citizen, on_delete=models.PROTECT, related_name="reservation")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    booked_by = staff_user_fk(_("booked by (staff)"))
    language = models.CharField(_("language"), max_length=5, default="ja")
    # The hidden token of the form that created this booking: a replayed or double-clicked
    # submit finds the first reservation instead of making a second.
    form_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("booked at"), default=timezone.now, editable=False)
    # Set by services whenever what the health centre needs to know changes (move, cancel).
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    cancelled_by_kind = models.CharField(
        _("cancelled by"), max_length=10, choices=CancelledBy.choices, blank=True, editable=False
    )
    cancelled_by = staff_user_fk(_("cancelled by (staff)"), editable=False)
    # From the city's list when the screening needs a 受診券 (vouchers.services.voucher_check):
    # the normalised 受診券番号 and the fee class; blank for an open booking.
    voucher_number = models.CharField(
        _("screening ticket number (受診券番号)"), max_length=20, blank=True
    )
    fee_class = models.CharField(_("fee class"), max_length=10, blank=True)
    cancel_reason = models.CharField(
        _("cancellation reason"),
        max_length=20,
        choices=CancelReason.choices,
        blank=True,
        default="",
        editable=False,
    )
    # Booked together with others (reservations.group); 0 is the first person.
    group = models.ForeignKey(
        ReservationGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="members",
        verbose_name=_("booked together"),
    )
    group_position = models.PositiveSmallIntegerField(
        _("place in the group"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        indexes = [models.Index(fields=["changed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="cancelled", cancelled_at__isnull=False))
                | (Q(status="confirmed", cancelled_at__isnull=True)),
                name="reservation_cancelled_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(group__isnull=True, group_position__isnull=True)
                | Q(group__isnull=False, group_position__isnull=False),
                name="reservation_group_position_with_group",
            ),
            models.UniqueConstraint(
                fields=["group", "group_position"], name="reservation_one_member_per_position"
            ),
        ]

    def __str__(self) -> str:
        return format_reservation_number(self.number)

    @property
    def display_number(self) -> str:
        return format_reservation_number(self.number)

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.CONFIRMED


class ReservationItem(models.Model):
    """One screening inside a reservation (セット検診 = several items, same day and venue).

    `person_key` and `fiscal_year` are copied here from the citizen and the slot so that
    the database itself can refuse a second live booking of the same screening by the same
    person in one fiscal year.
    """

    reservation = models.ForeignKey(
        Reservation,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("reservation"),
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="items", verbose_name=_("slot")
    )
    screening_type = models.ForeignKey(
        ScreeningType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("screening type"),
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    person_key = models.CharField(max_length=100)
    is_live = models.BooleanField(_("live (not cancelled)"), default=True)

    class Meta:
        verbose_name = _("reserved screening")
        verbose_name_plural = _("reserved screenings")
        constraints = [
            models.UniqueConstraint(
                fields=["person_key", "screening_type", "fiscal_year"],
                condition=Q(is_live=True),
                name="one_live_booking_per_person_screening_year",
            ),
        ]
        indexes = [models.Index(fields=["person_key", "screening_type"])]

    def __str__(self) -> str:
        return f"{self.reservation_id}/{self.slot_id}"


class ScreeningHistory(models.Model):
    """That someone had a screening in a fiscal year, kept after their booking was purged.

    Reservations (and the personal data in them) are deleted RESERVATION_RETENTION_DAYS
    after the screening, but the interval rule (e.g. breast screening every two fiscal
    years) and one-booking-per-fiscal-year must outlive that. This row keeps only a keyed
    hash of フリガナ + 生年月日, the screening and the fiscal year — not who it was — and is
    itself deleted once the interval has passed.
    """

    person_hash = models.CharField(max_length=64)
    screening_type = models.ForeignKey(ScreeningType, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("screening history")
        verbose_name_plural = _("screening history")
        constraints = [
            models.UniqueConstraint(
                fields=["person_hash", "screening_type", "fiscal_year"],
                name="one_history_row_per_person_screening_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.screening_type_id}/{self.fiscal_year}"


class Notification(models.Model):
    """Transactional outbox: a mail to send, written in the booking's own transaction.

    A rolled-back booking leaves no row, so it never mails; a committed one always has a
    row, so a worker (`send_notifications`) eventually delivers it.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Booking confirmation")
        CHANGE = "change", _("Change confirmation")
        CANCELLATION = "cancellation", _("Cancellation")
        REMINDER = "reminder", _("Reminder")
        HEALTH_CENTRE_COPY = "hc_copy", _("Copy to the health centre")
        CALLED_OFF = "called_off", _("Session called off")
        # One mail to the person who booked several people (ReservationGroup), listing
        # them all; queued on the first member's reservation.
        GROUP_CONFIRMATION = "group_confirmation", _("Confirmation of a booking for several people")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # No longer needed when its turn came (e.g. a reminder for a since-cancelled
        # booking); last_error says why. Never retried.
        SKIPPED = "skipped", _("Not needed")

    reservation = models.ForeignKey(
        Reservation,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("reservation"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What the health-centre copy is about (confirmation / change / cancellation).
    about = models.CharField(_("about"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation", "kind"],
                condition=Q(kind="reminder"),
                name="one_reminder_per_reservation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

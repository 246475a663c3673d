"""The read side of the resident's journey: what is offered and where places are free.

The top and availability pages are the opening-day flood, so what they show is built from
plain values cached for settings.PUBLIC_CACHE_SECONDS in the shared cache (Redis in
production): however many requests arrive, each process asks the database at most once
per key and period. A second of staleness is harmless; the booking itself re-checks every
place with a conditional UPDATE.

The pages behind a form (add a screening on the same day, move a booking) read the
database directly, because there a stale answer would cost the resident a step.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BigIntegerField,
    Case,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from reservations import page_cache
from reservations.eligibility import CitizenDetails, eligible_slots
from reservations.fees import fee_for
from reservations.models import (
    PlaceMark,
    Reservation,
    ReservationItem,
    ScreeningType,
    Slot,
    SlotQuerySet,
    SlotState,
    Venue,
    fiscal_year_of,
)
from reservations.precompiled import Precompiled, Value
from vouchers.fees import reservation_payer

T = TypeVar("T")

log = logging.getLogger("reservations.queries")

# A slot with this many places or fewer left is shown as △ ("few left").
FEW_LEFT = 3


def place_mark(remaining: int) -> PlaceMark:
    """○ / △ / × — always shown together with the number, never colour alone."""
    if remaining <= 0:
        return PlaceMark.FULL
    if remaining <= FEW_LEFT:
        return PlaceMark.FEW
    return PlaceMark.FREE


def _cached(key: str, build: Callable[[], T]) -> T:
    """`build()` cached for PUBLIC_CACHE_SECONDS (not at all when that is 0).

    The cache only saves work: when it is down or does not answer (its socket timeouts are
    in settings.cache_config), the value is built from the database and not stored, so
    the page is slower but still answers. One failed call per value, not two: after a
    failed read the write is not attempted.
    """
    seconds = settings.PUBLIC_CACHE_SECONDS
    if seconds <= 0 or page_cache.reads_fresh():
        # A page rendered for the page cache reads the database: it is then kept for the
        # same period, and an older value here would make it older still.
        return build()
    try:
        value = cache.get(key)
    except Exception as exc:  # noqa: BLE001 - any cache failure: render uncached
        log.warning("reservations.cache.unavailable: %s", type(exc).__name__)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, seconds)
        except Exception as exc:  # noqa: BLE001 - not stored this time; still shown
            log.warning("reservations.cache.unavailable: %s", type(exc).__name__)
    return value


# --- Top page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreeningSummary:
    screening: ScreeningType
    state: SlotState
    free_places: int
    next_opens_at: datetime | None
    closes_at: datetime | None
    # The fiscal years of the dates still to be booked (or opening): age is reckoned on
    # 31 March of each, so April slots opened in March need next year's date.
    fiscal_years: tuple[int, ...] = ()


def screening_summaries(now: datetime | None = None) -> list[ScreeningSummary]:
    """Every offered screening with where its booking stands right now."""
    return _cached("resident:summaries", lambda: _build_summaries(now or timezone.now()))


def _build_summaries(now: datetime) -> list[ScreeningSummary]:
    window_open = Q(opens_at__lte=now, closes_at__gt=now)
    rows = (
        Slot.objects.filter(
            starts_at__gt=now, screening_type__is_active=True, called_off_at__isnull=True
        )
        .values("screening_type_id")
        .annotate(
            free=Sum(
                Case(When(window_open, then=F("capacity") - F("booked") - F("held")), default=0),
                output_field=IntegerField(),
            ),
            open_slots=Sum(Case(When(window_open, then=1), default=0), output_field=IntegerField()),
            next_opens=Min(Case(When(opens_at__gt=now, then=F("opens_at")))),
            last_closes=Max(Case(When(window_open, then=F("closes_at")))),
            first_date=Min(Case(When(closes_at__gt=now, then=F("starts_at")))),
            last_date=Max(Case(When(closes_at__gt=now, then=F("starts_at")))),
        )
    )
    by_type = {row["screening_type_id"]: row for row in rows}
    summaries = []
    for screening in ScreeningType.objects.filter(is_active=True):
        row = by_type.get(screening.pk)
        years: tuple[int, ...] = (current_fiscal_year(),)
        if row is None:
            state, free, next_opens, closes = SlotState.CLOSED, 0, None, None
        else:
            if row["first_date"] is not None:
                years = fiscal_years_between(row["first_date"], row["last_date"])
            free = row["free"] or 0
            next_opens, closes = row["next_opens"], row["last_closes"]
            if free > 0:
                state = SlotState.OPEN
            elif next_opens is not None:
                state = SlotState.NOT_OPEN
            elif row["open_slots"]:
                state = SlotState.FULL
            else:
                state = SlotState.CLOSED
        summaries.append(ScreeningSummary(screening, state, free, next_opens, closes, years))
    return summaries


# --- Availability page --------------------------------------------------------------------


class SlotView(NamedTuple):
    """A slot as the availability page needs it: plain values, cheap to cache.

    The booking window is decided when the value is built (`window`: open, not_open or
    closed; `opens_at` only when not open yet), from times read as whole seconds (see
    month_slots). Cached, it is at most PUBLIC_CACHE_SECONDS old, like the page itself;
    the booking re-checks the window. A named tuple, not a frozen dataclass: a month
    builds 150 of them, and a tuple is made three times faster.
    """

    id: int
    venue_id: int
    starts_at: datetime
    capacity: int
    booked: int
    window: str  # SlotState.OPEN, NOT_OPEN or CLOSED
    opens_at: datetime | None = None

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def local_date(self) -> date:
        return timezone.localtime(self.starts_at).date()

    def state(self, now: datetime) -> SlotState:
        """OPEN, FULL, NOT_OPEN or CLOSED for this one slot."""
        if self.window == SlotState.NOT_OPEN:
            return SlotState.NOT_OPEN
        if self.window == SlotState.CLOSED or now >= self.starts_at:
            return SlotState.CLOSED
        return SlotState.OPEN if self.remaining > 0 else SlotState.FULL

    @property
    def mark(self) -> str:
        return place_mark(self.remaining)


@dataclass(frozen=True)
class AvailabilityIndex:
    """What the availability page's filter offers, without loading a season of slots: the
    venues and months that have a slot still to come, and the first month with a place to
    book now (the month shown by default)."""

    venues: dict[int, Venue]
    months: tuple[str, ...]  # "YYYY-MM", in order
    first_bookable_month: str | None

    @property
    def default_month(self) -> str | None:
        """The first month with a place to book, else the first month with any slot."""
        return self.first_bookable_month or (self.months[0] if self.months else None)


_VENUE_FIELDS = [f.attname for f in Venue._meta.concrete_fields]


def _index_query(*, screening: int, now: datetime) -> QuerySet[Any]:
    """Each venue with a slot of `screening` after `now`, once per (local) month it has
    one, with 1 when that month has a place to book at `now`, else 0."""
    bookable = Q(
        slots__opens_at__lte=now,
        slots__closes_at__gt=now,
        slots__booked__lt=F("slots__capacity") - F("slots__held"),
    )
    zone = timezone.get_current_timezone()
    return (
        Venue.objects.filter(
            slots__screening_type=screening,
            slots__starts_at__gt=now,
            slots__called_off_at__isnull=True,
        )
        .values_list(*_VENUE_FIELDS, TruncMonth("slots__starts_at", tzinfo=zone))
        .annotate(
            bookable=Max(Case(When(bookable, then=1), default=0, output_field=IntegerField()))
        )
        .order_by()
    )


# Compiled once (reservations.precompiled): building the queryset costs more than running it.
_INDEX_QUERY = Precompiled(_index_query)


def availability_index(screening: ScreeningType, now: datetime | None = None) -> AvailabilityIndex:
    """One grouped query: each venue with a slot of `screening` still to come, once per
    month it has one, and whether that month has a place to book. Rows of plain values:
    one Venue built per venue, not one per venue and month."""

    def build() -> AvailabilityIndex:
        rows = _INDEX_QUERY.rows(screening=screening.pk, now=now or timezone.now())
        fields = _VENUE_FIELDS
        venues: dict[int, Venue] = {}
        months, open_months = set(), set()
        width = len(fields)
        for row in rows:
            first_day, is_bookable = row[width:]
            month = _month_of(first_day)
            if row[0] not in venues:
                venues[row[0]] = Venue.from_db(None, fields, row[:width])
            months.add(month)
            if is_bookable:
                open_months.add(month)
        return AvailabilityIndex(venues, tuple(sorted(months)), min(open_months, default=None))

    return _cached(f"resident:availability:{screening.pk}", build)


def _month_of(value: date | datetime) -> str:
    """month_key of TruncMonth's answer (a local midnight; a date on some backends)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return month_key(value)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first moment of "YYYY-MM" and of the month after it, in local time."""
    year, number = (int(part) for part in month.split("-"))
    zone = timezone.get_current_timezone()
    after = (year + 1, 1) if number == 12 else (year, number + 1)
    return (
        datetime(year, number, 1, tzinfo=zone),
        datetime(after[0], after[1], 1, tzinfo=zone),
    )


class EpochSeconds(Func):
    """A datetime column as whole seconds since 1970 (UTC, rounded down), an integer.

    psycopg reads every timestamptz through Django's time-zone loader, in Python (about
    6 µs a value: a millisecond for a month's slots); an integer is read in C.
    """

    output_field = BigIntegerField()
    template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS bigint)"

    def get_db_converters(self, connection: Any) -> list[Any]:
        # The CAST already answers an integer on both databases: no int() for each value
        # (with no converter at all, Django hands the rows over as they come).
        return []

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps datetimes as UTC text: strftime('%s') reads them as whole seconds.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",
            **extra,
        )


def _month_slots_query(
    *,
    screening: int,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    venue: int | None = None,
) -> QuerySet[Any]:
    """The slots of `screening` after `now` (from `start` to before `end`, at `venue`, when
    given) in time order, as plain values: see month_slots."""
    # A called-off session is hidden: nobody can book it (services._take_place).
    conditions = Q(screening_type=screening, starts_at__gt=now, called_off_at__isnull=True)
    if start and end:
        conditions &= Q(starts_at__gte=start, starts_at__lt=end)
    if venue:
        conditions &= Q(venue_id=venue)
    return (
        Slot.objects.filter(conditions)
        .order_by("starts_at", "venue_id")
        .values_list(
            "id",
            "venue_id",
            EpochSeconds("starts_at"),
            "capacity",
            # Places held for waiting-list offers are taken, as far as anyone else can
            # see: `booked` of a SlotView is booked + held.
            F("booked") + F("held"),
            EpochSeconds("opens_at"),
            EpochSeconds("closes_at"),
        )
    )


# Compiled once per shape (reservations.precompiled), like the index.
_MONTH_SLOTS_QUERY = Precompiled(_month_slots_query)


def _round_holding_query(*, now: datetime) -> QuerySet[Any]:
    """One lottery round holding its slots at `now`, if any (the lottery app installed)."""
    from lottery.holds import rounds_holding

    return rounds_holding(now).values_list("pk")[:1]


_ROUND_HOLDING = Precompiled(_round_holding_query)


def month_slots(
    screening: ScreeningType,
    month: str | None,
    *,
    venue: int | None = None,
    now: datetime | None = None,
) -> list[SlotView]:
    """The slots of `screening` still to come in `month` ("YYYY-MM"; None: every month),
    at `venue` if given, in time order (cached briefly): only what the page shows.

    The times come as EpochSeconds (integers: cheap to read) and the booking window is
    decided here from them, to the second and on the safe side: a slot shows as open from
    the second after it opens and as closed from the second it closes in.
    """

    def build() -> list[SlotView]:
        moment = now or timezone.now()
        values: dict[str, int | datetime] = {"screening": screening.pk, "now": moment}
        if month:
            values["start"], values["end"] = month_bounds(month)
        if venue:
            values["venue"] = venue
        rows = _MONTH_SLOTS_QUERY.rows(**values)
        zone = timezone.get_current_timezone()
        at = datetime.fromtimestamp
        instant = moment.timestamp()
        # A lottery round's times are not open first-come until the round says (the page's
        # lottery notice explains), asked of the lottery app when installed. Most of the
        # year no round holds anything: whether one does is a cheap question, while asking
        # about the month's 150 ids costs 1.5 ms of a 10 ms page, so that one waits for it.
        held: dict[int, datetime] = {}
        if rows and apps.is_installed("lottery") and _ROUND_HOLDING.rows(now=moment):
            from lottery.holds import first_come_of

            held = first_come_of([row[0] for row in rows], moment)
        views = []
        for pk, venue_id, starts, capacity, booked, opens, closes in rows:
            if pk in held:
                window, opens_at = SlotState.NOT_OPEN.value, timezone.localtime(held[pk], zone)
            elif instant < opens + 1:
                window, opens_at = SlotState.NOT_OPEN.value, at(opens, zone)
            else:
                window = SlotState.CLOSED.value if closes <= instant else SlotState.OPEN.value
                opens_at = None
            views.append(
                SlotView(pk, venue_id, at(starts, zone), capacity, booked, window, opens_at)
            )
        return views

    return _cached(f"resident:slots:{screening.pk}:{month or 'all'}:{venue or 'all'}", build)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass
class AvailabilityDay:
    day: date
    cells: list[list[SlotView]]  # one list of slots per venue column


def availability_grid(
    slots: list[SlotView], venue_ids: list[int], *, venue: int | None, month: str | None
) -> list[AvailabilityDay]:
    """Rows of dates, one column per venue, each cell the slots of that day at that venue."""
    columns = [venue] if venue else venue_ids
    zone = timezone.get_current_timezone()  # once: each lookup goes through a context local
    by_day: dict[date, dict[int, list[SlotView]]] = defaultdict(lambda: defaultdict(list))
    for slot in slots:
        if venue and slot.venue_id != venue:
            continue
        day = slot.starts_at.astimezone(zone).date()
        if month and month_key(day) != month:
            continue
        by_day[day][slot.venue_id].append(slot)
    return [
        AvailabilityDay(day, [by_day[day].get(v, []) for v in columns]) for day in sorted(by_day)
    ]


def shown_fiscal_years(days: list[AvailabilityDay], month: str | None) -> tuple[int, ...]:
    """The fiscal years of the dates on the availability page (its age wording follows
    them): the shown month's, or each one the dates cover when all months are shown."""
    if days:
        return tuple(sorted({fiscal_year_of(d.day) for d in days}))
    if month:
        year, number = (int(part) for part in month.split("-"))
        return (fiscal_year_of(date(year, number, 1)),)
    return (current_fiscal_year(),)


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


# --- Adding a screening on the same day (セット検診) -------------------------------------------


def _set_partner_query(
    *, venue: int, screening: int, day_starts: datetime, day_ends: datetime, now: datetime
) -> SlotQuerySet:
    """Bookable slots of screenings other than `screening` at `venue` between the two
    moments (a local day), in screening order, then time."""
    return (
        Slot.objects.bookable(now)
        .filter(
            venue_id=venue,
            starts_at__gte=day_starts,
            starts_at__lt=day_ends,
            screening_type__is_active=True,
        )
        .exclude(screening_type_id=screening)
        .select_related("screening_type", "venue")
        .order_by("screening_type__display_order", "starts_at")
    )


# Compiled once (reservations.precompiled): asked on every details step.
_SET_PARTNERS = Precompiled(_set_partner_query)


def _set_partner_slots(primary: Slot, now: datetime) -> list[Slot]:
    """Bookable slots of other screenings on the same day at the same venue."""
    zone = timezone.get_current_timezone()
    day_starts = datetime.combine(primary.local_date, time.min, tzinfo=zone)
    day_ends = datetime.combine(primary.local_date + timedelta(days=1), time.min, tzinfo=zone)
    found: list[Slot] = _SET_PARTNERS.objects(
        venue=primary.venue_id,
        screening=primary.screening_type_id,
        day_starts=day_starts,
        day_ends=day_ends,
        now=now,
    )
    return found


def set_candidates(
    primary: Slot,
    details: CitizenDetails,
    now: datetime | None = None,
    *,
    ticket_screenings: Collection[str] = (),
) -> dict[ScreeningType, list[Slot]]:
    """Other screenings with a free place on the same day at the same venue, that this
    person may book, each with its bookable slots in time order. A screening in 受診券
    mode is one of them only if its code is in `ticket_screenings` (what the booking's
    checked 受診券 includes: vouchers.booking.ticket_screenings): the confirm step would
    refuse it otherwise."""
    now = now or timezone.now()
    slots = _set_partner_slots(primary, now)
    grouped: dict[ScreeningType, list[Slot]] = {}
    for slot in slots:
        grouped.setdefault(slot.screening_type, []).append(slot)
    offered = {
        screening: choices
        for screening, choices in grouped.items()
        if not screening.voucher_required or screening.code in ticket_screenings
    }
    # Each screening's first time stands for its day: the rules are the same for all.
    allowed = eligible_slots([choices[0] for choices in offered.values()], details, now)
    return {slot.screening_type: offered[slot.screening_type] for slot in allowed}


# --- Days where every screening of a set has a place ------------------------------------


def _days_with_every_screening(
    type_ids: set[int], slots: Iterable[Slot]
) -> list[tuple[date, Venue, dict[int, list[Slot]]]]:
    """`slots` grouped by day and venue, keeping only the days and venues that have a slot
    of every screening in `type_ids` (a set booking is one visit), in date order, each
    screening's slots in time order."""
    grouped: dict[tuple[date, int], dict[int, list[Slot]]] = defaultdict(lambda: defaultdict(list))
    venues: dict[int, Venue] = {}
    for slot in slots:
        grouped[(slot.local_date, slot.venue_id)][slot.screening_type_id].append(slot)
        venues[slot.venue_id] = slot.venue
    found = []
    for (day, venue_id), choices in sorted(grouped.items()):
        if set(choices) != type_ids:
            continue
        for choice in choices.values():
            choice.sort(key=lambda s: s.starts_at)
        found.append((day, venues[venue_id], dict(choices)))
    return found


# --- Moving a booking ---------------------------------------------------------------------


@dataclass
class MoveOption:
    """One day at one venue where every screening of the booking has a place."""

    day: date
    venue: Venue
    choices: dict[int, list[Slot]]  # screening_type_id → slots to choose from

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}_{self.venue.pk}"

    @property
    def month(self) -> str:
        return month_key(self.day)


def move_options(reservation: Reservation, now: datetime | None = None) -> list[MoveOption]:
    """Days and venues a live booking can move to, each with the times per screening.

    A screening's current slot counts as a choice on its own day (keeping it is allowed
    when moving the other screening of a set); an option where nothing would change is left
    out.
    """
    now = now or timezone.now()
    items = list(reservation.items.filter(is_live=True).select_related("slot__venue"))
    type_ids = {item.screening_type_id for item in items}
    current = {item.slot_id for item in items}
    if not type_ids:
        return []
    free = (
        Slot.objects.bookable(now)
        .filter(screening_type_id__in=type_ids, screening_type__is_active=True)
        .exclude(pk__in=current)
        .select_related("venue", "screening_type")
        .order_by("starts_at")
    )
    options = []
    for day, venue, choices in _days_with_every_screening(
        type_ids, [*free, *(item.slot for item in items)]
    ):
        if all({s.pk for s in slots} <= current for slots in choices.values()):
            continue  # only the booking's own places: nothing to move to
        options.append(MoveOption(day, venue, choices))
    return options


# --- A set booking that lost the race -----------------------------------------------------


@dataclass
class SetAlternative:
    """Another visit where every screening of a set booking (セット検診) has a place."""

    day: date
    venue: Venue
    slots: list[Slot]  # one per screening, in the order the resident chose them


def set_alternatives(
    chosen: list[Slot], *, full: Slot, now: datetime | None = None, limit: int = 5
) -> list[SetAlternative]:
    """For a set booking one of whose places has just gone: the nearest days and venues
    where every chosen screening still has a free place.

    Offering times for the full screening alone would drop the others from the booking
    without a word. Later days come first, then earlier ones (as nearest_free_slots); on
    one day the chosen venue comes first. Each screening gets the free time nearest to the
    one chosen for it, preferring times that do not overlap the others.
    """
    now = now or timezone.now()
    order = [s.screening_type_id for s in chosen]
    wanted = {s.screening_type_id: _minutes(s.starts_at) for s in chosen}
    free = (
        Slot.objects.bookable(now)
        .filter(screening_type_id__in=order, screening_type__is_active=True)
        .exclude(pk=full.pk)
        .select_related("venue", "screening_type")
        .order_by("starts_at")
    )
    day, venue_id = chosen[0].local_date, chosen[0].venue_id
    found = _days_with_every_screening(set(order), free)
    found.sort(key=lambda o: (o[0] < day, abs((o[0] - day).days), o[1].pk != venue_id))
    alternatives = []
    for option_day, venue, choices in found[:limit]:
        picked: list[Slot] = []
        for type_id in order:
            candidates = sorted(
                choices[type_id], key=lambda s: abs(_minutes(s.starts_at) - wanted[type_id])
            )
            apart = [s for s in candidates if not any(_overlap(s, p) for p in picked)]
            picked.append((apart or candidates)[0])
        alternatives.append(SetAlternative(option_day, venue, picked))
    return alternatives


def still_bookable(slots: list[Slot], now: datetime | None = None) -> list[Slot]:
    """Those of `slots` that can still be booked now (fresh from the database), in order."""
    fresh = {
        s.pk: s
        for s in Slot.objects.bookable(now or timezone.now())
        .filter(pk__in=[s.pk for s in slots], screening_type__is_active=True)
        .select_related("venue", "screening_type")
    }
    return [fresh[s.pk] for s in slots if s.pk in fresh]


def _minutes(moment: datetime) -> int:
    local = timezone.localtime(moment)
    return local.hour * 60 + local.minute


def _overlap(a: Slot, b: Slot) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


def fiscal_years_between(first: datetime, last: datetime) -> tuple[int, ...]:
    """Every fiscal year from the one `first` falls in to the one `last` falls in."""
    start = fiscal_year_of(timezone.localtime(first).date())
    end = fiscal_year_of(timezone.localtime(last).date())
    return tuple(range(start, end + 1))


# --- Ids from pages, a booking's items -----------------------------------------------------

# An id as the pages write it: ASCII digits, and small enough for the database. Not
# str.isdigit(), which also accepts "²" (that int() refuses), and no 30-digit numbers,
# which overflow SQLite's and PostgreSQL's bigint: both were a 500.
ID_PATTERN = re.compile(r"[0-9]{1,18}")


def is_id(value: str) -> bool:
    return ID_PATTERN.fullmatch(value) is not None


def slot_ids_from(values: list[str], *, most: int) -> list[int] | None:
    """The slot ids a page sent (?slot=…&slot=…), in order; None if there are none, more
    than `most`, or any is not an id."""
    if not values or len(values) > most or not all(is_id(v) for v in values):
        return None
    return [int(v) for v in values]


def _by_form_token_query(*, token: str) -> QuerySet[Reservation]:
    return Reservation.objects.select_related("citizen").filter(form_token=token)[:1]


_BY_FORM_TOKEN = Precompiled(_by_form_token_query)


def reservation_by_form_token(form_token: str) -> Reservation | None:
    """The booking made with this form token (the done page's), with its citizen."""
    found: list[Reservation] = _BY_FORM_TOKEN.objects(token=form_token)
    return found[0] if found else None


def _items_query(*, reservation: int) -> QuerySet[ReservationItem]:
    return (
        ReservationItem.objects.filter(reservation_id=reservation)
        .select_related("slot__venue", "slot__screening_type", "screening_type")
        .order_by("slot__starts_at")
    )


# Compiled once (reservations.precompiled): every page about a booking asks.
_ITEMS = Precompiled(_items_query)


def items_in_time_order(reservation: Reservation) -> list[ReservationItem]:
    """The booking's items, earliest screening first, with slot, venue and screening."""
    items: list[ReservationItem] = _ITEMS.objects(reservation=reservation.pk)
    for item in items:
        item.reservation = reservation  # as reservation.items would have: no query
    return items


def booking_context(reservation: Reservation) -> dict[str, Any]:
    """What every page about one booking shows: its slots in time order, venue and fee,
    and who pays (`fee_payer`: the date of birth and fee class each slot's fee is for)."""
    slots = [item.slot for item in items_in_time_order(reservation)]
    payer = reservation_payer(reservation)
    return {
        "slots": slots,
        "venue": slots[0].venue if slots else None,
        "fee": sum(
            fee_for(
                s.screening_type, payer.birth_date, s.local_date, fee_class=payer.fee_class
            ).amount
            for s in slots
        ),
        "fee_payer": payer,
    }


def _slots_query(**slot_ids: int) -> QuerySet[Slot]:
    return Slot.objects.select_related("screening_type", "venue").filter(
        pk__in=list(slot_ids.values())
    )


def _active_slots_query(**slot_ids: int) -> QuerySet[Slot]:
    return _slots_query(**slot_ids).filter(screening_type__is_active=True)


# Compiled once per number of slots (reservations.precompiled): every step of a booking
# looks its slots up, and building the query cost more than running it.
_SLOTS = Precompiled(_slots_query)
_ACTIVE_SLOTS = Precompiled(_active_slots_query)


# The ids a slot can have (a bigint primary key): any other number from an address is no
# slot, and would overflow the database's integer (the ORM says EmptyResultSet for it).
_IDS = range(1, 2**63)


def _slots(slot_ids: Sequence[int], *, active: bool = False) -> list[Slot]:
    slot_ids = [pk for pk in slot_ids if pk in _IDS]
    if not slot_ids:
        return []
    values: dict[str, Value] = {f"slot{i}": pk for i, pk in enumerate(slot_ids)}
    return (_ACTIVE_SLOTS if active else _SLOTS).objects(**values)


def active_slot(slot_id: int) -> Slot | None:
    """The slot, with its screening and venue, if its screening is offered; else None."""
    found = _slots([slot_id], active=True)
    return found[0] if found else None


def slots_by_id(slot_ids: list[int]) -> list[Slot] | None:
    """The slots in the order given, or None if any has vanished or comes twice."""
    found = {s.pk: s for s in _slots(slot_ids)}
    if len(found) != len(set(slot_ids)) or len(slot_ids) != len(set(slot_ids)):
        return None
    return [found[pk] for pk in slot_ids]

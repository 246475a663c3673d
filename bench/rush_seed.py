"""A city-sized season for bench_rush, written in seconds with PostgreSQL's COPY.

The season: months of 15 screening days (the 1st to the 15th), one venue a day in turn,
ten times a day (9:00 … 13:30) for each of the four screenings, starting the first month
that begins at least two weeks from now; every slot open for booking now. An
availability month of one screening therefore shows 150 slots.

The rows are what the services would have written: each booking is a Citizen, a
Reservation and a ReservationItem whose person key comes from the project's own
CitizenDetails.person_key, and each slot's `booked` counts its live items. They are
only written faster: COPY instead of 50,000 transactions.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Django is set up by bench_rush after it has chosen its database.
    from django.db.models import Model

    from reservations.models import ScreeningType, Slot

TIMES_PER_DAY = 10
DAYS_PER_MONTH = 15
VENUES = 5
RUSH_CAPACITY = 10  # places in each slot of an opening-day rush
SEASON_CAPACITY = 12  # places in every other slot
ADDRESS = "新座市野火止1-1-1"
# The minimal booking endpoint's own table (bench/rush_urls.py): slot id, person, time.
MINIMAL_TABLE = "bench_minimal_booking"


@dataclass
class Season:
    slots: int  # every slot, the hot one included
    bookings: int
    first_month: str  # "YYYY-MM": the availability month the pages show first
    month_slots: int  # slots of one screening in that month
    rush: list[list[int]]  # per rush phase, the slot ids whose places are fought over
    hot_slot: int  # the minimal endpoint's slot


def season_days(count: int, today: date) -> list[date]:
    """`count` screening days, DAYS_PER_MONTH a month, from the first month that starts at
    least two weeks after `today`."""
    start = today + timedelta(days=14)
    year, month = (start.year, start.month) if start.day == 1 else _next_month(start)
    days: list[date] = []
    while len(days) < count:
        days += [date(year, month, 1 + i) for i in range(DAYS_PER_MONTH)]
        year, month = _next_month(date(year, month, 1))
    return days[:count]


def _next_month(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def katakana_number(n: int) -> str:
    """n written with one katakana letter per decimal digit: distinct names the resident
    form accepts as フリガナ (digits are not katakana)."""
    return "".join("アイウエオカキクケコ"[int(d)] for d in str(n))


def copy_rows(objs: Sequence[Model]) -> None:
    """INSERT `objs` (all of one model, primary keys set) with one COPY.

    Each value goes through the field's own pre_save and get_db_prep_save, as save()
    would, so defaults and auto_now_add are filled in the same way.
    """
    from django.db import connection

    if not objs:
        return
    model = type(objs[0])
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column or f.name) for f in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor behind Django's wrapper
        with raw.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )


def _birth_date(screening: ScreeningType, n: int) -> date:
    """A birthday that makes person n eligible for `screening` (age on 31 March)."""
    if screening.max_age is not None and screening.max_age < 50:
        return date(1990 + n % 6, 1 + n % 12, 1 + n % 28)  # in their thirties
    return date(1950 + n % 25, 1 + n % 12, 1 + n % 28)


def seed_season(
    *,
    slots: int,
    bookings: int,
    rush_places: int,
    rush_phases: int,
    hot_capacity: int,
    now: datetime,
) -> Season:
    """Write the season: `slots` slots (one of them the minimal endpoint's hot slot with
    `hot_capacity` places), `bookings` bookings spread at random over the ordinary slots,
    and `rush_phases` groups of empty lung slots holding `rush_places` places each."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from citizens.models import Citizen
    from reservations.eligibility import CitizenDetails
    from reservations.models import Reservation, ReservationItem, ScreeningType, Slot, Venue

    screenings = list(ScreeningType.objects.filter(is_active=True).order_by("display_order"))
    lung = next(s for s in screenings if s.code == "lung")
    per_day = TIMES_PER_DAY * len(screenings)
    zone = timezone.get_current_timezone()
    days = season_days(max(1, round(slots / per_day)), timezone.localdate(now))
    rush_slots_each = -(-rush_places // RUSH_CAPACITY)
    if rush_slots_each * rush_phases > len(days) * TIMES_PER_DAY:
        raise ValueError("too few slots for the rush: raise --slots or lower --places")

    with transaction.atomic():
        venues = Venue.objects.bulk_create(
            Venue(
                name=f"ベンチ会場{i + 1}",
                name_en=f"Bench hall {i + 1}",
                address="新座市野火止1-1-1",
            )
            for i in range(VENUES)
        )
        season: list[Slot] = []
        rush: list[list[Slot]] = [[] for _ in range(rush_phases)]
        lung_seen = 0
        for d, day in enumerate(days):
            for screening in screenings:
                for t in range(TIMES_PER_DAY):
                    starts = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(
                        hours=9, minutes=30 * t
                    )
                    slot = Slot(
                        venue=venues[d % VENUES],
                        screening_type=screening,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=30),
                        capacity=SEASON_CAPACITY,
                        opens_at=now - timedelta(days=1),
                        closes_at=starts - timedelta(days=1),
                    )
                    if screening == lung and lung_seen < rush_slots_each * rush_phases:
                        slot.capacity = RUSH_CAPACITY
                        rush[lung_seen // rush_slots_each].append(slot)
                        lung_seen += 1
                    season.append(slot)
        last = datetime.combine(days[-1], datetime.min.time(), tzinfo=zone)
        hot = Slot(
            venue=venues[0],
            screening_type=lung,
            starts_at=last + timedelta(hours=17),
            ends_at=last + timedelta(hours=17, minutes=30),
            capacity=hot_capacity,
            opens_at=now - timedelta(days=1),
            closes_at=last,
        )
        rush_ids = {id(s) for group in rush for s in group}
        ordinary = [s for s in season if id(s) not in rush_ids]
        places = [s for s in ordinary for _ in range(s.capacity)]
        if bookings > len(places):
            raise ValueError(f"{bookings} bookings do not fit in {len(places)} places")
        rng = random.Random(12)
        taken = rng.sample(places, bookings)
        for slot in taken:
            slot.booked += 1
        Slot.objects.bulk_create([*season, hot], batch_size=2000)

        citizens, reservations, items = [], [], []
        for n, slot in enumerate(taken, start=1):
            screening = slot.screening_type
            details = CitizenDetails(
                name=f"既存 {n}",
                furigana=f"キゾン {katakana_number(n)}",
                birth_date=_birth_date(screening, n),
                sex="F" if screening.sex == "F" or n % 2 else "M",
                postal_code="3520001",
                address="新座市野火止1-2-3",
                phone="048-481-0000",
                email=f"s{n}@example.jp",
            )
            booked_at = now - timedelta(days=1, seconds=n)
            citizens.append(
                Citizen(
                    pk=n,
                    name=details.name,
                    furigana=details.furigana,
                    birth_date=details.birth_date,
                    sex=details.sex,
                    postal_code=details.postal_code,
                    address=details.address,
                    phone=details.phone,
                    email=details.email,
                )
            )
            reservations.append(
                Reservation(
                    pk=n,
                    number=f"{900_000_000_000 + n:012d}",
                    citizen_id=n,
                    created_at=booked_at,
                    changed_at=booked_at,
                )
            )
            items.append(
                ReservationItem(
                    pk=n,
                    reservation_id=n,
                    slot_id=slot.pk,
                    screening_type_id=screening.pk,
                    fiscal_year=slot.fiscal_year,
                    person_key=details.person_key,
                )
            )
        copy_rows(citizens)
        copy_rows(reservations)
        copy_rows(items)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Citizen, Reservation, ReservationItem]
            ):
                cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    first_month = f"{days[0].year:04d}-{days[0].month:02d}"
    return Season(
        slots=len(season) + 1,
        bookings=bookings,
        first_month=first_month,
        month_slots=sum(
            1 for s in season if s.screening_type == lung and f"{s.starts_at:%Y-%m}" == first_month
        ),
        rush=[[s.pk for s in group] for group in rush],
        hot_slot=hot.pk,
    )

"""What one page costs to render, uncached, with a city-sized season in the database.

    python bench/bench_render.py [--repeat 60] [--slots 6000] [--bookings 50000] [--database NAME]

Seeds a throwaway database (PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL points at
one, else a temporary SQLite file) with a season: four screenings, three venues each, ten
months of slots (152 a month per screening) and 50,000 live bookings, each with its
citizen, reservation and item (person keys from citizens.models.person_key), written with
bulk_create. Then renders, in this process through Django's test Client (every middleware,
DEBUG off so templates come from the cached loader, PUBLIC_CACHE_SECONDS=0 so nothing is
served from the cache):

- a trivial view (HttpResponse("ok")) through the same middleware: the yardstick;
- the availability page of one month (about 150 slots shown), and the same gzipped;
- the details form (GET /book/<slot>/);
- the confirm page (POST of the details, which answers with step 3);
- the booking itself (POST of step 3, a 303 to the done page).

Prints the median and p90 of each (wall clock), the median CPU time this process spent on
it (on a shared machine the wall clock also counts the database waiting for a core), its
share of the trivial view (the machine is shared, so ratios in one run mean more than
milliseconds), and the queries each page made. On PostgreSQL the seeded tables are
ANALYZEd first, as autovacuum would have done in a real database.
Bounded: a fixed number of renders per page.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import throwaway_database  # noqa: E402

SCREENINGS = ("lung", "stomach", "breast", "body30")
VENUES_PER_SCREENING = 3
SLOTS_PER_DAY = 8  # 9:00 to 12:30, every 30 minutes
DAYS_PER_MONTH = 19  # weekdays with a session: 152 slots of a screening a month
CAPACITY = 10

# Katakana "digits" for a distinct, valid フリガナ per person.
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"


def kana_number(n: int) -> str:
    digits = []
    while True:
        n, digit = divmod(n, len(KANA))
        digits.append(KANA[digit])
        if n == 0:
            return "".join(reversed(digits))


def birth_date(n: int, *, thirties: bool = False) -> date:
    """Born 1940–1974, old enough for lung, stomach and breast; or (`thirties`) 1990–1995,
    in their thirties as body30 needs."""
    year = 1990 + n % 6 if thirties else 1940 + n % 35
    return date(year, 1 + n % 12, 1 + n % 28)


def season_days(first_month: date, months: int, per_month: int) -> list[date]:
    """The first `per_month` weekdays of each of `months` months from `first_month`."""
    days = []
    year, month = first_month.year, first_month.month
    for _ in range(months):
        day = date(year, month, 1)
        taken = 0
        while day.month == month and taken < per_month:
            if day.weekday() < 5:
                days.append(day)
                taken += 1
            day += timedelta(days=1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def seed(slot_count: int, booking_count: int) -> dict[str, Any]:
    """The season, bulk-created; returns what the renders need."""
    from django.db import transaction
    from django.utils import timezone

    from citizens.models import Citizen, person_key
    from reservations.models import (
        Reservation,
        ReservationItem,
        ScreeningType,
        Slot,
        Venue,
        fiscal_year_of,
    )

    rng = random.Random(12)
    now = timezone.now()
    zone = timezone.get_current_timezone()
    types = [ScreeningType.objects.get(code=code) for code in SCREENINGS]
    months = max(round(slot_count / (len(types) * DAYS_PER_MONTH * SLOTS_PER_DAY)), 1)
    today = timezone.localdate()
    first_month = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    days = season_days(first_month, months, DAYS_PER_MONTH)

    body30 = types[SCREENINGS.index("body30")].pk
    with transaction.atomic():
        venues = Venue.objects.bulk_create(
            Venue(
                name=f"ベンチ会場{i + 1}",
                name_en=f"Bench Hall {i + 1}" if i % 2 else "",
                address=f"新座市野火止{i + 1}-1-1",
                access="志木駅からバス10分" if i % 3 == 0 else "",
            )
            for i in range(len(types) * VENUES_PER_SCREENING)
        )
        slots = []
        for t, screening in enumerate(types):
            own = venues[t * VENUES_PER_SCREENING : (t + 1) * VENUES_PER_SCREENING]
            for d, day in enumerate(days):
                for k in range(SLOTS_PER_DAY):
                    starts = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(
                        hours=9, minutes=30 * k
                    )
                    slots.append(
                        Slot(
                            venue=own[d % len(own)],
                            screening_type=screening,
                            starts_at=starts,
                            ends_at=starts + timedelta(minutes=30),
                            capacity=CAPACITY,
                            opens_at=now - timedelta(days=7),
                            closes_at=starts - timedelta(days=1),
                        )
                    )
        # Every place is a ticket; the first booking_count of them, shuffled, are taken.
        places = [i for i in range(len(slots)) for _ in range(CAPACITY)]
        rng.shuffle(places)
        taken = places[:booking_count]
        for i in taken:
            slots[i].booked += 1
        Slot.objects.bulk_create(slots, batch_size=2000)

        citizens = Citizen.objects.bulk_create(
            (
                Citizen(
                    name=f"ベンチ 太郎{kana_number(n)}",
                    furigana=f"ベンチ {kana_number(n)}",
                    birth_date=birth_date(n, thirties=slots[i].screening_type_id == body30),
                    sex="F",
                    postal_code="3520001",
                    address="新座市野火止1-2-3",
                    phone="048-481-0000",
                    email=f"p{n}@example.jp",
                )
                for n, i in enumerate(taken)
            ),
            batch_size=5000,
        )
        reservations = Reservation.objects.bulk_create(
            (
                Reservation(number=f"9{n:011d}", citizen=citizen)
                for n, citizen in enumerate(citizens)
            ),
            batch_size=5000,
        )
        ReservationItem.objects.bulk_create(
            (
                ReservationItem(
                    reservation=reservation,
                    slot=slots[i],
                    screening_type_id=slots[i].screening_type_id,
                    fiscal_year=fiscal_year_of(timezone.localtime(slots[i].starts_at).date()),
                    person_key=person_key(citizen.furigana, citizen.birth_date),
                )
                for i, citizen, reservation in zip(taken, citizens, reservations, strict=True)
            ),
            batch_size=5000,
        )
    lung = types[0].pk
    return {
        "slots": len(slots),
        "bookings": len(taken),
        "month": f"{first_month.year}-{first_month.month:02d}",
        "bookable": [s for s in slots if s.screening_type_id == lung and s.booked < s.capacity],
    }


def analyze() -> None:
    """Statistics for the planner, as autovacuum gathers them after a bulk load in a real
    database (a season is loaded once, read for months)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    if not match:
        raise RuntimeError(f"no hidden field {name}")
    return match.group(1)


def details(n: int) -> dict[str, str]:
    born = birth_date(n)
    return {
        "name": f"ベンチ 花子{kana_number(n)}",
        "furigana": f"ベンチ {kana_number(n)}",
        "birth_date_era": "AD",
        "birth_date_year": str(born.year),
        "birth_date_month": str(born.month),
        "birth_date_day": str(born.day),
        "sex": "F",
        "postal_code": "352-0001",
        "address": "新座市野火止1-2-3",
        "phone": "048-481-0000",
        "email": "",
        "email_confirm": "",
    }


class QueryCounter:
    """Counts the statements sent to the database while installed (execute_wrapper): the
    test Client resets connection.queries at every request, so CaptureQueriesContext
    cannot count across one."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


def queries_of(call: Callable[[], Any]) -> tuple[Any, int]:
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        result = call()
    return result, counter.count


# (wall-clock seconds, CPU seconds of this process) of one render. On a shared machine the
# wall clock also counts the database waiting for a core; the CPU is the page's own cost.
Duration = tuple[float, float]


def clock() -> Duration:
    return time.perf_counter(), time.process_time()


def since(started: Duration) -> Duration:
    wall, cpu = clock()
    return wall - started[0], cpu - started[1]


def timed(
    repeat: int, call: Callable[[int], Any], check: Callable[[Any], None]
) -> tuple[list[Duration], int]:
    """`call(i)` `repeat` times after warming up; the durations and the queries of one."""
    check(call(-1))
    response, queries = queries_of(lambda: call(-2))
    check(response)
    durations = []
    for i in range(repeat):
        started = clock()
        response = call(i)
        durations.append(since(started))
        check(response)
    return durations, queries


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60, help="renders per page")
    parser.add_argument("--slots", type=int, default=6000)
    parser.add_argument("--bookings", type=int, default=50000)
    parser.add_argument(
        "--database",
        default="kenshin_bench_render",
        help="the throwaway database's name (dropped first and at the end)",
    )
    args = parser.parse_args()

    url, drop = throwaway_database(args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_ENV"] = "development"
    os.environ["DEBUG"] = "false"  # the cached template loader, as in production
    os.environ["PUBLIC_CACHE_SECONDS"] = "0"  # every page rendered, none from the cache
    os.environ["LOG_LEVEL"] = "WARNING"
    # WhiteNoise warns that collectstatic has not run; irrelevant to these pages.
    warnings.filterwarnings("ignore", "No directory at")
    import django

    django.setup()
    from django.core.management import call_command
    from django.http import HttpRequest, HttpResponse
    from django.test import Client
    from django.urls import clear_url_caches, path

    import config.urls

    def trivial(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    config.urls.urlpatterns.insert(0, path("bench-trivial", trivial))
    clear_url_caches()

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        season = seed(args.slots, args.bookings)
        seeded = time.perf_counter() - started
        analyze()
        client = Client()
        bookable = season["bookable"]
        form_slot = bookable[0]
        month_url = f"/screenings/lung/?month={season['month']}"

        def ok(status: int, needle: str | None = None) -> Callable[[Any], None]:
            def check(response: Any) -> None:
                if response.status_code != status:
                    raise RuntimeError(f"HTTP {response.status_code}: {response.content[:300]!r}")
                if needle and needle not in response.content.decode():
                    raise RuntimeError(f"{needle!r} not on the page")

            return check

        def gzipped(response: Any) -> None:
            if response.status_code != 200 or response.get("Content-Encoding") != "gzip":
                raise RuntimeError("the availability page was not gzipped")

        shown = client.get(month_url).content.decode().count('<li class="slot ')

        states: dict[int, str] = {}

        def confirm_page(i: int) -> Any:
            slot = bookable[i % len(bookable)]
            token = hidden(client.get(f"/book/{slot.pk}/").content.decode(), "form_token")
            started = clock()
            response = client.post(
                f"/book/{slot.pk}/", {**details(1_000_000 + i), "form_token": token}
            )
            confirm_page.elapsed = since(started)  # type: ignore[attr-defined]
            states[i] = hidden(response.content.decode(), "state")
            return response

        pages: list[tuple[str, Callable[[int], Any], Callable[[Any], None]]] = [
            ("trivial view", lambda i: client.get("/bench-trivial"), ok(200, "ok")),
            (
                f"availability, one month ({shown} slots)",
                lambda i: client.get(month_url),
                ok(200, "/book/"),
            ),
            (
                "  the same, gzipped (Accept-Encoding)",
                lambda i: client.get(month_url, HTTP_ACCEPT_ENCODING="gzip"),
                gzipped,
            ),
            ("details form (GET book)", lambda i: client.get(f"/book/{form_slot.pk}/"), ok(200)),
        ]
        results: list[tuple[str, list[Duration], int]] = []
        for name, call, check in pages:
            durations, queries = timed(args.repeat, call, check)
            results.append((name, durations, queries))

        # The confirm page: only the POST of the details is timed, not the GET before it.
        confirm: list[Duration] = []
        for i in range(-2, args.repeat):
            if i == -1:
                response, confirm_queries = queries_of(lambda: confirm_page(-1))
            else:
                response = confirm_page(i)
            ok(200, 'name="state"')(response)
            if i >= 0:
                confirm.append(confirm_page.elapsed)  # type: ignore[attr-defined]
        form_queries = results[-1][2]  # the details form's, counted with the POST
        results.append(("confirm page (POST details)", confirm, confirm_queries - form_queries))

        booked: list[Duration] = []

        def book_all() -> None:
            for i in range(args.repeat):
                started = clock()
                response = client.post("/book/confirm/", {"state": states[i]})
                booked.append(since(started))
                ok(303)(response)

        _, booking_queries = queries_of(book_all)
        results.append(("booking (POST confirm, 303)", booked, booking_queries // args.repeat))

        from django.db import connection as db

        print(
            f"bench_render: {db.vendor}, {season['slots']:,} slots, {season['bookings']:,} "
            f"bookings (seeded in {seeded:.1f} s), {args.repeat} renders each, "
            "in-process (Django test Client, all middleware, DEBUG off, no page cache)"
        )
        trivial_median = statistics.median(wall for wall, _cpu in results[0][1])
        for name, durations, queries in results:
            walls = [wall for wall, _cpu in durations]
            median = statistics.median(walls)
            p90 = statistics.quantiles(walls, n=10)[8] if len(walls) > 1 else median
            cpu = statistics.median(cpu for _wall, cpu in durations)
            print(
                f"  {name:42} median {median * 1000:7.2f} ms  p90 {p90 * 1000:7.2f} ms  "
                f"CPU {cpu * 1000:6.2f} ms  {median / trivial_median:6.1f}× trivial  "
                f"{queries:3} queries"
            )
        if not 100 <= shown <= 200:
            print(f"  warning: {shown} slots shown, not about 150", file=sys.stderr)
        return 0
    finally:
        drop()


if __name__ == "__main__":
    sys.exit(main())

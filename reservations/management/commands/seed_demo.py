"""Fill an empty database with a realistic fiscal year for trying kenshin out.

Three venues, the four screenings, a few hundred slots from next week to the end of the
fiscal year (the last month not yet open for booking), and some bookings made through the
real booking service. Refuses to run twice, and refuses in production.
"""

import random
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reservations import services
from reservations.closed_days import closed_reason
from reservations.models import (
    Notification,
    ScreeningType,
    Slot,
    Venue,
    fiscal_year_end,
    fiscal_year_of,
)

VENUES = [
    {
        "name": "新座市保健センター",
        "name_en": "Niiza Health Centre",
        "address": "埼玉県新座市野火止1-1-1",
        "access": "東武東上線 志木駅南口から バス10分「保健センター前」下車すぐ。駐車場あり（30台）。",
        "access_en": "10 minutes by bus from Shiki Station (south exit), stop 'Hoken Center Mae'. Car park (30 cars).",
        "phone": "048-481-2211",
    },
    {
        "name": "新座市民会館",
        "name_en": "Niiza Civic Hall",
        "address": "埼玉県新座市野火止2-2-2",
        "access": "JR武蔵野線 新座駅から 徒歩15分。駐車場あり。",
        "access_en": "15 minutes on foot from JR Niiza Station. Car park.",
        "phone": "048-481-2222",
    },
    {
        "name": "新座市福祉の里",
        "name_en": "Niiza Welfare Village",
        "address": "埼玉県新座市大和田3-3-3",
        "access": "西武池袋線 ひばりヶ丘駅から バス15分。",
        "access_en": "15 minutes by bus from Hibarigaoka Station.",
        "phone": "048-481-2233",
    },
]

# Which screenings each venue offers, and on which weekday (0 = Monday).
VENUE_PLAN = [
    (0, ["stomach", "lung"], 1),
    (1, ["breast", "lung", "body30"], 3),
    (2, ["stomach", "breast"], 4),
]
MORNING = [time(9, 0), time(9, 30), time(10, 0), time(10, 30)]

FAMILY = [
    ("山田", "ヤマダ"),
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("中村", "ナカムラ"),
]
GIVEN_F = [("花子", "ハナコ"), ("陽子", "ヨウコ"), ("恵美", "エミ"), ("和子", "カズコ")]
GIVEN_M = [("太郎", "タロウ"), ("一郎", "イチロウ"), ("健", "ケン"), ("誠", "マコト")]


class Command(BaseCommand):
    help = "Load demo venues, slots and bookings into an empty database (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bookings", type=int, default=80, help="demo bookings to make")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")

    def handle(self, *args: object, bookings: int, seed: int, **options: object) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with DJANGO_ENV=production.")
        if Slot.objects.exists():
            self.stdout.write("seed_demo: slots already exist; nothing done.")
            return
        rng = random.Random(seed)
        now = timezone.now()
        venues = [Venue.objects.create(**v) for v in VENUES]
        types = {t.code: t for t in ScreeningType.objects.all()}
        today = timezone.localdate()
        last_day = fiscal_year_end(fiscal_year_of(today))
        if (last_day - today).days < 60:  # late in the fiscal year: show the next one too
            last_day = fiscal_year_end(fiscal_year_of(today) + 1)
        # The last month opens later, so the "booking opens on …" state can be seen.
        late_opening = datetime.combine(
            last_day.replace(day=1), time(9, 0), tzinfo=timezone.get_current_timezone()
        )
        late_opening = min(late_opening, now + timedelta(days=30))

        slots = []
        day = today + timedelta(days=7 - today.weekday())
        while day <= last_day:
            for venue_index, codes, weekday in VENUE_PLAN:
                slot_day = day + timedelta(days=weekday)
                # As bulk creation does: no screening on a public holiday or 年末年始.
                if slot_day > last_day or closed_reason(slot_day):
                    continue
                for code in codes:
                    for start in MORNING:
                        starts_at = datetime.combine(
                            slot_day, start, tzinfo=timezone.get_current_timezone()
                        )
                        opens_at = (
                            now - timedelta(days=1)
                            if starts_at < late_opening + timedelta(days=30)
                            else late_opening
                        )
                        slots.append(
                            Slot(
                                venue=venues[venue_index],
                                screening_type=types[code],
                                starts_at=starts_at,
                                ends_at=starts_at + timedelta(minutes=30),
                                capacity=rng.choice([4, 6, 8, 10]),
                                opens_at=opens_at,
                                closes_at=starts_at - timedelta(days=2),
                            )
                        )
            day += timedelta(days=7)
        Slot.objects.bulk_create(slots)

        made = 0
        open_slots = list(Slot.objects.bookable().select_related("screening_type", "venue"))
        for n in range(bookings * 3):
            if made >= bookings or not open_slots:
                break
            slot = rng.choice(open_slots)
            details = self._person(rng, slot.screening_type, slot.local_date, n)
            try:
                services.reservation_create(slots=[slot], details=details, language="ja")
                made += 1
            except services.BookingError:
                continue
        # The demo residents have no real mailbox: their confirmations are not sent, so the
        # console shows only the mail of bookings made while trying the site.
        Notification.objects.filter(status=Notification.Status.PENDING).update(
            status=Notification.Status.SKIPPED
        )
        self.stdout.write(
            f"seed_demo: {len(venues)} venues, {len(slots)} slots, {made} bookings "
            f"({today} to {last_day})."
        )

    def _person(
        self, rng: random.Random, screening: ScreeningType, on: date, n: int
    ) -> services.CitizenDetails:
        sex = screening.sex or rng.choice("FM")
        family, family_kana = rng.choice(FAMILY)
        given, given_kana = rng.choice(GIVEN_F if sex == "F" else GIVEN_M)
        low = screening.min_age
        high = screening.max_age or 79
        age = rng.randint(low, high)
        # Born January–March, so the age on 31 March is exactly `age`.
        birth = date(fiscal_year_of(on) + 1 - age, rng.randint(1, 3), rng.randint(1, 28))
        return services.CitizenDetails(
            name=f"{family} {given}",
            furigana=f"{family_kana} {given_kana}",
            birth_date=birth,
            sex=sex,
            postal_code=rng.choice(settings.CITY_POSTAL_CODES or ["3520001"]),
            address=f"新座市野火止{rng.randint(1, 8)}-{rng.randint(1, 30)}-{n + 1}",
            phone=f"048-4{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
            email=f"demo{n + 1}@example.jp",
        )

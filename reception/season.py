"""The season at a glance: counts for the health centre, never a person.

Reads only. Every figure is a count or a rate over slots, bookings and attendance of one
fiscal year (April–March); the charts (reception.charts) and the CSV are drawn from the
same `Figures`, so the two cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from reception.models import Attendance
from reception.queries import day_bounds
from reservations.models import (
    Reservation,
    ReservationItem,
    Slot,
    fiscal_year_end,
    fiscal_year_end_age,
)

# 年度末年齢 bands as the 地域保健・健康増進事業報告 counts them (40歳から5歳刻み、70歳以上).
AGE_BANDS = [(0, 39), (40, 44), (45, 49), (50, 54), (55, 59), (60, 64), (65, 69), (70, 200)]


def band_label(low: int, high: int) -> str:
    if low == 0:
        return f"{high}歳以下"
    if high >= 200:
        return f"{low}歳以上"
    return f"{low}〜{high}歳"


@dataclass
class Row:
    label: str
    value: int
    total: int = 0  # for a rate: value of total

    @property
    def percent(self) -> int:
        return round(100 * self.value / self.total) if self.total else 0


@dataclass
class Figures:
    fiscal_year: int
    fill_by_screening: list[Row] = field(default_factory=list)
    fill_by_venue: list[Row] = field(default_factory=list)
    fill_by_week: list[Row] = field(default_factory=list)
    bookings_per_day: list[Row] = field(default_factory=list)
    channels: list[Row] = field(default_factory=list)
    outcomes: list[Row] = field(default_factory=list)
    age_sex: list[tuple[str, list[Row]]] = field(default_factory=list)  # screening → bands

    def sections(self) -> list[tuple[str, str, list[Row]]]:
        """(key, Japanese heading, rows) for the CSV, in page order."""
        sections = [
            ("fill_by_screening", "検診別の予約率", self.fill_by_screening),
            ("fill_by_venue", "会場別の予約率", self.fill_by_venue),
            ("fill_by_week", "週別の予約率", self.fill_by_week),
            ("bookings_per_day", "申込日別の予約数", self.bookings_per_day),
            ("channels", "申込経路", self.channels),
            ("outcomes", "取消・欠席", self.outcomes),
        ]
        for screening, rows in self.age_sex:
            sections.append((f"age_sex:{screening}", f"年齢階級×性別（{screening}）", rows))
        return sections


def season_figures(fiscal_year: int) -> Figures:
    start, _ = day_bounds(date(fiscal_year, 4, 1))
    _, end = day_bounds(fiscal_year_end(fiscal_year))
    slots = Slot.objects.filter(starts_at__gte=start, starts_at__lt=end, called_off_at__isnull=True)
    figures = Figures(fiscal_year=fiscal_year)

    def fill(group: str) -> list[Row]:
        rows = slots.values(group).annotate(b=Sum("booked"), c=Sum("capacity")).order_by(group)
        return [Row(str(r[group]), r["b"] or 0, r["c"] or 0) for r in rows]

    figures.fill_by_screening = fill("screening_type__name")
    figures.fill_by_venue = fill("venue__name")
    weeks: dict[date, list[int]] = {}
    for starts_at, booked, capacity in slots.values_list("starts_at", "booked", "capacity"):
        day = timezone.localtime(starts_at).date()
        monday = day - timedelta(days=day.weekday())
        week = weeks.setdefault(monday, [0, 0])
        week[0] += booked
        week[1] += capacity
    figures.fill_by_week = [
        Row(f"{monday:%m/%d}週", b, c) for monday, (b, c) in sorted(weeks.items())
    ]

    items = ReservationItem.objects.filter(slot__starts_at__gte=start, slot__starts_at__lt=end)
    reservations = Reservation.objects.filter(pk__in=items.values("reservation_id"))
    per_day = (
        reservations.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    figures.bookings_per_day = [Row(f"{r['day']:%Y-%m-%d}", r["n"]) for r in per_day]
    live = reservations.filter(status=Reservation.Status.CONFIRMED)
    channel_labels = dict(Reservation.Channel.choices)
    channels = live.values("channel").annotate(n=Count("pk")).order_by("channel")
    total_live = live.count()
    figures.channels = [
        Row(str(channel_labels.get(r["channel"], r["channel"])), r["n"], total_live)
        for r in channels
    ]
    cancelled = reservations.filter(status=Reservation.Status.CANCELLED)
    attendance = Counter(Attendance.objects.filter(item__in=items).values_list("status", flat=True))
    all_bookings = reservations.count()
    figures.outcomes = [
        Row("予約（取消を含む）", all_bookings, all_bookings),
        Row(
            "住民・窓口による取消",
            cancelled.exclude(cancel_reason="called_off").count(),
            all_bookings,
        ),
        Row("中止による取消", cancelled.filter(cancel_reason="called_off").count(), all_bookings),
        Row("受診（受付済）", attendance["attended"], items.filter(is_live=True).count()),
        Row("欠席", attendance["absent"], items.filter(is_live=True).count()),
    ]
    counts: dict[str, Counter[tuple[int, str]]] = {}
    for name, birth_date, sex, starts_at in items.filter(is_live=True).values_list(
        "screening_type__name",
        "reservation__citizen__birth_date",
        "reservation__citizen__sex",
        "slot__starts_at",
    ):
        age = fiscal_year_end_age(birth_date, timezone.localtime(starts_at).date())
        band = next(i for i, (low, high) in enumerate(AGE_BANDS) if low <= age <= high)
        counts.setdefault(name, Counter())[(band, sex)] += 1
    for name in sorted(counts):
        rows = []
        for index, (low, high) in enumerate(AGE_BANDS):
            for sex, word in (("M", "男"), ("F", "女")):
                rows.append(Row(f"{band_label(low, high)} {word}", counts[name][(index, sex)]))
        figures.age_sex.append((name, rows))
    return figures

"""Reads for the screening day: the reception roster (受付名簿) of one venue and day.

Reads only; the writes are in reception.services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from reservations.fees import Fee, fee_for
from reservations.models import (
    Reservation,
    ReservationItem,
    Slot,
    Venue,
    fiscal_year_end_age,
)
from vouchers.fees import fee_class_rules, rule_in


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day` (the age the resident would say at reception)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def day_slots(venue: Venue, day: date) -> list[Slot]:
    start, end = day_bounds(day)
    return list(
        Slot.objects.filter(venue=venue, starts_at__gte=start, starts_at__lt=end)
        .select_related("screening_type")
        .order_by("starts_at", "screening_type__display_order")
    )


@dataclass
class RosterItem:
    item: ReservationItem
    fee: Fee
    attendance: str  # "", "attended" or "absent"


@dataclass
class RosterRow:
    reservation: Reservation
    age_on_day: int
    fiscal_year_end_age: int
    items: list[RosterItem]

    @property
    def total_fee(self) -> int:
        return sum(i.fee.amount for i in self.items)


@dataclass
class RosterGroup:
    """The residents whose first screening of the day starts at `starts_at`."""

    starts_at: datetime
    rows: list[RosterRow] = field(default_factory=list)


def roster(venue: Venue, day: date) -> list[RosterGroup]:
    """Live bookings at `venue` on `day`, one row per booking (a set booking's screenings
    together), grouped by the time of its first screening, by フリガナ within a time."""
    start, end = day_bounds(day)
    items = ReservationItem.objects.filter(is_live=True).select_related(
        "slot", "screening_type", "attendance"
    )
    reservations = (
        Reservation.objects.filter(
            status=Reservation.Status.CONFIRMED,
            items__is_live=True,
            items__slot__venue=venue,
            items__slot__starts_at__gte=start,
            items__slot__starts_at__lt=end,
        )
        .distinct()
        .select_related("citizen")
        .prefetch_related(Prefetch("items", queryset=items, to_attr="live_items"))
    )
    groups: dict[datetime, RosterGroup] = {}
    rules = fee_class_rules()  # once for the page, not once a row
    for reservation in reservations:
        citizen = reservation.citizen
        live = sorted(
            reservation.live_items,
            key=lambda i: (i.slot.starts_at, i.screening_type.display_order),
        )
        row = RosterRow(
            reservation=reservation,
            age_on_day=age_on(citizen.birth_date, day),
            fiscal_year_end_age=fiscal_year_end_age(citizen.birth_date, day),
            items=[
                RosterItem(
                    item=item,
                    fee=fee_for(
                        item.screening_type,
                        citizen.birth_date,
                        day,
                        fee_class=rule_in(rules, reservation.fee_class),
                    ),
                    attendance=_attendance_of(item),
                )
                for item in live
            ],
        )
        first = live[0].slot.starts_at
        groups.setdefault(first, RosterGroup(starts_at=first)).rows.append(row)
    ordered = [groups[key] for key in sorted(groups)]
    for group in ordered:
        group.rows.sort(key=lambda r: (r.reservation.citizen.furigana, r.reservation.number))
    return ordered


def _attendance_of(item: ReservationItem) -> str:
    try:
        return item.attendance.status
    except ReservationItem.attendance.RelatedObjectDoesNotExist:
        return ""

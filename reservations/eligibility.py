"""Who may book which slot: the rules, in words a resident can read.

The base layer of the booking journey: pages, queries and services all ask
`eligibility_reasons` the same question and show the same answer. It reads models and
the language picker, and nothing that writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from citizens.models import person_key as make_person_key
from citizens.models import person_keys as make_person_keys
from reservations.display import datetime_text, day_text
from reservations.language import screening_name
from reservations.models import (
    Reservation,
    ReservationItem,
    ScreeningHistory,
    Slot,
    SlotState,
    fiscal_year_end,
    fiscal_year_end_age,
    fiscal_year_of,
)
from reservations.precompiled import Precompiled, Value


class Person(Protocol):
    """Anyone the rules can be asked about: a CitizenDetails or a stored Citizen."""

    @property
    def birth_date(self) -> date: ...

    @property
    def sex(self) -> str: ...

    @property
    def person_key(self) -> str: ...

    @property
    def person_keys(self) -> list[str]: ...


@dataclass(frozen=True)
class CitizenDetails:
    """What a resident gives us, already normalised by the form."""

    name: str
    furigana: str
    birth_date: date
    sex: str
    postal_code: str
    address: str
    phone: str
    email: str = ""

    @property
    def person_key(self) -> str:
        return make_person_key(self.furigana, self.birth_date)

    @property
    def person_keys(self) -> list[str]:
        return make_person_keys(self.furigana, self.birth_date)


@dataclass(frozen=True)
class Reason:
    """Why someone cannot book a slot, in words a resident can read."""

    code: str
    message: str


# --- Eligibility -------------------------------------------------------------------------------


def _fy_end_text(screening_date: date) -> str:
    return day_text(fiscal_year_end(fiscal_year_of(screening_date)))


def eligibility_reasons(
    *,
    slot: Slot,
    person: Person,
    now: datetime | None = None,
    check_places: bool = True,
    ignore_reservation: Reservation | None = None,
) -> list[Reason]:
    """Every reason `person` cannot book this slot; an empty list means they can.

    Age is 年度末年齢 (age on 31 March of the slot's fiscal year). The interval rule looks
    at live bookings in the last `interval_years` fiscal years; cancelled ones don't count.
    `ignore_reservation` is the booking being moved, which must not block itself.
    """
    now = now or timezone.now()
    reasons = _rule_reasons(slot, person, now)
    booked = _booked_years(person, [slot], ignore_reservation)
    reasons += _interval_reasons(slot, booked.get(slot.screening_type_id, set()))
    if check_places and slot.remaining <= 0:
        reasons.append(Reason("full", _("This time is fully booked.")))
    return reasons


def eligible_slots(slots: Sequence[Slot], person: Person, now: datetime) -> list[Slot]:
    """Those of `slots` `person` may book (places not counted): eligibility_reasons'
    answer for each, with the interval rule asked in one query for all of them, and only
    for the slots the rules without a query (window, age, sex) let through. The "add a
    screening" step asks this for every other screening of the day."""
    passed = [slot for slot in slots if not _rule_reasons(slot, person, now)]
    if not passed:
        return []
    booked = _booked_years(person, passed, None)
    return [
        slot
        for slot in passed
        if not _interval_reasons(slot, booked.get(slot.screening_type_id, set()))
    ]


def _rule_reasons(slot: Slot, person: Person, now: datetime) -> list[Reason]:
    """The reasons that need no query: the screening offered, the booking window, age, sex."""
    screening = slot.screening_type
    reasons: list[Reason] = []

    if not screening.is_active:
        # Withdrawn by an administrator: a confirm page opened before must not book it.
        reasons.append(
            Reason(
                "not_offered",
                _("%(screening)s is not offered at the moment.")
                % {"screening": screening_name(screening)},
            )
        )
    state = slot.window_state(now)
    if state == SlotState.NOT_OPEN:
        opens = datetime_text(slot.opens_at)
        reasons.append(
            Reason("not_open", _("Booking for this time opens on %(opens)s.") % {"opens": opens})
        )
    elif state == SlotState.CLOSED:
        reasons.append(Reason("closed", _("Booking for this time has closed.")))

    screening_date = slot.local_date
    age = fiscal_year_end_age(person.birth_date, screening_date)
    params = {
        "date": _fy_end_text(screening_date),
        "age": age,
        "screening": screening_name(screening),
        "min": screening.min_age,
        "max": screening.max_age,
    }
    if age < screening.min_age:
        reasons.append(
            Reason(
                "too_young",
                _(
                    "On %(date)s you will be %(age)s: %(screening)s is for people aged "
                    "%(min)s or over on that day."
                )
                % params,
            )
        )
    if screening.max_age is not None and age > screening.max_age:
        reasons.append(
            Reason(
                "too_old",
                _(
                    "On %(date)s you will be %(age)s: %(screening)s is for people aged "
                    "%(max)s or under on that day."
                )
                % params,
            )
        )
    if screening.sex and screening.sex != person.sex:
        reasons.append(
            Reason(
                "wrong_sex",
                _("%(screening)s is for women only.") % params
                if screening.sex == "F"
                else _("%(screening)s is for men only.") % params,
            )
        )
    return reasons


def _booked_years(
    person: Person, slots: Sequence[Slot], ignore_reservation: Reservation | None
) -> dict[int, set[int]]:
    """Screening type id → the fiscal years `person` has a live booking or a purged
    screening of it in, near the fiscal years of `slots` (one query)."""
    # person_keys: also the key of bookings and history stored before 「・」 was folded.
    values: dict[str, Value] = {f"key{i}": key for i, key in enumerate(person.person_keys)}
    for i, slot in enumerate(slots):
        screening = slot.screening_type
        fiscal_year = fiscal_year_of(slot.local_date)
        values[f"screening{i}"] = screening.pk
        values[f"after{i}"] = fiscal_year - screening.interval_years
        values[f"before{i}"] = fiscal_year + screening.interval_years
    if ignore_reservation is not None:
        values["ignore"] = ignore_reservation.pk
    booked: dict[int, set[int]] = {}
    for screening_id, year in _BOOKED_YEARS.rows(**values):
        booked.setdefault(screening_id, set()).add(year)
    return booked


def _booked_years_query(**values: Any) -> QuerySet[Any]:
    """The query of _booked_years, for Precompiled: `key<i>` the person's keys,
    `screening<i>`/`after<i>`/`before<i>` each slot's screening and the fiscal years
    strictly between which a booking counts, `ignore` the booking being moved."""
    keys = [value for name, value in values.items() if name.startswith("key")]
    near = Q()
    for name, value in values.items():
        if name.startswith("screening"):
            i = name.removeprefix("screening")
            # Both directions: when next fiscal year's slots open before this one's close,
            # a booking for April must also keep out one for March (and the other way).
            near |= Q(
                screening_type_id=value,
                fiscal_year__gt=values[f"after{i}"],
                fiscal_year__lt=values[f"before{i}"],
            )
    nearby = ReservationItem.objects.filter(near, person_key__in=keys, is_live=True)
    if "ignore" in values:
        nearby = nearby.exclude(reservation_id=values["ignore"])
    # Screenings whose bookings were already purged (retention) still count.
    purged = ScreeningHistory.objects.filter(near, person_hash__in=keys)
    # One query (a UNION), so a booking committed in between cannot make the answer
    # inconsistent, and one round trip on every details form and confirm step.
    return nearby.values_list("screening_type_id", "fiscal_year").union(
        purged.values_list("screening_type_id", "fiscal_year")
    )


# Compiled once per shape (reservations.precompiled): asked on every details and confirm
# step, and building the ORM query cost more than PostgreSQL took to answer it.
_BOOKED_YEARS = Precompiled(_booked_years_query, small=("after", "before"))


def _interval_reasons(slot: Slot, booked_years: set[int]) -> list[Reason]:
    """Already booked this fiscal year, or within the screening's interval."""
    screening = slot.screening_type
    fiscal_year = fiscal_year_of(slot.local_date)
    # Only the years within this slot's interval (the query may have asked wider for
    # another slot of the same screening).
    booked_years = {
        year for year in booked_years if abs(year - fiscal_year) < screening.interval_years
    }
    if fiscal_year in booked_years:
        return [
            Reason(
                "already_booked",
                _("You already have a booking for %(screening)s in this fiscal year.")
                % {"screening": screening_name(screening)},
            )
        ]
    if booked_years:
        other = min(booked_years, key=lambda year: (abs(year - fiscal_year), year))
        return [
            Reason(
                "interval",
                _(
                    "%(screening)s is once every %(years)s fiscal years, and you already "
                    "have a booking for it in the fiscal year from %(start)s to %(end)s."
                )
                % {
                    "screening": screening_name(screening),
                    "years": screening.interval_years,
                    "start": day_text(date(other, 4, 1)),
                    "end": day_text(fiscal_year_end(other)),
                },
            )
        ]
    return []

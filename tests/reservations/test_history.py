"""The interval rule outlives the personal data: purged bookings leave a keyed hash."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from citizens.models import Citizen
from reservations import retention, services
from reservations.eligibility import eligibility_reasons
from reservations.models import Reservation, ScreeningHistory
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt

pytestmark = pytest.mark.django_db


def breast():
    return ScreeningTypeFactory(
        code="breast", name="乳がん検診", name_en="Breast", min_age=40, sex="F", interval_years=2
    )


def codes(slot, who):
    return [r.code for r in eligibility_reasons(slot=slot, person=who, check_places=False)]


def slot_on(screening, day):
    return SlotFactory(
        screening_type=screening,
        venue=VenueFactory(),
        starts_at=local_dt(day),
        opens_at=timezone.now() - timedelta(days=1),
        closes_at=local_dt(day) - timedelta(days=1),
    )


def purge_after(slot):
    return retention.reservations_purge(now=slot.starts_at + timedelta(days=400))


def test_a_purged_booking_still_keeps_the_same_person_out_of_that_fiscal_year():
    screening = breast()
    first = slot_on(screening, timezone.localdate() + timedelta(days=14))
    services.reservation_create(slots=[first], details=details())
    result = purge_after(first)
    assert result.reservations == 1 and result.history_kept == 1
    assert not Reservation.objects.exists() and not Citizen.objects.exists()

    same_year = slot_on(screening, first.local_date + timedelta(days=7))
    if same_year.fiscal_year == first.fiscal_year:
        assert codes(same_year, details(furigana="ﾔﾏﾀﾞ ﾊﾅｺ")) == ["already_booked"]
    next_year = slot_on(screening, date(first.fiscal_year + 1, 6, 1))
    assert codes(next_year, details()) == ["interval"]
    two_years_on = slot_on(screening, date(first.fiscal_year + 2, 6, 1))
    assert codes(two_years_on, details()) == []
    assert codes(next_year, details(furigana="スズキ ハナコ")) == []


def test_cancelled_bookings_leave_no_history():
    slot = slot_on(breast(), timezone.localdate() + timedelta(days=14))
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    services.reservation_cancel(reservation=reservation)
    assert purge_after(slot).history_kept == 0
    assert not ScreeningHistory.objects.exists()


def test_history_holds_no_personal_data():
    slot = slot_on(breast(), timezone.localdate() + timedelta(days=14))
    services.reservation_create(slots=[slot], details=details())
    purge_after(slot)
    row = ScreeningHistory.objects.values().get()
    text = repr(row)
    for canary in ("ヤマダ", "ハナコ", "1970", "05-01"):
        assert canary not in text
    assert len(row["person_hash"]) == 64


def test_history_is_forgotten_once_no_interval_needs_it():
    lung = ScreeningTypeFactory()  # every year
    two_yearly = breast()
    fy = 2026
    for screening in (lung, two_yearly):
        for year in (fy - 2, fy - 1, fy):
            ScreeningHistory.objects.create(
                person_hash="a" * 64, screening_type=screening, fiscal_year=year
            )
    forgotten = retention.history_prune(now=local_dt(date(fy, 6, 1)))
    kept = set(ScreeningHistory.objects.values_list("screening_type__code", "fiscal_year"))
    # Lung (yearly) needs only this fiscal year; breast (2-yearly) also the last one.
    assert kept == {("lung", fy), ("breast", fy - 1), ("breast", fy)}
    assert forgotten == 3


def test_the_day_s_screenings_asked_together_get_each_one_s_own_answer():
    # eligible_slots asks the interval rule for several screenings in one (precompiled)
    # query: each slot must get the answer eligibility_reasons gives it alone.
    from reservations.eligibility import eligible_slots

    day = timezone.localdate() + timedelta(days=30)
    lung = ScreeningTypeFactory(code="lung", name="肺がん検診", interval_years=1)
    two_yearly = breast()
    stomach = ScreeningTypeFactory(code="stomach", name="胃がん検診", interval_years=2)
    hanako, taro = details(), details(furigana="ヤマダ タロウ", sex="M")
    services.reservation_create(slots=[slot_on(two_yearly, day)], details=hanako)
    services.reservation_create(slots=[slot_on(stomach, day)], details=taro)
    later = day + timedelta(days=40)
    slots = [slot_on(lung, later), slot_on(two_yearly, later), slot_on(stomach, later)]
    for who in (hanako, taro):
        alone = [s for s in slots if not codes(s, who)]
        assert eligible_slots(slots, who, timezone.now()) == alone
    assert eligible_slots(slots, hanako, timezone.now()) == [slots[0], slots[2]]
    assert eligible_slots(slots, taro, timezone.now()) == [slots[0]]  # a man: no breast


def test_asked_together_a_purged_booking_of_the_year_before_keeps_the_interval():
    from reservations.eligibility import eligible_slots
    from reservations.models import fiscal_year_of

    day = timezone.localdate() + timedelta(days=30)
    lung = ScreeningTypeFactory(code="lung", name="肺がん検診", interval_years=1)
    two_yearly = breast()
    hanako = details()
    slots = [slot_on(lung, day), slot_on(two_yearly, day)]
    # Breast screening last fiscal year, its booking long purged: only the keyed hash left.
    ScreeningHistory.objects.create(
        person_hash=hanako.person_key,
        screening_type=two_yearly,
        fiscal_year=fiscal_year_of(day) - 1,
    )
    assert codes(slots[1], hanako) == ["interval"]
    assert eligible_slots(slots, hanako, timezone.now()) == [slots[0]]

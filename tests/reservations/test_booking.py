"""The booking core: eligibility, all-or-nothing booking, idempotency, cancel, move."""

import itertools
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reservations import services
from reservations.eligibility import eligibility_reasons
from reservations.models import (
    Notification,
    Reservation,
    ReservationItem,
    Slot,
    fiscal_year_end_age,
    fiscal_year_of,
)
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt

pytestmark = pytest.mark.django_db


def breast():
    return ScreeningTypeFactory(
        code="breast", name="乳がん検診", name_en="Breast", min_age=40, sex="F", interval_years=2
    )


def body30():
    return ScreeningTypeFactory(
        code="body30", name="30代のからだチェック", name_en="Body 30", min_age=30, max_age=39
    )


# --- 年度 and 年度末年齢 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [(date(2027, 3, 31), 2026), (date(2027, 4, 1), 2027), (date(2026, 12, 1), 2026)],
)
def test_fiscal_year_runs_april_to_march(day, fiscal_year):
    assert fiscal_year_of(day) == fiscal_year


def test_age_is_reckoned_on_31_march_of_the_screenings_fiscal_year():
    # Born 31 March 1987: 40 on 31 March 2027, so eligible all of FY2026 even in April 2026.
    assert fiscal_year_end_age(date(1987, 3, 31), date(2026, 4, 10)) == 40
    # Born 2 April 1987: turns 40 in FY2027, so 39 for every FY2026 screening.
    assert fiscal_year_end_age(date(1987, 4, 2), date(2027, 3, 31)) == 39
    # Born 29 February 1988: on 31 March 2027 (not a leap year) already 39.
    assert fiscal_year_end_age(date(1988, 2, 29), date(2027, 1, 5)) == 39
    assert fiscal_year_end_age(date(1988, 2, 29), date(2028, 3, 31)) == 40


def test_someone_born_on_1_april_is_a_year_older_on_31_march():
    # 年齢計算ニ関スル法律: the year is completed at the end of the day before the
    # birthday, so the 1 April child belongs with the year before (早生まれ). Municipal
    # notices: "40 or over in FY2026" = born on or before 1 April 1987.
    assert fiscal_year_end_age(date(1987, 4, 1), date(2026, 12, 1)) == 40
    assert fiscal_year_end_age(date(1987, 4, 1), date(2026, 4, 1)) == 40
    assert fiscal_year_end_age(date(1987, 4, 1), date(2026, 3, 31)) == 39


def test_1_april_birthday_is_eligible_for_40_plus_and_not_for_the_thirties_check():
    fy = fiscal_year_of(timezone.localdate() + timedelta(days=14))
    born = date(fy + 1 - 40, 4, 1)
    forty_plus = SlotFactory(screening_type=breast())
    assert reasons_for(forty_plus, birth_date=born) == []
    thirties = SlotFactory(screening_type=body30(), venue=forty_plus.venue)
    assert [r.code for r in reasons_for(thirties, birth_date=born)] == ["too_old"]


# --- Eligibility reasons ---------------------------------------------------------------------


def reasons_for(slot, **overrides):
    d = details(**overrides)
    return eligibility_reasons(slot=slot, person=d)


def test_too_young_on_31_march_is_explained_with_the_age_and_the_rule():
    slot = SlotFactory(screening_type=breast())
    fy_end = date(fiscal_year_of(slot.local_date) + 1, 3, 31)
    born = date(fy_end.year - 38, 1, 1)
    reasons = reasons_for(slot, birth_date=born)
    assert [r.code for r in reasons] == ["too_young"]
    assert "38" in reasons[0].message and "40" in reasons[0].message


def test_over_the_maximum_age_is_refused():
    slot = SlotFactory(screening_type=body30())
    assert [r.code for r in reasons_for(slot, birth_date=date(1970, 1, 1))] == ["too_old"]


def test_screening_for_women_refuses_men():
    slot = SlotFactory(screening_type=breast())
    assert [r.code for r in reasons_for(slot, sex="M")] == ["wrong_sex"]


def test_window_not_open_yet_and_closed_are_reasons():
    later = SlotFactory(opens_at=timezone.now() + timedelta(days=3))
    assert [r.code for r in reasons_for(later)] == ["not_open"]
    closed = SlotFactory(
        starts_at=local_dt(timezone.localdate() + timedelta(days=2)),
        closes_at=timezone.now() - timedelta(hours=1),
        opens_at=timezone.now() - timedelta(days=10),
    )
    assert [r.code for r in reasons_for(closed)] == ["closed"]


def test_full_slot_is_a_reason():
    slot = SlotFactory(capacity=1)
    Slot.objects.filter(pk=slot.pk).update(booked=1)
    slot.refresh_from_db()
    assert [r.code for r in reasons_for(slot)] == ["full"]


def test_booking_within_the_interval_is_refused_but_cancelled_ones_do_not_count():
    screening = breast()
    this_year = SlotFactory(screening_type=screening)
    reservation = services.reservation_create(slots=[this_year], details=details()).reservation
    other = SlotFactory(screening_type=screening, venue=VenueFactory())
    assert [r.code for r in reasons_for(other)] == ["already_booked"]

    # Pretend the booking was last fiscal year: a 2-yearly screening still refuses.
    ReservationItem.objects.filter(reservation=reservation).update(
        fiscal_year=this_year.fiscal_year - 1
    )
    assert [r.code for r in reasons_for(other)] == ["interval"]

    services.reservation_cancel(reservation=reservation)
    assert reasons_for(other) == []


def test_interval_also_counts_a_booking_in_a_later_fiscal_year():
    # April's slots (next fiscal year) open while March's are still bookable: someone who
    # booked the 2-yearly screening for April must not also get one in March.
    screening = breast()
    now = timezone.now()
    fy = fiscal_year_of(timezone.localdate()) + 1
    window = {"opens_at": now - timedelta(days=1), "closes_at": now + timedelta(days=400)}
    march = SlotFactory(screening_type=screening, starts_at=local_dt(date(fy + 1, 3, 20)), **window)
    april = SlotFactory(
        screening_type=screening,
        venue=march.venue,
        starts_at=local_dt(date(fy + 1, 4, 10)),
        **window,
    )
    assert march.fiscal_year + 1 == april.fiscal_year
    services.reservation_create(slots=[april], details=details())

    reasons = reasons_for(march)
    assert [r.code for r in reasons] == ["interval"]
    assert f"{fy + 1}年4月1日" in reasons[0].message
    with pytest.raises(services.NotEligible):
        services.reservation_create(slots=[march], details=details())


def test_interval_names_the_fiscal_year_of_the_earlier_booking():
    screening = ScreeningTypeFactory(
        code="stomach3", name="胃がん検診", name_en="Stomach", min_age=40, interval_years=3
    )
    slot = SlotFactory(screening_type=screening)
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    ReservationItem.objects.filter(reservation=reservation).update(fiscal_year=slot.fiscal_year - 2)
    other = SlotFactory(screening_type=screening, venue=VenueFactory())
    reasons = reasons_for(other)
    assert [r.code for r in reasons] == ["interval"]
    assert f"{slot.fiscal_year - 2}年4月1日" in reasons[0].message
    ReservationItem.objects.filter(reservation=reservation).update(fiscal_year=slot.fiscal_year - 3)
    assert reasons_for(other) == []


# --- Booking ---------------------------------------------------------------------------------


def test_booking_takes_a_place_and_queues_the_confirmation_together():
    slot = SlotFactory(capacity=3)
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    slot.refresh_from_db()
    assert slot.booked == 1
    assert reservation.status == Reservation.Status.CONFIRMED
    assert reservation.items.get().slot == slot
    assert list(reservation.notifications.values_list("kind", flat=True)) == ["confirmation"]


def test_reservation_number_is_twelve_random_digits_not_a_sequence():
    slots = [SlotFactory(venue=VenueFactory()) for _ in range(5)]
    numbers = [
        services.reservation_create(
            slots=[slot], details=details(furigana=f"ヤマダ {kana}")
        ).reservation.number
        for slot, kana in zip(slots, "アイウエオ", strict=True)
    ]
    assert all(len(n) == 12 and n.isdigit() for n in numbers)
    assert len(set(numbers)) == 5
    as_ints = sorted(int(n) for n in numbers)
    assert any(b - a > 1000 for a, b in itertools.pairwise(as_ints))


def test_set_booking_is_all_or_nothing_when_one_slot_is_full():
    venue = VenueFactory()
    lung = SlotFactory(venue=venue)
    stomach = SlotFactory(
        venue=venue,
        screening_type=ScreeningTypeFactory(code="stomach", name="胃がん検診", min_age=50),
        capacity=1,
        starts_at=lung.starts_at + timedelta(hours=1),
    )
    Slot.objects.filter(pk=stomach.pk).update(booked=1)
    with pytest.raises(services.SlotFull) as raised:
        services.reservation_create(slots=[lung, stomach], details=details())
    assert raised.value.slot.pk == stomach.pk
    lung.refresh_from_db()
    assert lung.booked == 0, "the first slot's place must be given back"
    assert not Reservation.objects.exists()
    assert not Notification.objects.exists()


def test_set_booking_must_be_same_day_and_same_venue():
    lung = SlotFactory()
    elsewhere = SlotFactory(
        screening_type=ScreeningTypeFactory(code="stomach", name="胃がん検診", min_age=50)
    )
    with pytest.raises(services.InvalidSelection):
        services.reservation_create(slots=[lung, elsewhere], details=details())


def test_full_slot_offers_nearest_free_times():
    full = SlotFactory(capacity=1)
    Slot.objects.filter(pk=full.pk).update(booked=1)
    near = SlotFactory(venue=full.venue, starts_at=full.starts_at + timedelta(hours=1))
    far = SlotFactory(venue=full.venue, starts_at=full.starts_at + timedelta(days=20))
    with pytest.raises(services.SlotFull) as raised:
        services.reservation_create(slots=[full], details=details())
    assert [s.pk for s in raised.value.alternatives][:2] == [near.pk, far.pk]


def test_same_form_token_returns_the_first_reservation():
    slot = SlotFactory()
    first = services.reservation_create(
        slots=[slot], details=details(), form_token="t1"
    ).reservation
    again = services.reservation_create(
        slots=[slot], details=details(), form_token="t1"
    ).reservation
    assert again.pk == first.pk
    slot.refresh_from_db()
    assert slot.booked == 1


def test_form_token_brought_back_by_another_person_is_refused_and_writes_nothing():
    slot = SlotFactory()
    first = services.reservation_create(
        slots=[slot], details=details(), form_token="t1"
    ).reservation
    with pytest.raises(services.FormTokenReused):
        services.reservation_create(
            slots=[slot], details=details(furigana="スズキ イチロウ"), form_token="t1"
        )
    slot.refresh_from_db()
    assert slot.booked == 1
    assert list(Reservation.objects.values_list("pk", flat=True)) == [first.pk]


def test_an_audit_record_that_cannot_be_written_is_not_reported_as_already_booked(monkeypatch):
    """A staff booking whose audit insert fails is refused as an audit failure, and nothing
    of it stays (not misread as the person's own earlier booking)."""
    import audit
    from audit.context import AuditContext

    def refuse(**kwargs):
        raise IntegrityError("audit insert refused")

    monkeypatch.setattr(audit, "record", refuse)
    slot = SlotFactory()
    with pytest.raises(services.AuditWriteFailed):
        services.reservation_create(
            slots=[slot], details=details(), audit_context=AuditContext(ip="192.0.2.1")
        )
    slot.refresh_from_db()
    assert slot.booked == 0
    assert not Reservation.objects.exists()


def test_same_person_is_recognised_across_kana_forms_and_spaces():
    screening = breast()
    services.reservation_create(
        slots=[SlotFactory(screening_type=screening)], details=details(furigana="ヤマダ ハナコ")
    )
    with pytest.raises(services.AlreadyBooked):
        services.reservation_create(
            slots=[SlotFactory(screening_type=screening, venue=VenueFactory())],
            details=details(furigana="ﾔﾏﾀﾞﾊﾅｺ"),
        )


def test_database_refuses_a_second_live_booking_even_past_the_python_check():
    slot = SlotFactory()
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    item = reservation.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationItem.objects.create(
            reservation=reservation,
            slot=slot,
            screening_type=item.screening_type,
            fiscal_year=item.fiscal_year,
            person_key=item.person_key,
        )


def test_booking_outside_the_window_is_refused_without_taking_a_place():
    slot = SlotFactory(opens_at=timezone.now() + timedelta(days=1))
    with pytest.raises(services.NotEligible) as raised:
        services.reservation_create(slots=[slot], details=details())
    assert [r.code for r in raised.value.reasons] == ["not_open"]
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_booking_that_fails_midway_leaves_nothing_behind(monkeypatch):
    slot = SlotFactory()

    def broken(reservation, kind):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services, "_queue_notification", broken)
    with pytest.raises(RuntimeError):
        services.reservation_create(slots=[slot], details=details())
    slot.refresh_from_db()
    assert slot.booked == 0
    assert not Reservation.objects.exists()


# --- Cancel and move -------------------------------------------------------------------------


def test_cancel_frees_the_place_records_who_and_is_not_repeatable():
    slot = SlotFactory()
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    services.reservation_cancel(reservation=reservation, by=Reservation.CancelledBy.RESIDENT)
    slot.refresh_from_db()
    reservation.refresh_from_db()
    assert slot.booked == 0
    assert reservation.status == Reservation.Status.CANCELLED
    assert reservation.cancelled_by_kind == "resident" and reservation.cancelled_at
    assert "cancellation" in reservation.notifications.values_list("kind", flat=True)
    with pytest.raises(services.NotCancellable):
        services.reservation_cancel(reservation=reservation)
    slot.refresh_from_db()
    assert slot.booked == 0


def test_move_takes_the_new_place_before_releasing_the_old_one():
    old = SlotFactory()
    new = SlotFactory(venue=old.venue, starts_at=old.starts_at + timedelta(days=7))
    reservation = services.reservation_create(slots=[old], details=details()).reservation
    services.reservation_move(reservation=reservation, new_slots=[new])
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.booked, new.booked) == (0, 1)
    assert reservation.items.get().slot == new
    assert "change" in reservation.notifications.values_list("kind", flat=True)


def test_move_to_a_full_slot_keeps_the_original_booking():
    old = SlotFactory()
    full = SlotFactory(venue=old.venue, starts_at=old.starts_at + timedelta(days=7), capacity=1)
    Slot.objects.filter(pk=full.pk).update(booked=1)
    reservation = services.reservation_create(slots=[old], details=details()).reservation
    with pytest.raises(services.SlotFull):
        services.reservation_move(reservation=reservation, new_slots=[full])
    old.refresh_from_db()
    assert old.booked == 1
    assert reservation.items.get().slot == old


def test_move_must_keep_the_same_screenings():
    old = SlotFactory()
    other = SlotFactory(
        venue=old.venue,
        screening_type=ScreeningTypeFactory(code="stomach", name="胃がん検診", min_age=50),
    )
    reservation = services.reservation_create(slots=[old], details=details()).reservation
    with pytest.raises(services.InvalidSelection):
        services.reservation_move(reservation=reservation, new_slots=[other])


def test_capacity_cannot_drop_below_booked():
    slot = SlotFactory(capacity=5)
    Slot.objects.filter(pk=slot.pk).update(booked=3)
    assert services.slot_set_capacity(slot=slot, capacity=2) is False
    assert services.slot_set_capacity(slot=slot, capacity=3) is True
    slot.refresh_from_db()
    assert slot.capacity == 3

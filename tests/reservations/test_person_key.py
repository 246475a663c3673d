"""The person key: one person however 「・」 and spaces are typed, and no readable name in it.

ReservationItem.person_key carries the one-booking-per-year rule, the interval rule and the
live-booking constraint. It is a keyed hash: the constraint's index and the database's error
messages (a unique violation's DETAIL goes to the PostgreSQL server log) must not hold a
name and a date of birth.
"""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from citizens.models import legacy_person_identity, person_hash, person_key
from reservations import retention, services
from reservations.eligibility import eligibility_reasons
from reservations.models import ReservationItem, ScreeningHistory
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt

pytestmark = pytest.mark.django_db

READABLE = ("ヤマダ", "タロウ", "ハナコ", "1970", "05-01")
SPELLINGS = ["ヤマダ・ハナコ", "ヤマダ ハナコ", "ヤマダハナコ", "ﾔﾏﾀﾞ･ﾊﾅｺ"]


def breast():
    return ScreeningTypeFactory(
        code="breast", name="乳がん検診", name_en="Breast", min_age=40, sex="F", interval_years=2
    )


def slot_on(screening, day):
    return SlotFactory(
        screening_type=screening,
        venue=VenueFactory(),
        starts_at=local_dt(day),
        opens_at=timezone.now() - timedelta(days=1),
        closes_at=local_dt(day) - timedelta(days=1),
    )


def codes(slot, who):
    return [r.code for r in eligibility_reasons(slot=slot, person=who, check_places=False)]


def test_the_stored_person_key_is_a_keyed_hash_not_the_name_and_birth_date():
    reservation = services.reservation_create(
        slots=[SlotFactory()], details=details(furigana="ヤマダ・タロウ")
    ).reservation
    key = reservation.items.get().person_key
    assert len(key) == 64 and int(key, 16) >= 0
    assert not any(part in key for part in READABLE)
    # Keyed: without SECRET_KEY the same name and birthday give another hash.
    assert key == person_key("ヤマダ・タロウ", date(1970, 5, 1))


def test_nakaguro_and_spaces_are_one_person_for_the_one_booking_per_year_rule():
    slot = SlotFactory()
    services.reservation_create(slots=[slot], details=details(furigana="ヤマダ・ハナコ"))
    for spelling in SPELLINGS:
        with pytest.raises(services.AlreadyBooked):
            services.reservation_create(
                slots=[SlotFactory(venue=VenueFactory())], details=details(furigana=spelling)
            )
    assert ReservationItem.objects.filter(is_live=True).count() == 1


def test_nakaguro_and_spaces_are_one_person_for_the_interval_rule():
    screening = breast()
    first = slot_on(screening, timezone.localdate() + timedelta(days=14))
    services.reservation_create(slots=[first], details=details(furigana="ヤマダ ハナコ"))
    next_year = slot_on(screening, date(first.fiscal_year + 1, 6, 1))
    for spelling in SPELLINGS:
        assert codes(next_year, details(furigana=spelling)) == ["interval"], spelling


def test_the_database_refuses_a_second_live_booking_under_another_spelling():
    slot = SlotFactory()
    reservation = services.reservation_create(
        slots=[slot], details=details(furigana="ヤマダ・ハナコ")
    ).reservation
    item = reservation.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationItem.objects.create(
            reservation=reservation,
            slot=slot,
            screening_type=item.screening_type,
            fiscal_year=item.fiscal_year,
            person_key=details(furigana="ヤマダハナコ").person_key,
        )


def test_purged_history_is_the_same_key_so_the_interval_rule_still_folds():
    screening = breast()
    first = slot_on(screening, timezone.localdate() + timedelta(days=14))
    services.reservation_create(slots=[first], details=details(furigana="ヤマダ・ハナコ"))
    retention.reservations_purge(now=first.starts_at + timedelta(days=400))
    row = ScreeningHistory.objects.get()
    assert row.person_hash == person_key("ヤマダハナコ", date(1970, 5, 1))
    next_year = slot_on(screening, date(first.fiscal_year + 1, 6, 1))
    assert codes(next_year, details(furigana="ヤマダ ハナコ")) == ["interval"]


def test_history_written_before_the_folding_is_still_found_under_its_spelling():
    # A row hashed from "ヤマダ・ハナコ|1970-05-01" (「・」 kept, as before migration 0005)
    # cannot be recomputed; the same spelling typed again still finds it.
    screening = breast()
    this_year = slot_on(screening, timezone.localdate() + timedelta(days=14))
    ScreeningHistory.objects.create(
        person_hash=person_hash(legacy_person_identity("ヤマダ・ハナコ", date(1970, 5, 1))),
        screening_type=screening,
        fiscal_year=this_year.fiscal_year - 1,
    )
    assert codes(this_year, details(furigana="ヤマダ・ハナコ")) == ["interval"]


def test_the_phone_desk_finds_a_booking_under_another_spelling(client):
    from core.roles import HEALTH_CENTRE
    from tests.helpers import login_staff, make_staff

    reservation = services.reservation_create(
        slots=[SlotFactory()], details=details(furigana="ヤマダ・ハナコ")
    ).reservation
    login_staff(client, make_staff(roles=[HEALTH_CENTRE]))
    response = client.post(
        "/staff/desk/find/", {"furigana": "ヤマダ ハナコ", "birth_date": "1970-05-01"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{reservation.pk}/")


@pytest.mark.postgres
def test_a_duplicate_bookings_database_error_names_no_furigana_or_birth_date():
    # The message and DETAIL of a unique violation are what PostgreSQL writes into its
    # server log (log_min_error_statement defaults to ERROR).
    slot = SlotFactory()
    reservation = services.reservation_create(
        slots=[slot], details=details(furigana="ヤマダ・タロウ")
    ).reservation
    item = reservation.items.get()
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        ReservationItem.objects.create(
            reservation=reservation,
            slot=slot,
            screening_type=item.screening_type,
            fiscal_year=item.fiscal_year,
            person_key=item.person_key,
        )
    diag = raised.value.__cause__.diag
    assert diag.constraint_name == "one_live_booking_per_person_screening_year"
    logged = f"{raised.value} {diag.message_primary} {diag.message_detail}"
    assert "already exists" in logged  # the DETAIL is there, with the key in it
    for part in READABLE:
        assert part not in logged, part

"""Django admin for administrators: fill rates, bulk slot creation, capacity guard."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import ADMINISTRATOR
from reservations import services
from reservations.models import Slot
from tests.factories import SlotFactory, VenueFactory, details
from tests.helpers import login_staff, make_superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    return login_staff(client, make_superuser("admin1", roles=[ADMINISTRATOR]))


def test_slot_list_shows_fill_rate(admin_client):
    slot = SlotFactory(capacity=8)
    services.reservation_create(slots=[slot], details=details())
    page = admin_client.get(reverse("admin:reservations_slot_changelist"))
    assert page.status_code == 200
    assert "1 / 8 (12%)" in page.content.decode()


def test_bulk_creation_makes_one_slot_per_day_time_and_screening(admin_client):
    venue = VenueFactory()
    SlotFactory(venue=venue)  # ensures the lung screening type exists
    start = timezone.localdate() + timedelta(days=30)
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    now = timezone.localtime()
    form = {
        "venue": venue.pk,
        "screening_types": [Slot.objects.first().screening_type_id],
        "first_date": monday.isoformat(),
        "last_date": (monday + timedelta(days=13)).isoformat(),
        "weekdays": ["0", "2"],  # Mondays and Wednesdays: 4 days in two weeks
        "start_times": "09:00, 09:30、10:00",
        "duration_minutes": "30",
        "capacity": "6",
        "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
        # Past the preview; holidays included so the count does not depend on the calendar
        # (tests/reservations/test_closed_days.py covers skipping them).
        "include_closed_days": "on",
        "create": "1",
    }
    url = reverse("admin:reservations_slot_bulk_create")
    before = Slot.objects.count()
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Slot.objects.count() - before == 4 * 3
    # Submitting the same pattern again creates nothing new.
    admin_client.post(url, form)
    assert Slot.objects.count() - before == 4 * 3
    created = Slot.objects.filter(venue=venue, capacity=6)
    assert {timezone.localtime(s.starts_at).weekday() for s in created} == {0, 2}


def test_bulk_creation_rejects_garbage_times_with_a_message(admin_client):
    venue = VenueFactory()
    slot = SlotFactory(venue=venue)
    response = admin_client.post(
        reverse("admin:reservations_slot_bulk_create"),
        {
            "venue": venue.pk,
            "screening_types": [slot.screening_type_id],
            "first_date": "2027-02-31",
            "last_date": date.today().isoformat(),
            "weekdays": ["0"],
            "start_times": "nine o'clock",
            "duration_minutes": "30",
            "capacity": "6",
            "opens_at": "garbage",
            "closes_at": "",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"first_date", "start_times", "opens_at"}


def test_lowering_capacity_below_booked_is_refused_with_a_message(admin_client):
    slot = SlotFactory(capacity=5)
    Slot.objects.filter(pk=slot.pk).update(booked=4)
    url = reverse("admin:reservations_slot_change", args=[slot.pk])
    response = admin_client.post(url, slot_form(slot, capacity="3"))
    assert response.status_code == 200
    assert "4" in str(response.context["adminform"].form.errors["capacity"])
    slot.refresh_from_db()
    assert slot.capacity == 5


def slot_form(slot, **changes):
    local = timezone.localtime
    data = {
        "venue": slot.venue_id,
        "screening_type": slot.screening_type_id,
        "starts_at_0": local(slot.starts_at).strftime("%Y-%m-%d"),
        "starts_at_1": local(slot.starts_at).strftime("%H:%M:%S"),
        "ends_at_0": local(slot.ends_at).strftime("%Y-%m-%d"),
        "ends_at_1": local(slot.ends_at).strftime("%H:%M:%S"),
        "capacity": str(slot.capacity),
        "opens_at_0": local(slot.opens_at).strftime("%Y-%m-%d"),
        "opens_at_1": local(slot.opens_at).strftime("%H:%M:%S"),
        "closes_at_0": local(slot.closes_at).strftime("%Y-%m-%d"),
        "closes_at_1": local(slot.closes_at).strftime("%H:%M:%S"),
    }
    data.update(changes)
    return data


def test_a_booked_slot_keeps_its_screening_and_fiscal_year(admin_client):
    from tests.factories import ScreeningTypeFactory

    slot = SlotFactory(capacity=5)
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    stomach = ScreeningTypeFactory(code="stomach", name="胃がん検診", min_age=40)
    url = reverse("admin:reservations_slot_change", args=[slot.pk])

    response = admin_client.post(url, slot_form(slot, screening_type=stomach.pk))
    assert response.status_code == 200
    assert "screening_type" in response.context["adminform"].form.errors

    next_year = timezone.localtime(slot.starts_at) + timedelta(days=366)
    later = slot_form(
        slot,
        starts_at_0=next_year.strftime("%Y-%m-%d"),
        ends_at_0=next_year.strftime("%Y-%m-%d"),
        closes_at_0=(next_year - timedelta(days=1)).strftime("%Y-%m-%d"),
    )
    response = admin_client.post(url, later)
    assert response.status_code == 200
    assert "starts_at" in response.context["adminform"].form.errors

    slot.refresh_from_db()
    item = reservation.items.get()
    assert slot.screening_type_id == item.screening_type_id
    assert slot.fiscal_year == item.fiscal_year

    # Once nobody holds a place, the slot may change freely.
    services.reservation_cancel(reservation=reservation)
    assert admin_client.post(url, slot_form(slot, screening_type=stomach.pk)).status_code == 302
    slot.refresh_from_db()
    assert slot.screening_type_id == stomach.pk


def test_a_booked_slot_keeps_its_venue_and_day(admin_client):
    slot = SlotFactory(capacity=5)
    services.reservation_create(slots=[slot], details=details())
    url = reverse("admin:reservations_slot_change", args=[slot.pk])

    response = admin_client.post(url, slot_form(slot, venue=VenueFactory().pk))
    assert "venue" in response.context["adminform"].form.errors

    next_day = timezone.localtime(slot.starts_at) + timedelta(days=1)
    response = admin_client.post(
        url,
        slot_form(
            slot,
            starts_at_0=next_day.strftime("%Y-%m-%d"),
            ends_at_0=next_day.strftime("%Y-%m-%d"),
        ),
    )
    assert "starts_at" in response.context["adminform"].form.errors
    slot.refresh_from_db()
    assert slot.local_date == timezone.localtime(slot.starts_at).date()
    assert timezone.localtime(slot.starts_at) == next_day - timedelta(days=1)


def test_a_new_time_on_the_same_day_is_mailed_and_exported_as_a_change(admin_client):
    from reservations.models import Notification, Reservation

    slot = SlotFactory(capacity=5)
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    before = Reservation.objects.get(pk=reservation.pk).changed_at
    later = timezone.localtime(slot.starts_at) + timedelta(minutes=30)
    response = admin_client.post(
        reverse("admin:reservations_slot_change", args=[slot.pk]),
        slot_form(
            slot,
            starts_at_1=later.strftime("%H:%M:%S"),
            ends_at_1=(later + timedelta(minutes=30)).strftime("%H:%M:%S"),
        ),
    )
    assert response.status_code == 302
    slot.refresh_from_db()
    assert timezone.localtime(slot.starts_at) == later
    assert Reservation.objects.get(pk=reservation.pk).changed_at > before
    kinds = list(
        Notification.objects.filter(reservation=reservation).values_list("kind", flat=True)
    )
    assert kinds.count("change") == 1


def test_saving_a_slot_in_admin_never_overwrites_the_booked_counter(admin_client, monkeypatch):
    from reservations.admin import SlotAdminForm

    slot = SlotFactory(capacity=5)
    url = reverse("admin:reservations_slot_change", args=[slot.pk])
    original_clean = SlotAdminForm.clean_capacity

    def booking_arrives_meanwhile(form):
        # A resident books after admin loaded the slot (booked == 0) and before it saves.
        services.reservation_create(slots=[slot], details=details())
        return original_clean(form)

    monkeypatch.setattr(SlotAdminForm, "clean_capacity", booking_arrives_meanwhile)
    admin_client.post(url, slot_form(slot, capacity="7"))
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (7, 1)


def test_reservation_search_by_number_and_by_furigana_in_any_kana(admin_client):
    slot = SlotFactory()
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    url = reverse("admin:reservations_reservation_changelist")
    by_number = admin_client.get(url, {"q": reservation.display_number})
    assert reservation.display_number in by_number.content.decode()
    by_kana = admin_client.get(url, {"q": "やまだ"})
    assert reservation.display_number in by_kana.content.decode()
    nobody = admin_client.get(url, {"q": "スズキ"})
    assert reservation.display_number not in nobody.content.decode()


def test_admin_cancels_on_a_residents_behalf(admin_client):
    slot = SlotFactory()
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    admin_client.post(
        reverse("admin:reservations_reservation_changelist"),
        {"action": "cancel_on_behalf", "_selected_action": [reservation.pk]},
    )
    reservation.refresh_from_db()
    slot.refresh_from_db()
    assert reservation.status == "cancelled" and reservation.cancelled_by_kind == "staff"
    assert slot.booked == 0

"""Set bookings (セット検診) at the phone desk: the screenings to add are chosen in the same
form as the caller's details, every choice is booked or refused with its own message and
the details stay in the form; one screening can be taken out of a set later."""

import re
from datetime import timedelta

import pytest

from audit.models import AuditEvent
from reservations import services
from reservations.models import Notification, Reservation, Slot
from tests.factories import ScreeningTypeFactory, SlotFactory, details
from tests.staff.test_desk import BOOK, book, caller

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    """Lung at 9:00; stomach at 9:30 and 10:00, the same day at the same venue."""
    lung = SlotFactory()
    stomach = ScreeningTypeFactory(code="stomach", name="胃がん検診", min_age=50)
    early = SlotFactory(
        screening_type=stomach, venue=lung.venue, starts_at=lung.starts_at + timedelta(minutes=30)
    )
    late = SlotFactory(
        screening_type=stomach, venue=lung.venue, starts_at=lung.starts_at + timedelta(minutes=60)
    )
    return lung, early, late


def forms(response):
    return re.findall(r"<form.*?</form>", response.content.decode(), re.S)


def test_the_screenings_to_add_are_in_the_details_form(desk, day):
    lung, early, late = day
    page = desk.get(BOOK, {"slot": lung.pk})
    assert page.status_code == 200
    booking_form = next(f for f in forms(page) if 'name="furigana"' in f)
    name = f"extra_{early.screening_type_id}"
    for slot in (early, late):
        assert f'name="{name}" value="{slot.pk}"' in booking_form
    # No second form whose ticks would be lost when the details are submitted.
    assert sum(name in f for f in forms(page)) == 1


def test_a_chosen_screening_is_booked_with_the_details_in_one_press(desk, day):
    lung, early, _late = day
    response = book(desk, [lung], **{f"extra_{early.screening_type_id}": early.pk})
    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert sorted(i.slot_id for i in reservation.items.all()) == sorted([lung.pk, early.pk])
    assert Slot.objects.get(pk=early.pk).booked == 1


def test_not_adding_one_books_the_first_screening_alone(desk, day):
    lung, early, _late = day
    assert book(desk, [lung], **{f"extra_{early.screening_type_id}": ""}).status_code == 302
    assert [i.slot_id for i in Reservation.objects.get().items.all()] == [lung.pk]


def test_a_form_error_keeps_the_details_and_the_chosen_screening(desk, day):
    lung, early, _late = day
    response = book(
        desk, [lung], postal_code="12", **{f"extra_{early.screening_type_id}": early.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"postal_code"}
    text = response.content.decode()
    assert 'value="佐藤 一郎"' in text and 'value="048-481-1111"' in text
    assert re.search(rf'value="{early.pk}"[^>]*checked', text)
    assert not Reservation.objects.exists()


def test_two_times_of_the_same_screening_are_refused_for_what_they_are(desk, day):
    lung, early, late = day
    name = f"extra_{early.screening_type_id}"
    response = desk.post(
        BOOK, {"slot": [lung.pk], "form_token": "t" * 32, **caller(), name: [early.pk, late.pk]}
    )
    assert response.status_code == 200
    assert response.context["extras"].errors[name] == ["この検診の時間は1つだけ選んでください。"]
    assert 'value="佐藤 一郎"' in response.content.decode()
    assert not Reservation.objects.exists()

    # The same screening twice among the times being booked.
    twice = book(desk, [early, late])
    assert twice.status_code == 409
    problems = re.search(r'<ul class="problems">(.*?)</ul>', twice.content.decode(), re.S)
    assert "検診ごとに時間を1つ選んでください" in problems.group(1)
    assert "同じ日・同じ会場" not in problems.group(1)


def test_a_screening_the_caller_may_not_take_is_refused_with_the_reason(desk, day):
    lung, _early, _late = day
    breast = ScreeningTypeFactory(code="breast", name="乳がん検診", min_age=40, sex="F")
    slot = SlotFactory(
        screening_type=breast, venue=lung.venue, starts_at=lung.starts_at + timedelta(hours=2)
    )
    response = book(desk, [lung], **{f"extra_{breast.pk}": slot.pk})  # a man
    assert response.status_code == 409
    assert response.context["form"].errors["sex"]
    assert not Reservation.objects.exists()


def test_a_time_that_filled_is_refused_and_the_details_kept(desk, day):
    lung, early, _late = day
    Slot.objects.filter(pk=early.pk).update(booked=early.capacity)
    response = book(desk, [lung], **{f"extra_{early.screening_type_id}": early.pk})
    assert response.status_code == 200
    assert response.context["extras"].errors
    assert 'value="佐藤 一郎"' in response.content.decode()
    assert not Reservation.objects.exists()


def test_a_full_first_time_offers_others_and_keeps_the_details(desk, day):
    lung, _early, _late = day
    other = SlotFactory(
        screening_type=lung.screening_type,
        venue=lung.venue,
        starts_at=lung.starts_at + timedelta(days=1),
    )
    data = {"slot": [lung.pk], "form_token": "t" * 32, **caller()}
    Slot.objects.filter(pk=lung.pk).update(booked=lung.capacity)
    full = desk.post(BOOK, data)
    assert full.status_code == 409
    assert f'name="instead" value="{other.pk}"' in full.content.decode()

    instead = desk.post(BOOK, {**data, "instead": other.pk})
    assert instead.status_code == 200
    assert instead.context["slots"] == [other]
    assert 'value="佐藤 一郎"' in instead.content.decode()
    assert not Reservation.objects.exists()  # shown again, not booked unasked

    assert desk.post(BOOK, {**data, "slot": [other.pk]}).status_code == 302
    assert [i.slot_id for i in Reservation.objects.get().items.all()] == [other.pk]


def test_a_full_first_time_keeps_the_ticked_screening_for_the_time_chosen_instead(desk, day):
    lung, early, _late = day
    other = SlotFactory(
        screening_type=lung.screening_type,
        venue=lung.venue,
        starts_at=lung.starts_at + timedelta(minutes=90),  # the same day: stomach still fits
    )
    data = {
        "slot": [lung.pk],
        "form_token": "t" * 32,
        f"extra_{early.screening_type_id}": early.pk,
        **caller(),
    }
    Slot.objects.filter(pk=lung.pk).update(booked=lung.capacity)
    assert desk.post(BOOK, data).status_code == 409

    instead = desk.post(BOOK, {**data, "instead": other.pk})
    assert instead.status_code == 200
    ticked = f'value="{early.pk}" id="id_extra_{early.screening_type_id}_1" checked'
    assert ticked in instead.content.decode()  # the stomach time is still chosen

    assert desk.post(BOOK, {**data, "slot": [other.pk]}).status_code == 302
    booked_slots = {i.slot_id for i in Reservation.objects.get().items.all()}
    assert booked_slots == {other.pk, early.pk}


# --- Taking one screening out ------------------------------------------------------------------


def test_staff_take_one_screening_out_of_a_set(desk, day, health_centre_user):
    lung, early, _late = day
    reservation = services.reservation_create(slots=[lung, early], details=details()).reservation
    page = desk.get(f"/staff/desk/reservations/{reservation.pk}/")
    url = f"/staff/desk/reservations/{reservation.pk}/drop/{early.screening_type_id}/"
    assert url in page.content.decode()

    ask = desk.get(url)
    assert ask.status_code == 200
    assert reservation.items.count() == 2
    done = desk.post(url)
    assert done.status_code == 302
    assert [i.slot_id for i in reservation.items.all()] == [lung.pk]
    assert Slot.objects.get(pk=early.pk).booked == 0
    event = AuditEvent.objects.get(action="reservations.reservation.screening_dropped")
    assert event.actor_id == health_centre_user.pk
    assert event.details["via"] == "phone_desk"
    assert reservation.notifications.filter(kind=Notification.Kind.CHANGE).exists()

    again = desk.post(url, follow=True)
    assert "この予約にはこの検診がありません" in again.content.decode()
    last = f"/staff/desk/reservations/{reservation.pk}/drop/{lung.screening_type_id}/"
    page = desk.get(f"/staff/desk/reservations/{reservation.pk}/")
    assert f'href="{last}"' not in page.content.decode()
    assert desk.get(last).status_code == 404
    refused = desk.post(last, follow=True)
    assert "予約を取り消してください" in refused.content.decode()
    assert reservation.items.count() == 1

"""The phone desk: the same pool of places and the same rules as the web."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from reservations import services
from reservations.models import Reservation, Slot
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details

pytestmark = pytest.mark.django_db

BOOK = "/staff/desk/book/"


def caller(**overrides):
    """What staff type while the caller reads out their details (no email by phone)."""
    data = {
        "name": "佐藤 一郎",
        "furigana": "さとう いちろう",  # staff may type hiragana: it becomes katakana
        "birth_date_era": "S",
        "birth_date_year": "40",
        "birth_date_month": "4",
        "birth_date_day": "10",
        "sex": "M",
        "postal_code": "352-0001",
        "address": "新座市野火止1-2-3",
        "phone": "048-481-1111",
        "email": "",
        "email_confirm": "",
    }
    data.update(overrides)
    return data


def book(client, slots, token="t" * 32, **overrides):
    return client.post(
        BOOK, {"slot": [s.pk for s in slots], "form_token": token, **caller(**overrides)}
    )


def test_desk_is_the_first_page_for_health_centre_and_searches_free_places(desk):
    open_slot = SlotFactory(capacity=3)
    full = SlotFactory(
        capacity=1, venue=open_slot.venue, starts_at=open_slot.starts_at + timedelta(hours=1)
    )
    Slot.objects.filter(pk=full.pk).update(booked=1)
    assert desk.get("/staff/").status_code == 200
    page = desk.get("/staff/desk/", {"screening": open_slot.screening_type_id})
    assert page.status_code == 200
    assert page.context["slots"] == [open_slot]
    by_day = desk.get(
        "/staff/desk/",
        {"screening": open_slot.screening_type_id, "date": open_slot.local_date.isoformat()},
    )
    assert by_day.context["slots"] == [open_slot]
    other_day = desk.get(
        "/staff/desk/",
        {
            "screening": open_slot.screening_type_id,
            "date": (open_slot.local_date + timedelta(days=1)).isoformat(),
        },
    )
    assert other_day.context["slots"] == []


def test_bad_search_input_gets_a_message_not_an_error(desk):
    response = desk.get("/staff/desk/", {"screening": "999999", "date": "2027-02-31"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"screening", "date"}
    assert desk.get(BOOK, {"slot": "abc"}).status_code == 400
    assert desk.get(BOOK, {"slot": "999999"}).status_code == 400
    assert desk.get(BOOK).status_code == 400


def test_phone_booking_is_recorded_as_by_phone_and_by_whom(desk, health_centre_user):
    slot = SlotFactory()
    assert desk.get(BOOK, {"slot": slot.pk}).status_code == 200
    response = book(desk, [slot])
    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert reservation.channel == Reservation.Channel.PHONE
    assert reservation.booked_by == health_centre_user
    assert reservation.citizen.furigana == "サトウ イチロウ"
    assert reservation.citizen.email == ""
    assert response["Location"] == f"/staff/desk/reservations/{reservation.pk}/"
    event = AuditEvent.objects.get(action="reservations.reservation.booked_by_phone")
    assert event.target_id == str(reservation.pk)
    assert event.details == {"slot_ids": [slot.pk]}
    slot.refresh_from_db()
    assert slot.booked == 1


def test_a_double_submitted_phone_booking_makes_one_reservation(desk):
    slot = SlotFactory()
    book(desk, [slot], token="same-token-" + "x" * 20)
    book(desk, [slot], token="same-token-" + "x" * 20)
    assert Reservation.objects.count() == 1
    assert AuditEvent.objects.filter(action="reservations.reservation.booked_by_phone").count() == 1


def test_phone_desk_applies_the_web_eligibility_rules(desk):
    breast = ScreeningTypeFactory(
        code="breast", name="乳がん検診", min_age=40, sex="F", interval_years=2
    )
    slot = SlotFactory(screening_type=breast)
    response = book(desk, [slot])  # a man
    assert response.status_code == 409
    assert response.context["form"].errors["sex"]
    young = book(desk, [SlotFactory()], birth_date_era="H", birth_date_year="20", sex="F")
    assert young.status_code == 409
    assert young.context["form"].errors["birth_date"]
    assert not Reservation.objects.exists()


def test_phone_desk_uses_the_residents_form_validation(desk):
    slot = SlotFactory()
    response = book(desk, [slot], furigana="Sato", postal_code="12")
    assert response.status_code == 200
    assert {"furigana", "postal_code"} <= response.context["form"].errors.keys()
    assert not Reservation.objects.exists()


def test_same_person_cannot_be_booked_twice_by_phone_and_web(desk):
    slot = SlotFactory()
    services.reservation_create(
        slots=[slot],
        details=details(
            furigana="サトウ イチロウ", birth_date=timezone.datetime(1965, 4, 10).date(), sex="M"
        ),
    )
    response = book(
        desk, [SlotFactory(venue=slot.venue, starts_at=slot.starts_at + timedelta(days=1))]
    )
    assert response.status_code == 409
    assert Reservation.objects.count() == 1


def test_last_place_cannot_be_sold_twice_phone_first(desk):
    slot = SlotFactory(capacity=1)
    assert book(desk, [slot]).status_code == 302
    with pytest.raises(services.SlotFull):
        services.reservation_create(slots=[slot], details=details())
    slot.refresh_from_db()
    assert slot.booked == 1
    assert Reservation.objects.count() == 1


def test_last_place_cannot_be_sold_twice_web_first(desk):
    slot = SlotFactory(capacity=1)
    later = SlotFactory(venue=slot.venue, starts_at=slot.starts_at + timedelta(hours=2))
    services.reservation_create(slots=[slot], details=details())
    response = book(desk, [slot])
    assert response.status_code == 409
    assert response.context["alternatives"] == [later]
    slot.refresh_from_db()
    assert slot.booked == 1
    assert Reservation.objects.count() == 1


def test_set_booking_offers_other_screenings_at_the_same_venue_and_day(desk):
    lung = SlotFactory()
    stomach_type = ScreeningTypeFactory(
        code="stomach", name="胃がん検診", min_age=50, interval_years=1
    )
    stomach = SlotFactory(screening_type=stomach_type, venue=lung.venue, starts_at=lung.starts_at)
    page = desk.get(BOOK, {"slot": lung.pk})
    assert page.context["extras"].slots == {stomach.pk: stomach}
    assert book(desk, [lung, stomach]).status_code == 302
    assert Reservation.objects.get().items.count() == 2


def test_find_by_number_and_view_is_audited(desk):
    reservation = services.reservation_create(slots=[SlotFactory()], details=details()).reservation
    response = desk.post("/staff/desk/find/", {"number": reservation.display_number})
    assert response.status_code == 302
    page = desk.get(response["Location"])
    assert page.status_code == 200
    assert "山田 花子" in page.content.decode()
    viewed = AuditEvent.objects.get(action="citizens.citizen.viewed")
    assert viewed.target_id == str(reservation.citizen_id)
    assert viewed.details == {"via": "phone_desk", "reservation_id": reservation.pk}
    searched = AuditEvent.objects.get(action="reservations.reservation.searched")
    assert searched.details == {"via": "phone_desk", "by": "number", "results": 1}
    assert "山田" not in str(searched.details) + str(viewed.details)


def test_find_by_furigana_and_birth_date_in_any_form(desk):
    first = services.reservation_create(slots=[SlotFactory()], details=details()).reservation
    stomach_type = ScreeningTypeFactory(code="stomach", name="胃がん検診", min_age=50)
    second = services.reservation_create(
        slots=[SlotFactory(screening_type=stomach_type)], details=details()
    ).reservation
    response = desk.post(
        "/staff/desk/find/", {"furigana": "やまだ　はなこ", "birth_date": "S45.5.1"}
    )
    assert response.status_code == 200
    assert set(response.context["reservations"]) == {first, second}
    # Searched by POST: nothing personal ends up in a URL or an access log.
    assert desk.get("/staff/desk/find/").status_code == 405


def test_find_refusals_say_what_is_missing(desk):
    nothing = desk.post("/staff/desk/find/", {})
    assert nothing.status_code == 400
    assert nothing.context["find_form"].non_field_errors()
    bad = desk.post(
        "/staff/desk/find/", {"number": "12-34", "furigana": "Yamada", "birth_date": "someday"}
    )
    assert bad.status_code == 400
    assert bad.context["find_form"].errors.keys() == {"number", "furigana", "birth_date"}
    unknown = desk.post("/staff/desk/find/", {"number": "0000-0000-0000"})
    assert unknown.status_code == 404
    assert desk.get("/staff/desk/reservations/999999/").status_code == 404


def test_cancel_on_the_callers_behalf(desk, health_centre_user):
    slot = SlotFactory()
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    url = f"/staff/desk/reservations/{reservation.pk}/cancel/"
    assert desk.get(url).status_code == 200
    assert desk.post(url).status_code == 302
    reservation.refresh_from_db()
    slot.refresh_from_db()
    assert reservation.status == "cancelled"
    assert (
        reservation.cancelled_by_kind == "staff" and reservation.cancelled_by == health_centre_user
    )
    assert slot.booked == 0
    event = AuditEvent.objects.get(action="reservations.reservation.cancelled")
    assert event.details == {"via": "phone_desk", "slot_ids": [slot.pk]}
    # Cancelling again is refused with a message, not an error.
    again = desk.post(url, follow=True)
    assert again.status_code == 200
    assert desk.get(url).status_code == 404


def test_move_to_another_time(desk):
    slot = SlotFactory()
    target = SlotFactory(venue=slot.venue, starts_at=slot.starts_at + timedelta(days=2))
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    url = f"/staff/desk/reservations/{reservation.pk}/move/"
    page = desk.get(url)
    assert page.status_code == 200
    assert page.context["choices"][0][1] == [target]
    response = desk.post(url, {f"slot_{slot.screening_type_id}": target.pk})
    assert response.status_code == 302
    assert reservation.items.get().slot == target
    slot.refresh_from_db()
    target.refresh_from_db()
    assert (slot.booked, target.booked) == (0, 1)
    event = AuditEvent.objects.get(action="reservations.reservation.moved")
    assert event.details == {"from_slot_ids": [slot.pk], "to_slot_ids": [target.pk]}


def test_move_refusals(desk):
    slot = SlotFactory()
    full = SlotFactory(venue=slot.venue, starts_at=slot.starts_at + timedelta(days=3), capacity=1)
    Slot.objects.filter(pk=full.pk).update(booked=1)
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    url = f"/staff/desk/reservations/{reservation.pk}/move/"
    nothing = desk.post(url, {})
    assert nothing.status_code == 409
    assert desk.post(url, {f"slot_{slot.screening_type_id}": "999999"}).status_code == 400
    taken = desk.post(url, {f"slot_{slot.screening_type_id}": full.pk})
    assert taken.status_code == 409
    assert reservation.items.get().slot == slot


def test_desk_is_for_the_health_centre_only(admin_client_verified):
    reservation = services.reservation_create(slots=[SlotFactory()], details=details()).reservation
    for path in [
        "/staff/desk/",
        BOOK,
        f"/staff/desk/reservations/{reservation.pk}/",
        f"/staff/desk/reservations/{reservation.pk}/cancel/",
    ]:
        assert admin_client_verified.get(path).status_code == 403, path
    assert not AuditEvent.objects.filter(action="citizens.citizen.viewed").exists()


def test_a_screening_that_has_started_cannot_be_booked_by_phone(desk):
    slot = SlotFactory()
    Slot.objects.filter(pk=slot.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    response = book(desk, [slot])
    assert response.status_code == 409
    assert not Reservation.objects.exists()


def test_venue_filter_narrows_free_places(desk):
    slot = SlotFactory()
    elsewhere = SlotFactory(venue=VenueFactory(), starts_at=slot.starts_at)
    page = desk.get(
        "/staff/desk/", {"screening": slot.screening_type_id, "venue": elsewhere.venue_id}
    )
    assert page.context["slots"] == [elsewhere]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_phone_and_web_racing_for_the_last_places_never_oversell_on_postgres():
    from django.test import Client

    from core.roles import HEALTH_CENTRE
    from tests.helpers import login_staff, make_staff
    from tests.reservations.race import person, race

    slot = SlotFactory(capacity=3)
    desks = [login_staff(Client(), make_staff(f"desk{n}", roles=[HEALTH_CENTRE])) for n in range(5)]
    kana = "アイウエオ"

    def phone(n):
        return lambda: (
            book(
                desks[n], [slot], token=f"phone-{n}-" + "x" * 20, furigana=f"デンワ {kana[n]}"
            ).status_code
        )

    def web(n):
        return lambda: (
            services.reservation_create(
                slots=[slot], details=services.CitizenDetails(**person(n))
            ).reservation.channel
        )

    outcomes = race([phone(n) for n in range(5)] + [web(n) for n in range(5)])
    slot.refresh_from_db()
    booked = outcomes.count(302) + outcomes.count("web")
    assert booked == 3, outcomes
    assert outcomes.count(409) + outcomes.count("SlotFull") == 7, outcomes
    assert slot.booked == 3
    assert Reservation.objects.filter(items__slot=slot).count() == 3


@pytest.fixture
def audit_refuses(monkeypatch):
    """The audit trail cannot take the desk's records (database trouble, a bad detail …)."""
    import audit

    real = audit.record

    def record(**kwargs):
        if kwargs["action"].startswith("reservations.reservation."):
            raise RuntimeError("audit store unavailable")
        return real(**kwargs)

    monkeypatch.setattr(audit, "record", record)


def test_a_phone_booking_that_cannot_be_audited_is_not_made(desk, audit_refuses):
    slot = SlotFactory()
    desk.raise_request_exception = False
    assert book(desk, [slot]).status_code >= 500
    slot.refresh_from_db()
    assert not Reservation.objects.exists() and slot.booked == 0


def test_a_desk_cancel_or_move_that_cannot_be_audited_is_not_made(desk, audit_refuses):
    slot = SlotFactory()
    target = SlotFactory(venue=slot.venue, starts_at=slot.starts_at + timedelta(days=2))
    reservation = services.reservation_create(slots=[slot], details=details()).reservation
    desk.raise_request_exception = False
    base = f"/staff/desk/reservations/{reservation.pk}"

    assert desk.post(f"{base}/cancel/").status_code >= 500
    assert (
        desk.post(f"{base}/move/", {f"slot_{slot.screening_type_id}": target.pk}).status_code >= 500
    )

    reservation.refresh_from_db()
    assert reservation.status == "confirmed"
    assert reservation.items.get().slot == slot
    slot.refresh_from_db()
    target.refresh_from_db()
    assert (slot.booked, target.booked) == (1, 0)


@pytest.mark.parametrize("bad_id", ["²", "١", "9" * 30, "-1", " 1"])
def test_slot_ids_that_are_not_plain_numbers_are_a_bad_request_not_an_error(desk, bad_id):
    slot = SlotFactory()
    reservation = services.reservation_create(slots=[slot], details=details()).reservation

    assert desk.get(BOOK, {"slot": bad_id}).status_code == 400
    assert book(desk, [slot], slot=bad_id).status_code == 400
    move = desk.post(
        f"/staff/desk/reservations/{reservation.pk}/move/",
        {f"slot_{slot.screening_type_id}": bad_id},
    )
    assert move.status_code in (400, 409)
    assert reservation.items.get().slot == slot

"""The resident's and the desk's waiting-list pages: happy paths and every refusal."""

import re

import pytest

from audit.models import AuditEvent
from reservations import services as booking
from reservations.models import Reservation
from tests.factories import SlotFactory
from tests.reservations.test_views import BIRTH_DATE, PERSON
from tests.waitlist.helpers import fill, join, resident
from waitlist import services
from waitlist.models import Offer, WaitlistEntry

pytestmark = pytest.mark.django_db

DOB = {
    "birth_date_era": "S",
    "birth_date_year": "35",
    "birth_date_month": "5",
    "birth_date_day": "1",
}


@pytest.fixture
def full_slot():
    slot = SlotFactory(capacity=1)
    slot.bookings = fill(slot)
    return slot


def hidden(response, name):
    return re.search(rf'name="{name}" value="([^"]+)"', response.content.decode()).group(1)


def joined(client, slot, **extra):
    return client.post(f"/waitlist/join/{slot.pk}/", {**PERSON, "accept": "slot", **extra})


def test_a_full_slot_page_links_to_the_waiting_list(client, full_slot):
    response = client.get(f"/book/{full_slot.pk}/")
    assert f"/waitlist/join/{full_slot.pk}/" in response.content.decode()


def test_the_availability_table_marks_full_times_with_the_waiting_list(client, full_slot):
    response = client.get(f"/screenings/{full_slot.screening_type.code}/")
    assert "キャンセル待ち" in response.content.decode()


def test_joining_from_a_full_slot_shows_the_entry_number_and_place_in_line(client, full_slot):
    join(full_slot, 1)
    response = joined(client, full_slot)
    assert response.status_code == 200
    entry = WaitlistEntry.objects.get(furigana="ヤマダ ハナコ")
    text = response.content.decode()
    assert entry.display_number in text
    assert "あなたの前に1人待っています" in text
    assert "Set-Cookie" not in response or "sessionid" not in response.cookies


def test_joining_in_english(client, full_slot):
    response = client.post(f"/en/waitlist/join/{full_slot.pk}/", {**PERSON, "accept": "slot"})
    assert response.status_code == 200
    assert "You are on the waiting list" in response.content.decode()
    assert WaitlistEntry.objects.get().language == "en"


def test_joining_twice_is_refused_with_409(client, full_slot):
    joined(client, full_slot)
    response = joined(client, full_slot)
    assert response.status_code == 409
    assert "すでにキャンセル待ちに登録しています" in response.content.decode()


def test_joining_with_bad_details_is_400_and_saves_nothing(client, full_slot):
    response = joined(client, full_slot, postal_code="abc")
    assert response.status_code == 400
    assert not WaitlistEntry.objects.exists()


def test_a_date_range_needs_both_dates(client, full_slot):
    response = client.post(f"/waitlist/join/{full_slot.pk}/", {**PERSON, "accept": "venue"})
    assert response.status_code == 400


def test_a_slot_with_places_redirects_to_booking(client):
    slot = SlotFactory(capacity=3)
    response = client.get(f"/waitlist/join/{slot.pk}/")
    assert response.status_code == 302 and response["Location"].endswith(f"/book/{slot.pk}/")
    assert joined(client, slot).status_code == 409


def test_an_unknown_slot_is_404_and_other_methods_405(client, full_slot):
    assert client.get("/waitlist/join/999999/").status_code == 404
    assert client.put(f"/waitlist/join/{full_slot.pk}/").status_code == 405
    assert client.get("/waitlist/leave/").status_code == 405


def test_look_up_and_leave(client, full_slot):
    joined(client, full_slot)
    entry = WaitlistEntry.objects.get()
    found = client.post("/waitlist/lookup/", {"number": entry.display_number, **DOB})
    assert found.status_code == 200 and entry.display_number in found.content.decode()
    left = client.post("/waitlist/leave/", {"token": hidden(found, "token")})
    assert left.status_code == 200
    entry.refresh_from_db()
    assert entry.status == "left"
    again = client.post("/waitlist/leave/", {"token": hidden(found, "token")})
    assert again.status_code == 409


def test_look_up_refuses_a_wrong_date_of_birth_and_a_forged_token(client, full_slot):
    joined(client, full_slot)
    entry = WaitlistEntry.objects.get()
    wrong = client.post("/waitlist/lookup/", {"number": entry.number, **DOB, "birth_date_day": "2"})
    assert wrong.status_code == 404
    assert client.post("/waitlist/lookup/", {"number": "12", **DOB}).status_code == 400
    assert client.post("/waitlist/leave/", {"token": "forged"}).status_code == 403


def offered(full_slot, client):
    joined(client, full_slot)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    return Offer.objects.get()


def test_confirming_an_offer_books_it(client, full_slot):
    offer = offered(full_slot, client)
    page = client.get(f"/waitlist/offer/{offer.token}/")
    assert page.status_code == 200 and "あなたのために枠を確保しています" in page.content.decode()
    # The usual fee before the date of birth proves who it is; theirs after booking.
    assert "この検診の通常の費用です" in page.content.decode()
    done = client.post(f"/waitlist/offer/{offer.token}/", {**DOB, "answer": "confirm"})
    assert done.status_code == 200
    reservation = Reservation.objects.get(channel="waitlist")
    assert reservation.display_number in done.content.decode()
    assert reservation.citizen.birth_date == BIRTH_DATE
    again = client.post(f"/waitlist/offer/{offer.token}/", {**DOB, "answer": "confirm"})
    assert again.status_code == 409


def test_declining_an_offer(client, full_slot):
    offer = offered(full_slot, client)
    done = client.post(f"/en/waitlist/offer/{offer.token}/", {**DOB, "answer": "decline"})
    assert done.status_code == 200 and "You have declined the place" in done.content.decode()
    full_slot.refresh_from_db()
    assert full_slot.held == 0 and full_slot.remaining == 1


def test_an_offer_refuses_a_wrong_date_of_birth_an_unknown_token_and_no_answer(client, full_slot):
    offer = offered(full_slot, client)
    wrong = client.post(
        f"/waitlist/offer/{offer.token}/", {**DOB, "birth_date_day": "9", "answer": "confirm"}
    )
    assert wrong.status_code == 403
    assert client.post(f"/waitlist/offer/{offer.token}/", {**DOB}).status_code == 400
    assert client.get("/waitlist/offer/nope/").status_code == 404
    offer.refresh_from_db()
    assert offer.is_open


# --- Staff --------------------------------------------------------------------------------


def test_staff_pages_need_the_health_centre_role(client, full_slot):
    for url in ("/staff/waitlist/", f"/staff/waitlist/slots/{full_slot.pk}/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)


def test_the_call_list_shows_offers_without_email_and_is_audited(desk, full_slot):
    join(
        full_slot,
        1,
    )
    WaitlistEntry.objects.update(email="")
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    response = desk.get("/staff/waitlist/")
    assert response.status_code == 200
    entry = WaitlistEntry.objects.get()
    assert entry.name in response.content.decode()
    event = AuditEvent.objects.filter(action="waitlist.entries.listed").get()
    assert event.details["entry_ids"] == [entry.pk]


def test_the_slot_list_is_audited(desk, full_slot):
    join(full_slot, 1)
    response = desk.get(f"/staff/waitlist/slots/{full_slot.pk}/")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="waitlist.entries.listed").exists()
    assert (
        desk.get(f"/staff/waitlist/screenings/{full_slot.screening_type.code}/").status_code == 200
    )
    assert desk.get("/staff/waitlist/slots/99999/").status_code == 404


def test_the_desk_adds_a_caller_and_confirms_for_them(desk, full_slot):
    response = desk.post(
        f"/staff/waitlist/slots/{full_slot.pk}/add/",
        {**PERSON, "email": "", "email_confirm": "", "accept": "slot"},
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.channel == "phone" and entry.added_by is not None
    assert AuditEvent.objects.filter(action="waitlist.entry.added").exists()
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    offer = Offer.objects.get()
    confirmed = desk.post(f"/staff/waitlist/offers/{offer.pk}/confirm/")
    assert confirmed.status_code == 302
    reservation = Reservation.objects.get(channel="waitlist")
    assert reservation.booked_by is not None
    assert AuditEvent.objects.filter(action="waitlist.offer.confirmed_by_desk").exists()
    again = desk.post(f"/staff/waitlist/offers/{offer.pk}/confirm/")
    assert again.status_code == 302  # back to the list with the refusal
    assert desk.get(f"/staff/waitlist/offers/{offer.pk}/confirm/").status_code == 405


def test_the_desk_is_refused_a_second_entry_for_the_same_caller(desk, full_slot):
    data = {**PERSON, "accept": "slot"}
    desk.post(f"/staff/waitlist/slots/{full_slot.pk}/add/", data)
    response = desk.post(f"/staff/waitlist/slots/{full_slot.pk}/add/", data)
    assert response.status_code == 409


def test_the_desk_declines_for_a_caller(desk, full_slot):
    join(full_slot, 1)
    join(full_slot, 2)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    first = Offer.objects.get()
    assert desk.post(f"/staff/waitlist/offers/{first.pk}/decline/").status_code == 302
    assert Offer.objects.get(status="open").entry.furigana == resident(2).furigana


def test_staff_without_the_health_centre_role_are_refused_403(client, full_slot):
    from core.roles import ADMINISTRATOR
    from tests.helpers import login_staff, make_staff

    admin_only = login_staff(client, make_staff("kanri2", roles=[ADMINISTRATOR]))
    join(full_slot, 1)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    offer = Offer.objects.get()
    for url in (
        "/staff/waitlist/",
        f"/staff/waitlist/slots/{full_slot.pk}/",
        f"/staff/waitlist/slots/{full_slot.pk}/add/",
        f"/staff/waitlist/screenings/{full_slot.screening_type.code}/",
    ):
        assert admin_only.get(url).status_code == 403, url
    assert admin_only.post(f"/staff/waitlist/offers/{offer.pk}/confirm/").status_code == 403
    assert admin_only.post(f"/staff/waitlist/offers/{offer.pk}/decline/").status_code == 403
    offer.refresh_from_db()
    assert offer.is_open
    assert not AuditEvent.objects.filter(action="waitlist.entries.listed").exists()


def test_the_desk_finds_a_callers_entry_by_number_or_furigana_and_birth_date(desk, full_slot):
    joined(desk, full_slot)  # joined on the web
    entry = WaitlistEntry.objects.get()
    by_number = desk.post("/staff/waitlist/find/", {"number": entry.display_number})
    assert by_number.status_code == 200
    page = by_number.content.decode()
    assert entry.display_number in page and entry.name in page
    by_person = desk.post(
        "/staff/waitlist/find/", {"furigana": PERSON["furigana"], "birth_date": "S35.5.1"}
    )
    assert by_person.status_code == 200 and entry.display_number in by_person.content.decode()
    event = AuditEvent.objects.filter(action="waitlist.entries.searched").latest("pk")
    assert event.details["entry_ids"] == [entry.pk]
    assert PERSON["furigana"] not in str(event.details)


def test_the_desk_search_refuses_bad_input_and_says_when_nothing_matches(desk, full_slot):
    assert desk.post("/staff/waitlist/find/", {}).status_code == 400
    assert desk.post("/staff/waitlist/find/", {"number": "12"}).status_code == 400
    assert desk.post("/staff/waitlist/find/", {"number": "x" * 10_000}).status_code == 400
    missing = desk.post("/staff/waitlist/find/", {"number": "1234 5678 9012"})
    assert missing.status_code == 404 and "一致する登録がありません" in missing.content.decode()
    assert desk.get("/staff/waitlist/find/").status_code == 405


def test_the_desk_takes_a_caller_off_the_list_and_passes_their_offer_on(desk, full_slot):
    joined(desk, full_slot)
    first = WaitlistEntry.objects.get()
    second = join(full_slot, 2)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    assert Offer.objects.get(status="open").entry == first
    response = desk.post(f"/staff/waitlist/entries/{first.pk}/remove/")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "left"
    assert Offer.objects.get(status="open").entry == second
    assert AuditEvent.objects.filter(action="waitlist.entry.removed").exists()
    again = desk.post(f"/staff/waitlist/entries/{first.pk}/remove/", follow=True)
    assert "この登録はすでに終了しています" in again.content.decode()


def test_the_desk_search_and_removal_need_the_health_centre_role(client, full_slot):
    assert client.post("/staff/waitlist/find/", {"number": "1" * 12}).status_code in (302, 403)
    assert client.post("/staff/waitlist/entries/1/remove/").status_code in (302, 403)


def test_the_screening_list_counts_entries_that_accept_a_full_time_by_their_dates(desk, full_slot):
    join(full_slot, 1)  # names the time
    services.entry_join(  # any time at this venue on that day
        screening_type=full_slot.screening_type,
        details=resident(2),
        venue=full_slot.venue,
        first_date=full_slot.local_date,
        last_date=full_slot.local_date,
    )
    response = desk.get(f"/staff/waitlist/screenings/{full_slot.screening_type.code}/")
    assert dict(response.context["full_slots"])[full_slot] == 2


@pytest.mark.parametrize(
    "code",
    [
        "window_closed",
        "closed",
        "not_offered",
        "too_young",
        "too_old",
        "wrong_sex",
        "interval",
        "already_booked",
        "voucher_required",
        "voucher_not_on_list",
        "voucher_birth_mismatch",
        "voucher_screening_not_allowed",
        "voucher_sex_mismatch",
        "voucher_missing",
    ],
)
def test_every_reason_an_entry_closes_for_has_desk_words_in_japanese(code):
    from django.utils import translation

    from waitlist.staff import _closed_text

    with translation.override("ja"):
        words = _closed_text(code)
    assert words != code and not words.isascii(), words

"""The family booking pages: details for several people, check, book, done; and refusals."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from reservations.group_forms import GROUP_SALT
from reservations.models import Reservation, ReservationGroup, Slot
from tests.factories import SlotFactory, VenueFactory, health_centre, local_dt
from tests.reservations.test_views import ensure_screenings

pytestmark = pytest.mark.django_db

FATHER = {
    "name": "山田 太郎",
    "furigana": "やまだ たろう",
    "birth_date_era": "S",
    "birth_date_year": "25",
    "birth_date_month": "6",
    "birth_date_day": "1",
    "sex": "M",
    "postal_code": "352-0001",
    "address": "新座市野火止1-2-3",
    "phone": "048-481-0000",
}
MOTHER = {
    "name": "山田 花子",
    "furigana": "やまだ はなこ",
    "birth_date_era": "S",
    "birth_date_year": "27",
    "birth_date_month": "8",
    "birth_date_day": "3",
    "sex": "F",
    "same_as_first": "on",
}
CONTACT = {"name": "山田 一郎", "phone": "090-1234-5678", "email": "ichiro@example.jp"}


@pytest.fixture
def lung_slot():
    ensure_screenings()
    from reservations.models import ScreeningType

    lung = ScreeningType.objects.get(code="lung")
    day = timezone.localdate() + timedelta(days=14)
    return SlotFactory(screening_type=lung, venue=health_centre(), starts_at=local_dt(day, 9))


def form_data(client, slot, *people, contact=CONTACT, **extra):
    page = client.get(reverse("reservations:group_book", args=[slot.pk]))
    token = re.search(r'name="form_token" value="([^"]+)"', page.content.decode()).group(1)
    data = {"form_token": token, "people": str(len(people)), **extra}
    data.update({f"contact-{k}": v for k, v in contact.items()})
    for position, person in enumerate(people, start=1):
        data.update({f"p{position}-{k}": v for k, v in person.items()})
    return data


def visible(response):
    return re.sub(r"<[^>]+>", "", response.content.decode())


def state_of(response):
    return re.search(r'name="state" value="([^"]+)"', response.content.decode()).group(1)


def test_details_step_links_to_booking_for_the_family(client, lung_slot):
    page = client.get(reverse("reservations:book", args=[lung_slot.pk]))
    assert reverse("reservations:group_book", args=[lung_slot.pk]) in page.content.decode()
    assert "家族の分もまとめて予約" in page.content.decode()


def test_group_page_asks_for_two_people_and_the_contact_once(client, lung_slot):
    page = client.get(reverse("reservations:group_book", args=[lung_slot.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "1人目" in text and "2人目" in text and "3人目" not in text
    assert text.count('name="contact-name"') == 1
    assert 'name="p1-name"' in text and 'name="p2-name"' in text
    assert 'name="p1-email"' not in text
    assert "Set-Cookie" not in str(page.headers) or "csrftoken" in page.cookies


def test_add_another_person_keeps_what_was_typed_without_errors(client, lung_slot):
    data = form_data(client, lung_slot, FATHER, {}, add="1")
    page = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    text = page.content.decode()
    assert page.status_code == 200
    assert "3人目" in text and 'name="people" value="3"' in text
    assert 'value="山田 太郎"' in text
    assert "error-summary" not in text


def test_whole_journey_books_each_person_with_their_own_number(client, lung_slot):
    data = form_data(client, lung_slot, FATHER, MOTHER)
    check = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    text = check.content.decode()
    assert check.status_code == 200, text
    assert "1人目" in text and "山田 太郎" in text and "2人目" in text and "山田 花子" in text
    assert "山田 一郎" in text
    done = client.post(reverse("reservations:group_confirm"), {"state": state_of(check)})
    assert done.status_code == 303
    assert done["Location"] == reverse("reservations:group_done")
    page = client.get(done["Location"])
    members = list(Reservation.objects.order_by("group_position"))
    assert [m.citizen.name for m in members] == ["山田 太郎", "山田 花子"]
    # The second person's address and phone came from the first.
    assert members[1].citizen.address == "新座市野火止1-2-3"
    for member in members:
        assert member.display_number in visible(page)
    printout = client.get(reverse("reservations:group_done_print"))
    assert printout.status_code == 200
    for member in members:
        assert member.display_number in visible(printout)
        assert member.citizen.name in printout.content.decode()
    # Replaying the confirm books nobody twice.
    again = client.post(reverse("reservations:group_confirm"), {"state": state_of(check)})
    assert again.status_code == 303 and Reservation.objects.count() == 2


def test_each_member_can_look_up_their_own_booking(client, lung_slot):
    data = form_data(client, lung_slot, FATHER, MOTHER)
    check = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    client.post(reverse("reservations:group_confirm"), {"state": state_of(check)})
    for member, person in zip(
        Reservation.objects.order_by("group_position"), (FATHER, MOTHER), strict=True
    ):
        found = client.post(
            reverse("reservations:lookup"),
            {
                "number": member.display_number,
                **{k: v for k, v in person.items() if k.startswith("birth_date")},
            },
        )
        assert found.status_code == 200, found.content.decode()[:500]
        assert member.display_number in found.content.decode()


def test_refusals_are_shown_for_each_person_by_name(client, lung_slot):
    young = {
        **MOTHER,
        "name": "山田 さくら",
        "furigana": "やまだ さくら",
        "birth_date_era": "AD",
        "birth_date_year": "2005",
    }
    data = form_data(client, lung_slot, FATHER, young)
    page = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    text = page.content.decode()
    assert page.status_code == 400
    assert "2人目（山田 さくら）" in text
    assert Reservation.objects.count() == 0


def test_the_same_person_twice_is_refused_naming_them(client, lung_slot):
    data = form_data(client, lung_slot, FATHER, {**FATHER, "same_as_first": "on"})
    page = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    assert page.status_code == 400
    assert "2人目（山田 太郎）" in page.content.decode()


def test_missing_details_give_400_with_each_persons_errors(client, lung_slot):
    data = form_data(client, lung_slot, FATHER, {"name": "山田 花子"})
    page = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    assert page.status_code == 400
    assert "2人目（山田 花子）" in page.content.decode()


@pytest.mark.parametrize("people", ["0", "99", "x", "-1"])
def test_a_nonsense_number_of_people_is_a_bad_request(client, lung_slot, people):
    data = form_data(client, lung_slot, FATHER, MOTHER)
    data["people"] = people
    assert (
        client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data).status_code
        == 400
    )


@pytest.mark.parametrize("view", ["group_confirm", "group_edit", "group_choose", "group_language"])
def test_forged_or_missing_state_is_a_bad_request(client, view):
    forged = signing.dumps({"form_token": "x" * 32, "slot_ids": [1]}, salt="other")
    for state in ("", "garbage", forged):
        assert client.post(reverse(f"reservations:{view}"), {"state": state}).status_code == 400


def test_a_single_bookings_state_is_not_a_groups(client, lung_slot):
    from reservations.tokens import BookingState

    single = BookingState("t" * 32, [lung_slot.pk], {}).dumps()
    assert client.post(reverse("reservations:group_confirm"), {"state": single}).status_code == 400


def test_group_pages_refuse_get_where_only_post_makes_sense(client):
    assert client.get(reverse("reservations:group_confirm")).status_code == 405


def test_done_page_without_the_cookie_says_how_to_look_up(client):
    from reservations.refusals import PAGES

    page = client.get(reverse("reservations:group_done"))
    assert page.status_code == PAGES["done_expired"].status
    assert str(PAGES["done_expired"].title) in page.content.decode()
    assert client.get(reverse("reservations:group_done_print")).status_code == page.status_code
    assert not ReservationGroup.objects.exists()


def test_group_that_no_longer_fits_is_offered_the_nearest_day_with_details_kept(client, lung_slot):
    data = form_data(client, lung_slot, FATHER, MOTHER)
    check = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    later = SlotFactory(
        screening_type=lung_slot.screening_type,
        venue=VenueFactory(),
        starts_at=lung_slot.starts_at + timedelta(days=7),
    )
    Slot.objects.filter(pk=lung_slot.pk).update(capacity=1)
    full = client.post(reverse("reservations:group_confirm"), {"state": state_of(check)})
    assert full.status_code == 409
    assert Reservation.objects.count() == 0
    chosen = client.post(
        reverse("reservations:group_choose"), {"state": state_of(full), "slot": str(later.pk)}
    )
    assert chosen.status_code == 200 and "山田 花子" in chosen.content.decode()
    done = client.post(reverse("reservations:group_confirm"), {"state": state_of(chosen)})
    assert done.status_code == 303
    assert set(Reservation.objects.values_list("items__slot", flat=True)) == {later.pk}


def test_english_group_pages_are_in_english(client, lung_slot):
    page = client.get(
        reverse("reservations:group_book", args=[lung_slot.pk]).replace("/book", "/en/book", 1)
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Person 1" in text and "Person 2" in text and "Booking for several people" in text


def test_state_is_signed_with_its_own_salt():
    assert GROUP_SALT not in ("reservations.booking.state",)


def test_the_check_page_switches_language_with_everything_kept(client, lung_slot):
    data = form_data(client, lung_slot, FATHER, MOTHER)
    check = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    text = check.content.decode()
    action = re.search(r'<form[^>]*action="(/en/book/family/language/)"', text)
    assert action is not None
    english = client.post(action.group(1), {"state": state_of(check)})
    assert english.status_code == 200
    assert "Person 2" in english.content.decode() and "山田 花子" in english.content.decode()


def test_a_full_time_spills_into_the_next_time_shown_on_the_check_page(client, lung_slot):
    later = SlotFactory(
        screening_type=lung_slot.screening_type,
        venue=lung_slot.venue,
        starts_at=lung_slot.starts_at + timedelta(minutes=30),
    )
    Slot.objects.filter(pk=lung_slot.pk).update(capacity=1)
    data = form_data(client, lung_slot, FATHER, MOTHER)
    check = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    assert check.status_code == 200
    assert "9:30" in visible(check)
    client.post(reverse("reservations:group_confirm"), {"state": state_of(check)})
    slots = [m.items.get().slot_id for m in Reservation.objects.order_by("group_position")]
    assert slots == [lung_slot.pk, later.pk]


def test_group_pages_are_never_cached(client, lung_slot):
    page = client.get(reverse("reservations:group_book", args=[lung_slot.pk]))
    assert "private" in page["Cache-Control"] and "no-store" in page["Cache-Control"]
    check = client.post(
        reverse("reservations:group_book", args=[lung_slot.pk]),
        form_data(client, lung_slot, FATHER, MOTHER),
    )
    assert "no-store" in check["Cache-Control"]


def test_an_unknown_or_withdrawn_slot_is_not_found(client, lung_slot):
    assert client.get(reverse("reservations:group_book", args=[999999])).status_code == 404


def _switch(client, response):
    text = response.content.decode()
    action = re.search(r'<form[^>]*action="(/en/book/family/language/)"', text).group(1)
    draft = re.search(r'name="draft" value="([^"]+)"', text).group(1)
    return client.post(action, {"draft": draft})


def test_the_details_page_with_errors_switches_language_with_everything_typed(client, lung_slot):
    data = form_data(client, lung_slot, FATHER, {"name": "山田 花子"})
    page = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    english = _switch(client, page)
    assert english.status_code == 400
    assert "There is a problem" in visible(english)
    assert "Person 2 (山田 花子)" in visible(english)
    assert 'value="山田 太郎"' in english.content.decode()


def test_an_added_person_survives_the_language_switch_unchecked(client, lung_slot):
    data = form_data(client, lung_slot, FATHER, {}, add="1")
    page = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    english = _switch(client, page)
    assert english.status_code == 200
    assert "Person 3" in english.content.decode()
    assert "error-summary" not in english.content.decode()


def test_a_forged_details_draft_is_a_bad_request(client):
    response = client.post(reverse("reservations:group_language"), {"draft": "forged"})
    assert response.status_code == 400


def test_a_round_that_starts_holding_the_session_before_confirm_is_refused_in_words(
    client, lung_slot
):
    from tests.lottery.helpers import make_round

    data = form_data(client, lung_slot, FATHER, MOTHER)
    check = client.post(reverse("reservations:group_book", args=[lung_slot.pk]), data)
    make_round([lung_slot])  # its window is open now: the slot is held for the draw

    refused = client.post(reverse("reservations:group_confirm"), {"state": state_of(check)})

    assert refused.status_code == 409
    assert "抽選" in refused.content.decode()
    assert not Reservation.objects.exists()

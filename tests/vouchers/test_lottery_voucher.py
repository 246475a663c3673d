"""A lottery over a screening in 受診券 mode: the ticket first on the application, checked
again at the draw; winners are booked with its number and the list's fee class."""

import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache

from lottery import services
from lottery.models import Application
from reservations.models import Reservation, ScreeningType
from tests.factories import SlotFactory
from tests.helpers import login_staff
from tests.lottery.helpers import apply, close, make_round, person
from tests.lottery.test_views import DETAILS
from waitlist.models import WaitlistEntry

from .conftest import list_file

pytestmark = pytest.mark.django_db

# DETAILS: born 1 May 1970, a woman; on the list with fee class B.
ON_LIST = "00012345,山田 花子,1970-05-01,2,51,B"
DETAILS_BIRTH = date(1970, 5, 1)
OTHER_BIRTH = date(1980, 2, 3)


@pytest.fixture
def round_and_slot(screenings, import_list):
    cache.clear()
    ScreeningType.objects.filter(code="lung").update(voucher_required=True)
    screenings["lung"].refresh_from_db()
    slot = SlotFactory(capacity=1, screening_type=screenings["lung"])
    later = SlotFactory(
        capacity=1,
        screening_type=slot.screening_type,
        venue=slot.venue,
        starts_at=slot.starts_at + timedelta(hours=1),
    )
    import_list(list_file(ON_LIST))
    return make_round([slot, later]), slot


def form_token(client, url):
    page = client.get(url).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def applied(client, round_, slot, number="0001-2345", **changes):
    url = f"/lottery/{round_.pk}/apply/"
    data = {
        **DETAILS,
        "form_token": form_token(client, url),
        "preference_1": f"slot:{slot.pk}",
        "voucher-number": number,
        **changes,
    }
    return client.post(url, data)


def test_a_round_holds_the_times_of_a_screening_that_needs_a_ticket(round_and_slot):
    round_, slot = round_and_slot
    assert round_.round_slots.filter(slot=slot).exists()


def test_the_application_asks_for_the_ticket_first(client, round_and_slot):
    round_, _ = round_and_slot
    page = client.get(f"/lottery/{round_.pk}/apply/").content.decode()
    assert page.index('name="voucher-number"') < page.index('name="name"')


def test_a_winner_is_booked_with_the_ticket_and_its_fee_class(client, round_and_slot):
    round_, slot = round_and_slot
    response = applied(client, round_, slot)
    assert response.status_code == 200, response.content.decode()[:2000]
    application = Application.objects.get()
    assert application.voucher_number == "00012345"
    close(round_)
    services.round_draw(round_id=round_.pk)
    reservation = Reservation.objects.get(channel="lottery")
    assert (reservation.voucher_number, reservation.fee_class) == ("00012345", "B")


@pytest.mark.parametrize(
    ("number", "changes", "status", "words"),
    [
        ("99999999", {}, 404, "市の対象者名簿にありません"),
        ("0001-2345", {"birth_date_day": "2"}, 404, "生年月日が受診券と一致しません"),
        ("", {}, 400, "受診券に印刷されている番号を入力してください"),
    ],
)
def test_a_ticket_the_list_refuses_is_said_on_the_form_and_nothing_is_stored(
    client, round_and_slot, number, changes, status, words
):
    round_, slot = round_and_slot
    response = applied(client, round_, slot, number=number, **changes)
    assert response.status_code == status
    assert words in response.content.decode()
    assert not Application.objects.exists()


def test_an_open_screening_of_the_same_round_needs_no_ticket(client, screenings, import_list):
    cache.clear()
    ScreeningType.objects.filter(code="lung").update(voucher_required=True)
    lung = SlotFactory(screening_type=screenings["lung"])
    breast = SlotFactory(screening_type=screenings["breast"], venue=lung.venue)
    import_list(list_file(ON_LIST))
    round_ = make_round([lung, breast])
    response = applied(
        client,
        round_,
        breast,
        number="",
        screenings=[breast.screening_type_id],
        preference_1=f"day:{breast.venue_id}:{breast.local_date}",
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    assert Application.objects.get().voucher_number == ""


def test_the_draw_voids_an_application_whose_ticket_left_the_list(round_and_slot, import_list):
    round_, slot = round_and_slot
    import_list(list_file(ON_LIST, "00067890,別人,1980-02-03,1,51,"))
    holder = person(1, birth_date=DETAILS_BIRTH, sex="F")
    apply(round_, [slot], person=holder, voucher_number="00012345")
    apply(
        round_,
        [slot],
        n=2,
        person=person(2, birth_date=OTHER_BIRTH, sex="M"),
        voucher_number="00067890",
    )
    import_list(list_file("00067890,別人,1980-02-03,1,51,"))  # the city's new list
    close(round_)
    services.round_draw(round_id=round_.pk)
    results = dict(Application.objects.values_list("voucher_number", "result"))
    assert results == {"00012345": "void", "00067890": "won"}
    assert Reservation.objects.get().voucher_number == "00067890"


def test_losers_join_the_waiting_list_with_their_ticket(
    round_and_slot, import_list, django_capture_on_commit_callbacks
):
    round_, slot = round_and_slot
    import_list(list_file(ON_LIST, "00067890,別人,1980-02-03,1,51,"))
    apply(
        round_,
        [slot],
        person=person(1, birth_date=DETAILS_BIRTH, sex="F"),
        voucher_number="00012345",
        waitlist_consent=True,
    )
    apply(
        round_,
        [slot],
        n=2,
        person=person(2, birth_date=OTHER_BIRTH, sex="M"),
        voucher_number="00067890",
        waitlist_consent=True,
    )
    close(round_)
    with django_capture_on_commit_callbacks(execute=True):
        services.round_draw(round_id=round_.pk)
    loser = Application.objects.get(result="lost")
    assert WaitlistEntry.objects.get().voucher_number == loser.voucher_number


def test_the_desk_enters_an_application_with_the_number_read_out(
    client, round_and_slot, staff_user
):
    round_, slot = round_and_slot
    desk = login_staff(client, staff_user)
    url = f"/staff/lottery/{round_.pk}/apply/"
    data = {**DETAILS, "preference_1": f"slot:{slot.pk}"}
    missing = desk.post(url, data)
    assert missing.status_code == 409 and "受診券番号" in missing.content.decode()
    assert not Application.objects.exists()
    assert desk.post(url, {**data, "voucher_number": "00012345"}).status_code == 200
    assert Application.objects.get().voucher_number == "00012345"


@pytest.mark.parametrize(
    "garbage", ["9" * 100, "\x00\x00", "😀", "１" * 21, " ", "----", "'; DROP TABLE x;--"]
)
def test_garbage_in_the_ticket_number_is_refused_without_a_500(client, round_and_slot, garbage):
    round_, slot = round_and_slot
    response = applied(client, round_, slot, number=garbage)
    assert response.status_code in (400, 404)
    assert not Application.objects.exists()


def test_without_the_shared_counter_a_ticket_cannot_be_checked_503(client, round_and_slot):
    from tests.reservations.test_cache_down import cache_down

    round_, slot = round_and_slot
    url = f"/lottery/{round_.pk}/apply/"
    token = form_token(client, url)
    with cache_down():
        response = client.post(
            url,
            {
                **DETAILS,
                "form_token": token,
                "preference_1": f"slot:{slot.pk}",
                "voucher-number": "00012345",
            },
        )
    assert response.status_code == 503
    assert not Application.objects.exists()


def test_a_mixed_round_checks_the_ticket_when_both_screenings_are_chosen(
    client, screenings, import_list
):
    cache.clear()
    ScreeningType.objects.filter(code="lung").update(voucher_required=True)
    lung = SlotFactory(screening_type=screenings["lung"])
    breast = SlotFactory(screening_type=screenings["breast"], venue=lung.venue)
    import_list(list_file(ON_LIST))  # the ticket: lung (51) only
    round_ = make_round([lung, breast])
    both = [lung.screening_type_id, breast.screening_type_id]
    day = f"day:{lung.venue_id}:{lung.local_date}"
    missing = applied(client, round_, lung, number="", screenings=both, preference_1=day)
    assert missing.status_code == 400
    response = applied(client, round_, lung, screenings=both, preference_1=day)
    assert response.status_code == 200, response.content.decode()[:2000]
    assert Application.objects.get().voucher_number == "00012345"


def test_losers_join_only_the_lists_of_the_screenings_they_applied_for(
    screenings, import_list, django_capture_on_commit_callbacks
):
    cache.clear()
    ScreeningType.objects.filter(code="lung").update(voucher_required=True)
    lung = SlotFactory(screening_type=screenings["lung"], capacity=1)
    breast = SlotFactory(screening_type=screenings["breast"], venue=lung.venue, capacity=1)
    import_list(list_file(ON_LIST))
    round_ = make_round([lung, breast])
    day = services.PreferenceChoice(venue_id=breast.venue_id, day=breast.local_date)
    for n in (1, 2):
        services.application_create(
            round_=round_,
            details=person(n, sex="F"),
            screening_ids=[breast.screening_type_id],
            preferences=[day],
            waitlist_consent=True,
        )
    close(round_)
    with django_capture_on_commit_callbacks(execute=True):
        services.round_draw(round_id=round_.pk)
    entry = WaitlistEntry.objects.get()
    assert entry.screening_type_id == breast.screening_type_id


def test_the_desk_is_told_when_the_number_read_out_is_not_on_the_list(
    client, round_and_slot, staff_user
):
    round_, slot = round_and_slot
    desk = login_staff(client, staff_user)
    data = {**DETAILS, "preference_1": f"slot:{slot.pk}", "voucher_number": "99999999"}
    response = desk.post(f"/staff/lottery/{round_.pk}/apply/", data)
    assert response.status_code == 409
    assert "名簿にありません" in response.content.decode()
    assert not Application.objects.exists()

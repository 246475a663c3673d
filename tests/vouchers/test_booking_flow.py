"""Booking a screening in 受診券 mode: the voucher first, then only the rest."""

import pytest
from django.core.cache import cache

from reservations.models import Reservation, ScreeningType
from tests.reservations.test_views import PERSON, Scene, hidden
from vouchers.models import VoucherPass

from .conftest import list_file

pytestmark = pytest.mark.django_db

# PERSON is born 1 May 1960 (昭和35年), a woman.
VOUCHER = {
    "number": "0001-2345",
    "birth_date_era": "S",
    "birth_date_year": "35",
    "birth_date_month": "5",
    "birth_date_day": "1",
}


@pytest.fixture
def scene(import_list):
    cache.clear()
    scene = Scene()
    ScreeningType.objects.filter(pk=scene.lung.pk).update(voucher_required=True)
    scene.lung.refresh_from_db()
    import_list(list_file("00012345,新座 花子,1960-05-01,2,51,B"))
    return scene


def voucher_post(client, slot, **changes):
    return client.post(f"/book/{slot.pk}/voucher/", {**VOUCHER, **changes})


def test_booking_a_voucher_screening_starts_with_the_voucher(client, scene):
    response = client.get(f"/book/{scene.lung_slot.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/book/{scene.lung_slot.pk}/voucher/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "受診券番号" in page.content.decode()


def test_a_voucher_on_the_list_books_with_its_number_and_fee_class(client, scene):
    response = voucher_post(client, scene.lung_slot)
    assert response.status_code == 200
    assert "reservations/book_details.html" in [t.name for t in response.templates]
    assert response.context["form"].initial["sex"] == "F"  # from the list
    token = hidden(response, "form_token")
    response = client.post(f"/book/{scene.lung_slot.pk}/", {**PERSON, "form_token": token})
    assert response.status_code == 200
    response = client.post("/book/confirm/", {"state": hidden(response, "state")})
    assert response.status_code == 303
    reservation = Reservation.objects.get()
    assert (reservation.voucher_number, reservation.fee_class) == ("00012345", "B")


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"number": "99999999"}, 404, "市の対象者名簿にありません"),
        ({"birth_date_day": "2"}, 404, "生年月日が受診券と一致しません"),
    ],
)
def test_a_voucher_not_on_the_list_is_refused_with_a_reason(client, scene, changes, status, words):
    response = voucher_post(client, scene.lung_slot, **changes)
    assert response.status_code == status
    assert words in response.content.decode()
    assert not VoucherPass.objects.exists()


def test_the_refusal_reads_in_english_under_en(client, scene):
    response = client.post(f"/en/book/{scene.lung_slot.pk}/voucher/", {**VOUCHER, "number": "9"})
    assert response.status_code == 404
    assert "not on the city" in response.content.decode()


def test_a_voucher_for_another_screening_is_refused(client, scene):
    ScreeningType.objects.filter(pk=scene.stomach.pk).update(voucher_required=True)
    response = voucher_post(client, scene.stomach_slot)
    assert response.status_code == 409


def test_wrong_guesses_are_rate_limited_like_the_look_up(client, scene, settings):
    settings.LOOKUP_MAX_FAILURES_PER_CLIENT = 3
    for _ in range(3):
        assert voucher_post(client, scene.lung_slot, birth_date_day="2").status_code == 404
    response = voucher_post(client, scene.lung_slot)  # even the right one now
    assert response.status_code == 429


def test_details_with_another_birth_date_than_the_voucher_are_refused(client, scene):
    token = hidden(voucher_post(client, scene.lung_slot), "form_token")
    response = client.post(
        f"/book/{scene.lung_slot.pk}/",
        {**PERSON, "birth_date_day": "2", "form_token": token},
    )
    assert response.status_code == 404
    assert not Reservation.objects.exists()


def test_skipping_the_voucher_step_is_refused(client, scene):
    response = client.post(f"/book/{scene.lung_slot.pk}/", {**PERSON, "form_token": "a" * 43})
    assert response.status_code in (400, 403)
    assert not Reservation.objects.exists()


def test_a_list_replaced_before_confirm_is_checked_again(client, scene, import_list):
    token = hidden(voucher_post(client, scene.lung_slot), "form_token")
    response = client.post(f"/book/{scene.lung_slot.pk}/", {**PERSON, "form_token": token})
    state = hidden(response, "state")
    import_list(list_file("00099999,X,1960-05-01,2,51,"))
    response = client.post("/book/confirm/", {"state": state})
    assert response.status_code == 404
    assert not Reservation.objects.exists()


def test_an_open_screening_books_as_before(client, scene):
    response = client.get(f"/book/{scene.stomach_slot.pk}/")
    assert response.status_code == 200
    assert "reservations/book_details.html" in [t.name for t in response.templates]


def test_the_voucher_step_of_an_open_screening_is_not_found(client, scene):
    assert client.get(f"/book/{scene.stomach_slot.pk}/voucher/").status_code == 404


def test_the_voucher_step_refuses_other_methods(client, scene):
    assert client.put(f"/book/{scene.lung_slot.pk}/voucher/").status_code == 405


def test_the_top_page_says_a_voucher_screening_needs_the_ticket(client, scene):
    from reservations.page_cache import public_pages_changed

    public_pages_changed()
    text = client.get("/").content.decode()
    assert text.count("市から届いた受診券（受診券番号と生年月日を入力します）") == 1  # lung only

"""The residents' lottery pages: apply, look up, change, withdraw, round page, result lists."""

import re
from datetime import date, timedelta

import pytest

from lottery import services
from lottery.models import Application
from tests.factories import SlotFactory
from tests.lottery.helpers import apply, close, make_round, person

pytestmark = pytest.mark.django_db

DETAILS = {
    "name": "山田 花子",
    "furigana": "やまだ はなこ",
    "birth_date_era": "S",
    "birth_date_year": "45",
    "birth_date_month": "5",
    "birth_date_day": "1",
    "sex": "F",
    "postal_code": "352-0001",
    "address": "新座市野火止1-2-3",
    "phone": "048-481-0000",
    "email": "",
    "email_confirm": "",
}


BIRTH = {k: v for k, v in DETAILS.items() if k.startswith("birth_date")}


@pytest.fixture
def round_and_slots():
    first = SlotFactory(capacity=1)
    second = SlotFactory(
        venue=first.venue,
        screening_type=first.screening_type,
        starts_at=first.starts_at + timedelta(hours=1),
    )
    return make_round([first, second]), first, second


def _form_token(client, url):
    return re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(
        1
    )


def test_apply_gives_an_application_number(client, round_and_slots):
    round_, first, _ = round_and_slots
    url = f"/lottery/{round_.pk}/apply/"
    token = _form_token(client, url)
    response = client.post(
        url,
        {
            **DETAILS,
            "form_token": token,
            "preference_1": f"slot:{first.pk}",
            "preference_2": f"day:{first.venue_id}:{first.local_date}",
        },
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    application = Application.objects.get()
    assert application.display_number in response.content.decode()
    # A double-clicked submit finds the same application.
    client.post(url, {**DETAILS, "form_token": token, "preference_1": f"slot:{first.pk}"})
    assert Application.objects.count() == 1


def test_apply_without_a_first_choice_is_refused_with_400(client, round_and_slots):
    round_, *_ = round_and_slots
    url = f"/lottery/{round_.pk}/apply/"
    response = client.post(url, {**DETAILS, "form_token": _form_token(client, url)})
    assert response.status_code == 400
    assert not Application.objects.exists()


def test_tampered_preference_is_400_not_500(client, round_and_slots):
    round_, *_ = round_and_slots
    url = f"/lottery/{round_.pk}/apply/"
    response = client.post(
        url, {**DETAILS, "form_token": _form_token(client, url), "preference_1": "slot:999999"}
    )
    assert response.status_code == 400


def test_applying_to_a_closed_round_is_refused(client, round_and_slots):
    round_, *_ = round_and_slots
    close(round_)
    assert client.get(f"/lottery/{round_.pk}/apply/").status_code == 409


def test_look_up_then_withdraw(client, round_and_slots):
    round_, first, _ = round_and_slots
    application = apply(round_, [first], person=person(1, birth_date=date(1970, 5, 1)))
    response = client.post(
        "/lottery/lookup/",
        {"number": application.display_number, **BIRTH},
    )
    assert response.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
    response = client.post("/lottery/lookup/withdraw/", {"token": token})
    assert response.status_code == 200
    application.refresh_from_db()
    assert not application.is_live


def test_wrong_birth_date_is_404(client, round_and_slots):
    round_, first, _ = round_and_slots
    application = apply(round_, [first])
    response = client.post(
        "/lottery/lookup/",
        {"number": application.number, **BIRTH, "birth_date_year": "50"},
    )
    assert response.status_code == 404


def test_forged_token_is_refused(client):
    assert client.post("/lottery/lookup/withdraw/", {"token": "forged"}).status_code == 403


def test_round_page_shows_commitment_then_seed_and_lists(client, round_and_slots):
    round_, first, second = round_and_slots
    body = client.get(f"/lottery/{round_.pk}/").content.decode()
    assert round_.commitment in body
    assert client.get(f"/lottery/{round_.pk}/results.csv").status_code == 404
    apply(round_, [first, second])
    close(round_)
    services.round_draw(round_id=round_.pk)
    round_.refresh_from_db()
    assert round_.published_seed in client.get(f"/en/lottery/{round_.pk}/").content.decode()
    csv_text = client.get(f"/lottery/{round_.pk}/results.csv").content.decode()
    assert csv_text.startswith("application_number,draw_position")
    assert "won" in csv_text


def test_scheduled_round_keeps_its_commitment_back(client):
    slot = SlotFactory()
    round_ = make_round([slot], opens_in=timedelta(days=1), closes_in=timedelta(days=2))
    assert round_.commitment not in client.get(f"/lottery/{round_.pk}/").content.decode()


def test_availability_page_says_the_slots_are_drawn_by_lottery(client, round_and_slots):
    round_, first, _ = round_and_slots
    body = client.get(f"/screenings/{first.screening_type.code}/").content.decode()
    assert f"/lottery/{round_.pk}/" in body
    assert f"/lottery/{round_.pk}/" in client.get("/").content.decode()


def test_post_only_pages_refuse_get_with_405(client):
    assert client.get("/lottery/lookup/withdraw/").status_code == 405


def test_a_round_slot_booking_form_says_it_is_by_lottery(client, round_and_slots):
    _, first, _ = round_and_slots
    response = client.get(f"/book/{first.pk}/")
    assert response.status_code == 409
    assert "抽選" in response.content.decode()


def test_public_round_page_and_lists_set_no_cookie(client, round_and_slots):
    round_, *_ = round_and_slots
    response = client.get(f"/lottery/{round_.pk}/")
    assert not response.cookies
    assert "public" in response["Cache-Control"]

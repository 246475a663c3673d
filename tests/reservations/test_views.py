"""The resident's journey through the views: top, availability, booking.

Every page is tested for its refusals (404, 405, 400, forged state) as well as its happy
path. Look-up, move and cancel are in test_views_lookup.py; headers in
test_views_headers.py; property-based tests in test_views_properties.py.
"""

import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from reservations.models import Reservation, ScreeningType, Slot, Venue
from tests.factories import SlotFactory, VenueFactory, health_centre, local_dt

pytestmark = pytest.mark.django_db

# Born 1 May 1960: 66 on 31 March 2027, so lung (40+) and stomach (50+) are open to her.
PERSON = {
    "name": "山田 花子",
    "furigana": "やまだ はなこ",
    "birth_date_era": "S",
    "birth_date_year": "35",
    "birth_date_month": "5",
    "birth_date_day": "1",
    "sex": "F",
    "postal_code": "352-0001",
    "address": "新座市野火止1-2-3",
    "phone": "048-481-0000",
    "email": "hanako@example.jp",
    "email_confirm": "hanako@example.jp",
}
BIRTH_DATE = date(1960, 5, 1)


def ensure_screenings():
    """The four screenings of the data migration (gone after a transactional test's flush)."""
    import importlib

    seed = importlib.import_module("reservations.migrations.0002_seed_screening_types")
    for row in seed.SCREENINGS:
        ScreeningType.objects.update_or_create(code=row["code"], defaults=row)


class Scene:
    """Two venues; at the health centre, lung at 9:00 and stomach at 9:30 on one day, and
    both again a week later; lung at the civic hall in between."""

    def __init__(self):
        ensure_screenings()
        self.lung = ScreeningType.objects.get(code="lung")
        self.stomach = ScreeningType.objects.get(code="stomach")
        self.breast = ScreeningType.objects.get(code="breast")
        self.centre = health_centre()
        self.hall = VenueFactory(name="新座市民会館", name_en="Niiza Civic Hall")
        self.day = timezone.localdate() + timedelta(days=14)
        self.lung_slot = self.slot(self.lung, self.centre, self.day, 9, 0)
        self.stomach_slot = self.slot(self.stomach, self.centre, self.day, 9, 30)
        self.lung_later = self.slot(self.lung, self.centre, self.day + timedelta(days=7), 9, 0)
        self.stomach_later = self.slot(
            self.stomach, self.centre, self.day + timedelta(days=7), 9, 30
        )
        self.lung_hall = self.slot(self.lung, self.hall, self.day + timedelta(days=3), 10, 0)

    @staticmethod
    def slot(screening, venue, day, hour, minute, **kwargs):
        return SlotFactory(
            screening_type=screening,
            venue=venue,
            starts_at=local_dt(day, hour, minute),
            **kwargs,
        )


@pytest.fixture
def scene():
    return Scene()


def hidden(response, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert match, f"no hidden field {name}"
    return match.group(1)


def start(client, slot, prefix=""):
    response = client.get(f"{prefix}/book/{slot.pk}/")
    assert response.status_code == 200
    return hidden(response, "form_token")


def submit_details(client, slot, prefix="", **changes):
    token = start(client, slot, prefix)
    return client.post(f"{prefix}/book/{slot.pk}/", {**PERSON, **changes, "form_token": token})


def book(client, slot, extras=(), prefix=""):
    """Walk the whole booking; return the done page response (after the redirect)."""
    response = submit_details(client, slot, prefix)
    assert response.status_code == 200, response.content.decode()[:2000]
    state = hidden(response, "state")
    if extras:  # "add a screening on the same day" on the confirm page, then choose
        response = add_screening(client, response, prefix)
        data = {"state": hidden(response, "state")}
        for extra in extras:
            data[f"extra_{extra.screening_type_id}"] = str(extra.pk)
        response = client.post(f"{prefix}/book/extras/", data)
        assert response.status_code == 200
        state = hidden(response, "state")
    response = client.post(f"{prefix}/book/confirm/", {"state": state})
    assert response.status_code == 303
    return client.get(response["Location"])


def add_screening(client, confirm, prefix=""):
    """Press "add a screening on the same day" on the confirm page: the extras page."""
    response = client.post(
        f"{prefix}/book/extras/", {"state": hidden(confirm, "state"), "change": "1"}
    )
    assert "reservations/book_extras.html" in template_names(response)
    return response


def template_names(response):
    return [t.name for t in response.templates]


# --- Top page -------------------------------------------------------------------------------


def test_top_lists_screenings_with_who_fee_and_booking_state(client, scene):
    response = client.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "肺がん検診" in text and "胃がん検診" in text
    assert "500" in text  # lung fee
    assert f'href="/screenings/{scene.lung.code}/"' in text


def test_top_says_when_booking_opens_before_it_opens(client, scene):
    opens = timezone.now() + timedelta(days=3)
    Slot.objects.filter(screening_type=scene.stomach).update(opens_at=opens)
    response = client.get("/en/")
    text = response.content.decode()
    section = text[text.index("Stomach cancer screening") :]
    assert "Opens on" in section.split("</section>")[0]


def test_top_says_closed_when_nothing_is_left_this_year(client, scene):
    Slot.objects.filter(screening_type=scene.stomach).delete()
    text = client.get("/en/").content.decode()
    section = text[text.index("Stomach cancer screening") :].split("</section>")[0]
    assert "Closed for this fiscal year" in section


def test_top_in_english_uses_english_names(client, scene):
    text = client.get("/en/").content.decode()
    assert "Lung cancer screening" in text
    assert '<html lang="en">' in text
    assert "肺がん検診" not in text


def test_top_refuses_post_with_a_readable_405(client, scene):
    response = client.post("/")
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert "<h1>" in response.content.decode()


# --- Japanese text on English pages ----------------------------------------------------------


def test_english_pages_mark_japanese_text_for_screen_readers(client, scene):
    Venue.objects.filter(pk=scene.hall.pk).update(name_en="")
    ScreeningType.objects.filter(pk=scene.lung.pk).update(
        description="肺のエックス線検査です。", description_en=""
    )
    cache.clear()
    text = client.get("/en/screenings/lung/?month=").content.decode()
    assert '<th scope="col"><span lang="ja">新座市民会館</span></th>' in text
    assert '<dt><span lang="ja">新座市民会館</span></dt>' in text
    assert re.search(rf'<option value="{scene.hall.pk}" lang="ja">新座市民会館</option>', text)
    assert '<span lang="ja">駅から徒歩5分</span>' in text  # access without English
    assert '<span lang="ja">新座市野火止1-1-1</span>' in text  # addresses are Japanese
    assert 'data-label="新座市民会館"' in text  # an attribute stays plain text
    # English where there is English: nothing to mark.
    assert '<th scope="col">Niiza Health Centre</th>' in text
    assert '<span lang="ja">10 minutes' not in text

    home = client.get("/en/").content.decode()
    assert '<span lang="ja">肺のエックス線検査です。</span>' in home
    assert '<span lang="ja">新座市</span>' in home  # the city's name in the header

    japanese = client.get("/screenings/lung/?month=").content.decode()
    assert '<span lang="ja">' not in japanese and "<option value" in japanese
    assert ' lang="ja">' not in japanese.replace('<html lang="ja">', "")


def test_english_booking_pages_mark_japanese_names_and_details(client, scene):
    Venue.objects.filter(pk=scene.centre.pk).update(name_en="")
    ScreeningType.objects.filter(pk=scene.stomach.pk).update(name_en="")
    offer = submit_details(client, scene.lung_slot, "/en")
    assert "reservations/book_confirm.html" in template_names(offer)
    assert 'also take <span lang="ja">胃がん検診</span>' in offer.content.decode()
    extras = add_screening(client, offer, "/en")
    text = extras.content.decode()
    assert '<span lang="ja">胃がん検診</span>' in text  # the extra screening's label
    assert '<span lang="ja">新座市保健センター</span>' in text
    confirm = client.post(
        "/en/book/extras/",
        {"state": hidden(extras, "state"), f"extra_{scene.stomach.pk}": scene.stomach_slot.pk},
    ).content.decode()
    assert '<strong><span lang="ja">胃がん検診</span></strong>' in confirm
    assert "<strong>Lung cancer screening</strong>" in confirm
    assert '<dd><span lang="ja">山田 花子</span></dd>' in confirm  # typed by the resident
    assert '<dd><span lang="ja">ヤマダ ハナコ</span></dd>' in confirm
    assert "<dd>048-481-0000</dd>" in confirm  # no Japanese in it: not marked


# --- Availability -----------------------------------------------------------------------------


def test_availability_shows_places_with_symbol_and_number(client, scene):
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=8)  # 2 of 10 left
    Slot.objects.filter(pk=scene.lung_later.pk).update(booked=10)
    cache.clear()
    month = f"{scene.day.year}-{scene.day.month:02d}"
    later = scene.day + timedelta(days=7)
    response = client.get(f"/en/screenings/lung/?month={month}")
    assert response.status_code == 200
    text = response.content.decode()
    assert f'href="/en/book/{scene.lung_slot.pk}/"' in text
    assert "△" in text and "2 places left" in text
    assert "○" in text and "10 places left" in text
    if later.month == scene.day.month:
        assert "×" in text
        assert f"/book/{scene.lung_later.pk}/" not in text  # full: no link


def test_availability_filters_by_venue(client, scene):
    response = client.get(f"/en/screenings/lung/?venue={scene.hall.pk}&month=")
    text = response.content.decode()
    assert f"/book/{scene.lung_hall.pk}/" in text
    assert f"/book/{scene.lung_slot.pk}/" not in text


def test_availability_filters_by_month(client, scene):
    other = Scene.slot(scene.lung, scene.hall, scene.day + timedelta(days=70), 9, 0)
    month = f"{scene.day.year}-{scene.day.month:02d}"
    text = client.get(f"/screenings/lung/?month={month}").content.decode()
    assert f"/book/{scene.lung_slot.pk}/" in text
    assert f"/book/{other.pk}/" not in text


def test_availability_shows_venue_access_in_english(client, scene):
    text = client.get("/en/screenings/lung/?month=").content.decode()
    assert "10 minutes by bus from Shiki Station" in text
    assert "Niiza Health Centre" in text


def test_availability_explains_slots_not_yet_open(client, scene):
    Slot.objects.filter(pk=scene.lung_slot.pk).update(opens_at=timezone.now() + timedelta(days=2))
    cache.clear()
    text = client.get("/en/screenings/lung/?month=").content.decode()
    assert "booking opens" in text
    assert f"/book/{scene.lung_slot.pk}/" not in text


@pytest.mark.parametrize("query", ["venue=abc", "venue=999999", "month=2026-13", "month=zzz"])
def test_availability_refuses_bad_filters_with_400(client, scene, query):
    response = client.get(f"/en/screenings/lung/?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_availability_of_unknown_screening_is_404(client, scene):
    assert client.get("/screenings/nothing/").status_code == 404


def test_availability_of_inactive_screening_is_404(client, scene):
    ScreeningType.objects.filter(pk=scene.lung.pk).update(is_active=False)
    assert client.get("/screenings/lung/").status_code == 404


def test_a_screening_withdrawn_while_the_confirm_page_was_open_is_not_booked(client, scene):
    response = submit_details(client, scene.lung_hall)
    assert response.status_code == 200
    state = hidden(response, "state")
    ScreeningType.objects.filter(pk=scene.lung.pk).update(is_active=False)
    response = client.post("/book/confirm/", {"state": state})
    assert response.status_code == 409
    assert not Reservation.objects.exists()
    assert Slot.objects.get(pk=scene.lung_hall.pk).booked == 0


# --- Details ------------------------------------------------------------------------------------


def test_details_form_for_unknown_slot_is_404(client, scene):
    assert client.get("/book/999999/").status_code == 404
    assert client.get("/book/99999999999999999999999/").status_code == 404


def test_details_form_shows_the_chosen_time_and_a_form_token(client, scene):
    response = client.get(f"/book/{scene.lung_slot.pk}/")
    text = response.content.decode()
    assert "肺がん検診" in text and "9:00" in text
    assert re.search(r'name="form_token" value="[A-Za-z0-9_-]{20,}"', text)
    assert 'name="csrfmiddlewaretoken"' in text


def test_each_render_of_the_form_gets_a_new_token(client, scene):
    assert start(client, scene.lung_slot) != start(client, scene.lung_slot)


def test_details_errors_are_summarised_and_linked_to_fields(client, scene):
    response = submit_details(
        client,
        scene.lung_slot,
        prefix="/en",
        name="",
        birth_date_day="31",
        birth_date_month="2",
        birth_date_era="AD",
        birth_date_year="1960",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert 'href="#id_name"' in text
    assert 'href="#id_birth_date_3"' in text
    assert 'id="id_name_error"' in text
    assert "<title>Error:" in text
    assert Reservation.objects.count() == 0


def test_errors_are_in_japanese_on_japanese_pages(client, scene):
    response = submit_details(client, scene.lung_slot, name="")
    text = response.content.decode()
    assert "There is a problem" not in text
    assert "Enter your full name." not in text


def test_too_young_is_explained_in_words_next_to_the_date_of_birth(client, scene):
    fy_end_year = scene.day.year + (1 if scene.day.month >= 4 else 0)
    born = fy_end_year - 38
    response = submit_details(
        client,
        scene.lung_slot,
        prefix="/en",
        birth_date_era="AD",
        birth_date_year=str(born),
        birth_date_month="1",
        birth_date_day="1",
    )
    assert response.status_code == 400
    text = response.content.decode()
    message = re.search(r'id="id_birth_date_error">(.*?)</p>', text, re.S).group(1)
    assert "38" in message and "40" in message


def test_men_are_told_breast_screening_is_for_women(client, scene):
    slot = Scene.slot(scene.breast, scene.centre, scene.day, 11, 0)
    response = submit_details(client, slot, prefix="/en", sex="M")
    assert response.status_code == 400
    assert "women only" in re.search(
        r'id="id_sex_error">(.*?)</p>', response.content.decode(), re.S
    ).group(1)


def test_residents_outside_the_city_are_told_whom_to_phone(client, scene, settings):
    settings.HEALTH_CENTRE_PHONE = "048-999-0000"
    response = submit_details(client, scene.lung_slot, postal_code="100-0001")
    assert response.status_code == 400
    assert "048-999-0000" in response.content.decode()


def test_missing_or_forged_form_token_is_refused(client, scene):
    for token in ("", "short", "x" * 100, "<script>"):
        response = client.post(f"/book/{scene.lung_slot.pk}/", {**PERSON, "form_token": token})
        assert response.status_code == 400


def test_full_slot_offers_nearest_free_times(client, scene):
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=10)
    response = client.get(f"/en/book/{scene.lung_slot.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "This time is full" in text
    assert f"/en/book/{scene.lung_hall.pk}/" in text
    assert f"/en/book/{scene.lung_later.pk}/" in text


def test_slot_not_yet_open_says_when_it_opens(client, scene):
    Slot.objects.filter(pk=scene.lung_slot.pk).update(opens_at=timezone.now() + timedelta(days=2))
    response = client.get(f"/en/book/{scene.lung_slot.pk}/")
    assert "has not opened yet" in response.content.decode()
    assert 'name="form_token"' not in response.content.decode()


# --- Set booking, confirm, done ---------------------------------------------------------------


def test_booking_offers_other_screenings_the_same_day_at_the_same_venue(client, scene):
    confirm = submit_details(client, scene.lung_slot)
    # Straight to the confirm page, which names them and has a button to add one.
    assert "reservations/book_confirm.html" in template_names(confirm)
    offer = confirm.content.decode()
    assert "胃がん検診も受けられます" in offer
    assert "同じ日の検診を追加する" in offer
    text = add_screening(client, confirm).content.decode()
    assert f'value="{scene.stomach_slot.pk}"' in text
    assert f'value="{scene.stomach_later.pk}"' not in text  # another day
    assert f'value="{scene.lung_hall.pk}"' not in text


def test_no_offer_when_nothing_else_is_free_that_day(client, scene):
    response = submit_details(client, scene.lung_hall)
    assert "reservations/book_confirm.html" in template_names(response)
    assert "同じ日の検診を追加する" not in response.content.decode()


def test_booking_without_adding_a_screening_books_the_one_chosen(client, scene):
    # The offer is beside the confirm button, not a step: confirming books lung alone.
    confirm = submit_details(client, scene.lung_slot)
    response = client.post("/book/confirm/", {"state": hidden(confirm, "state")})
    assert response.status_code == 303
    items = Reservation.objects.get().items.all()
    assert [i.slot_id for i in items] == [scene.lung_slot.pk]


def test_choosing_not_to_add_goes_back_to_the_confirm_page_with_the_offer(client, scene):
    extras = add_screening(client, submit_details(client, scene.lung_slot))
    confirm = client.post("/book/extras/", {"state": hidden(extras, "state")})
    assert "reservations/book_confirm.html" in template_names(confirm)
    assert "同じ日の検診を追加する" in confirm.content.decode()


def test_extras_step_leaves_out_screenings_the_person_may_not_take(client, scene):
    slot = Scene.slot(scene.breast, scene.centre, scene.day, 11, 0)
    confirm = submit_details(client, scene.lung_slot, sex="M")
    assert "乳がん検診" not in confirm.content.decode()  # stomach only
    response = add_screening(client, confirm)
    assert f'value="{scene.stomach_slot.pk}"' in response.content.decode()
    assert f'value="{slot.pk}"' not in response.content.decode()


GONE = "この日に一緒に受けられるほかの検診は、いまはありません"


def test_a_chosen_screening_that_filled_meanwhile_is_not_dropped_without_a_word(client, scene):
    # Back from a set's confirm page to the details; the stomach time fills meanwhile.
    state = set_confirm_state(client, scene, prefix="")
    edit = client.post("/book/edit/", {"state": state})
    Slot.objects.filter(pk=scene.stomach_slot.pk).update(booked=10)
    confirm = client.post(
        f"/book/{scene.lung_slot.pk}/",
        {**PERSON, "form_token": hidden(edit, "form_token"), "state": hidden(edit, "state")},
    )
    assert "reservations/book_confirm.html" in template_names(confirm)
    assert GONE in confirm.content.decode()
    client.post("/book/confirm/", {"state": hidden(confirm, "state")})
    assert [i.slot_id for i in Reservation.objects.get().items.all()] == [scene.lung_slot.pk]


def test_adding_when_nothing_is_left_to_add_says_so(client, scene):
    confirm = submit_details(client, scene.lung_slot)
    assert GONE not in confirm.content.decode()
    Slot.objects.filter(pk=scene.stomach_slot.pk).update(booked=10)
    again = client.post("/book/extras/", {"state": hidden(confirm, "state"), "change": "1"})
    assert "reservations/book_confirm.html" in template_names(again)
    assert GONE in again.content.decode()
    assert "同じ日の検診を追加する" not in again.content.decode()


def test_the_offer_escapes_a_screening_name(client, scene):
    ScreeningType.objects.filter(pk=scene.stomach.pk).update(name="胃<b>がん</b>検診")
    text = submit_details(client, scene.lung_slot).content.decode()
    assert "胃&lt;b&gt;がん&lt;/b&gt;検診も受けられます" in text


def test_booking_a_set_of_two_screenings_makes_one_reservation(client, scene):
    done = book(client, scene.lung_slot, extras=[scene.stomach_slot])
    assert done.status_code == 200
    reservation = Reservation.objects.get()
    assert {i.slot_id for i in reservation.items.all()} == {
        scene.lung_slot.pk,
        scene.stomach_slot.pk,
    }
    text = re.sub(r"<[^>]+>", "", done.content.decode())
    assert reservation.display_number in text
    assert "胃がん検診" in text and "肺がん検診" in text
    assert "1,500" in text  # 500 + 1000
    assert reservation.citizen.furigana == "ヤマダ ハナコ"
    assert reservation.citizen.birth_date == BIRTH_DATE
    assert reservation.language == "ja"


def test_booking_in_english_records_the_language_and_shows_english(client, scene):
    done = book(client, scene.lung_hall, prefix="/en")
    assert Reservation.objects.get().language == "en"
    text = done.content.decode()
    assert "Your booking is complete" in text
    assert "Lung cancer screening" in text
    assert "Your screening form" in text or "What to bring" in text


def test_confirm_page_shows_details_and_books_nothing_yet(client, scene):
    response = submit_details(client, scene.lung_hall)
    text = response.content.decode()
    assert "ヤマダ ハナコ" in text and "352-0001" in text and "昭和35年5月1日" in text
    assert Reservation.objects.count() == 0


def test_double_submit_of_confirm_yields_one_reservation(client, scene):
    response = submit_details(client, scene.lung_hall)
    state = hidden(response, "state")
    first = client.post("/book/confirm/", {"state": state})
    second = client.post("/book/confirm/", {"state": state})
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Reservation.objects.count() == 1
    Slot.objects.get(pk=scene.lung_hall.pk).booked == 1  # noqa: B015


def test_done_page_shows_the_name_and_no_other_personal_data(client, scene):
    # The name is on the slip the resident takes along; the rest stays on the confirm page.
    done = book(client, scene.lung_hall)
    text = done.content.decode()
    assert "山田 花子" in text
    for secret in ("ヤマダ", "352-0001", "048-481-0000", "hanako@example.jp", "1960"):
        assert secret not in text
    assert Reservation.objects.count() == 1


def test_forged_done_token_is_404(client, scene):
    response = client.get("/book/done/eyJ0IjoieCJ9:1abc:forged/")
    assert response.status_code == 404
    assert "expired" in client.get("/en/book/done/garbage/").content.decode()


def test_change_details_from_confirm_keeps_what_was_typed(client, scene):
    response = submit_details(client, scene.lung_hall)
    state = hidden(response, "state")
    edit = client.post("/book/edit/", {"state": state})
    assert edit.status_code == 200
    text = edit.content.decode()
    assert 'value="山田 花子"' in text and 'value="ヤマダ ハナコ"' in text
    assert 'value="1960"' in text
    token = hidden(edit, "form_token")
    assert token == re.search(r"[A-Za-z0-9_-]{20,}", token).group(0)


def test_change_screenings_from_confirm_shows_the_choice_again(client, scene):
    response = submit_details(client, scene.lung_slot)
    state = hidden(response, "state")
    confirm = client.post(
        "/book/extras/", {"state": state, f"extra_{scene.stomach.pk}": scene.stomach_slot.pk}
    )
    again = client.post("/book/extras/", {"state": hidden(confirm, "state"), "change": "1"})
    assert "reservations/book_extras.html" in template_names(again)
    assert re.search(rf'value="{scene.stomach_slot.pk}"[^>]*checked', again.content.decode()), (
        "the chosen time stays selected"
    )


def test_extra_slot_not_offered_is_refused(client, scene):
    response = submit_details(client, scene.lung_slot)
    state = hidden(response, "state")
    bad = client.post(
        "/book/extras/", {"state": state, f"extra_{scene.stomach.pk}": scene.stomach_later.pk}
    )
    assert bad.status_code == 400
    assert Reservation.objects.count() == 0


def test_tampered_state_is_refused_everywhere(client, scene):
    response = submit_details(client, scene.lung_hall)
    state = hidden(response, "state")
    forged = state[:-3] + "abc"
    for url in ("/book/extras/", "/book/edit/", "/book/choose/", "/book/confirm/"):
        assert client.post(url, {"state": forged, "slot": scene.lung_slot.pk}).status_code == 400
        assert client.post(url, {}).status_code == 400
    assert Reservation.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/book/extras/",
        "/book/edit/",
        "/book/choose/",
        "/book/confirm/",
        "/lookup/cancel/",
        "/lookup/move/",
        "/lookup/move/times/",
        "/lookup/booking/",
    ],
)
def test_post_only_steps_refuse_get_with_405(client, url):
    response = client.get(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_wrong_method_on_get_pages_is_405(client, scene):
    assert client.put(f"/book/{scene.lung_slot.pk}/").status_code == 405
    assert client.delete("/lookup/").status_code == 405
    assert client.post("/screenings/lung/").status_code == 405


# --- Losing the race ------------------------------------------------------------------------------


def test_race_loser_gets_nearest_free_times_with_details_kept(client, scene):
    response = submit_details(client, scene.lung_hall, prefix="/en")
    state = hidden(response, "state")
    Slot.objects.filter(pk=scene.lung_hall.pk).update(booked=10)  # someone was faster
    lost = client.post("/en/book/confirm/", {"state": state})
    assert lost.status_code == 409
    text = lost.content.decode()
    assert "Sorry, that time has just been taken" in text
    assert f'name="slot" value="{scene.lung_slot.pk}"' in text
    assert Reservation.objects.count() == 0

    chosen = client.post(
        "/en/book/choose/", {"state": hidden(lost, "state"), "slot": scene.lung_later.pk}
    )
    assert chosen.status_code == 200
    assert "reservations/book_confirm.html" in template_names(chosen)
    confirm_state = hidden(chosen, "state")
    assert "ヤマダ ハナコ" in chosen.content.decode()  # kept, not retyped
    done = client.post("/en/book/confirm/", {"state": confirm_state})
    assert done.status_code == 303
    assert Reservation.objects.get().items.get().slot_id == scene.lung_later.pk


def test_slot_that_fills_while_typing_offers_alternatives_at_once(client, scene):
    token = start(client, scene.lung_hall)
    Slot.objects.filter(pk=scene.lung_hall.pk).update(booked=10)
    response = client.post(f"/book/{scene.lung_hall.pk}/", {**PERSON, "form_token": token})
    assert response.status_code == 409
    assert f'name="slot" value="{scene.lung_slot.pk}"' in response.content.decode()


def test_choosing_an_unknown_alternative_is_400(client, scene):
    response = submit_details(client, scene.lung_hall)
    state = hidden(response, "state")
    for slot in ("999999", "abc", "", "1" * 40):
        assert client.post("/book/choose/", {"state": state, "slot": slot}).status_code == 400


def set_confirm_state(client, scene, prefix="/en"):
    """The confirm page's state for lung at 9:00 + stomach at 9:30 (a セット検診)."""
    response = submit_details(client, scene.lung_slot, prefix)
    response = client.post(
        f"{prefix}/book/extras/",
        {"state": hidden(response, "state"), f"extra_{scene.stomach.pk}": scene.stomach_slot.pk},
    )
    assert "reservations/book_confirm.html" in template_names(response)
    return hidden(response, "state")


def choice_forms(response):
    """The slot ids behind each "choose" button of the full page, one list per form."""
    forms = re.findall(r"<form[^>]*book/choose/.*?</form>", response.content.decode(), re.S)
    return [[int(pk) for pk in re.findall(r'name="slot" value="(\d+)"', f)] for f in forms]


def test_set_booking_race_loser_keeps_every_chosen_screening(client, scene):
    state = set_confirm_state(client, scene)
    Slot.objects.filter(pk=scene.stomach_slot.pk).update(booked=10)  # someone was faster
    lost = client.post("/en/book/confirm/", {"state": state})
    assert lost.status_code == 409
    text = lost.content.decode()
    assert "Lung cancer screening" in text and "None of your screenings has been booked" in text
    forms = choice_forms(lost)
    # Every offer keeps lung: the set a week later, or lung alone, said so in words.
    assert [scene.lung_later.pk, scene.stomach_later.pk] in forms
    assert [scene.lung_slot.pk] in forms
    assert "Book without Stomach cancer screening" in text
    assert all(
        scene.lung.pk in {Slot.objects.get(pk=pk).screening_type_id for pk in f} for f in forms
    )

    chosen = client.post(
        "/en/book/choose/",
        {"state": hidden(lost, "state"), "slot": [scene.lung_later.pk, scene.stomach_later.pk]},
    )
    assert "reservations/book_confirm.html" in template_names(chosen)
    done = client.post("/en/book/confirm/", {"state": hidden(chosen, "state")})
    assert done.status_code == 303
    assert {i.slot_id for i in Reservation.objects.get().items.all()} == {
        scene.lung_later.pk,
        scene.stomach_later.pk,
    }


def test_set_booking_race_offers_another_time_the_same_day_first(client, scene):
    stomach_ten = Scene.slot(scene.stomach, scene.centre, scene.day, 10, 0)
    state = set_confirm_state(client, scene, prefix="")
    Slot.objects.filter(pk=scene.stomach_slot.pk).update(booked=10)
    lost = client.post("/book/confirm/", {"state": state})
    assert choice_forms(lost)[0] == [scene.lung_slot.pk, stomach_ten.pk]


def test_set_booking_race_loser_may_book_the_other_screening_alone(client, scene):
    state = set_confirm_state(client, scene)
    Slot.objects.filter(pk=scene.stomach_slot.pk).update(booked=10)
    lost = client.post("/en/book/confirm/", {"state": state})
    without = re.search(
        r"<form[^>]*book/choose/((?:(?!</form>).)*)Book without Stomach cancer screening",
        lost.content.decode(),
        re.S,
    )
    assert without, "a button that keeps lung and leaves out stomach, in words"
    slots = re.findall(r'name="slot" value="(\d+)"', without.group(1))
    assert slots == [str(scene.lung_slot.pk)]
    chosen = client.post("/en/book/choose/", {"state": hidden(lost, "state"), "slot": slots})
    assert "reservations/book_confirm.html" in template_names(chosen)
    state = hidden(chosen, "state")
    assert client.post("/en/book/confirm/", {"state": state}).status_code == 303
    assert Reservation.objects.get().items.get().slot_id == scene.lung_slot.pk


def test_set_keeps_its_other_screening_when_the_first_fills_while_details_change(client, scene):
    state = set_confirm_state(client, scene)
    edit = client.post("/en/book/edit/", {"state": state})
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=10)
    lost = client.post(
        f"/en/book/{scene.lung_slot.pk}/",
        {**PERSON, "form_token": hidden(edit, "form_token"), "state": hidden(edit, "state")},
    )
    assert lost.status_code == 409
    assert [scene.lung_later.pk, scene.stomach_later.pk] in choice_forms(lost)


def test_choosing_a_set_on_two_days_or_twice_the_same_slot_is_400(client, scene):
    state = set_confirm_state(client, scene)
    for slots in (
        [scene.lung_slot.pk, scene.stomach_later.pk],
        [scene.lung_slot.pk, scene.lung_slot.pk],
        [scene.lung_slot.pk, scene.lung_later.pk],
    ):
        response = client.post("/en/book/choose/", {"state": state, "slot": slots})
        assert response.status_code == 400, slots
    assert Reservation.objects.count() == 0


def test_second_booking_of_the_same_screening_is_explained(client, scene):
    book(client, scene.lung_hall)
    response = submit_details(client, scene.lung_later, prefix="/en")
    assert response.status_code == 400
    assert "already have a booking" in response.content.decode()


def test_already_booked_at_confirm_points_to_the_lookup(client, scene):
    first = submit_details(client, scene.lung_hall, prefix="/en")
    second = submit_details(client, scene.lung_later, prefix="/en")
    assert "reservations/book_confirm.html" in template_names(second)
    client.post("/en/book/confirm/", {"state": hidden(first, "state")})
    response = client.post("/en/book/confirm/", {"state": hidden(second, "state")})
    assert response.status_code == 409
    assert "/en/lookup/" in response.content.decode()
    assert Reservation.objects.count() == 1


def test_forged_csrf_is_refused_with_a_readable_page(scene):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/book/{scene.lung_hall.pk}/", {**PERSON, "form_token": "x" * 32})
    assert response.status_code == 403
    assert "<h1>" in response.content.decode()
    assert Reservation.objects.count() == 0


# --- Logs -------------------------------------------------------------------------------------


def test_no_personal_data_reaches_the_logs(client, scene, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    submit_details(client, scene.lung_slot, name="")  # an error page
    done = book(client, scene.lung_slot, extras=[scene.stomach_slot])
    reservation = Reservation.objects.get()
    client.post(
        "/lookup/",
        {
            "number": reservation.number,
            "birth_date_era": "AD",
            "birth_date_year": "1961",
            "birth_date_month": "5",
            "birth_date_day": "1",
        },
    )
    found = client.post(
        "/lookup/",
        {
            "number": reservation.number,
            "birth_date_era": "S",
            "birth_date_year": "35",
            "birth_date_month": "5",
            "birth_date_day": "1",
        },
    )
    token = hidden(found, "token")
    client.post("/lookup/cancel/", {"token": token, "confirm": "yes"})
    assert done.status_code == 200
    assert caplog.records, "the journey logs something (ids)"
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in (
        "山田",
        "花子",
        "ヤマダ",
        "ハナコ",
        "やまだ",
        "野火止",
        "048-481-0000",
        "hanako@example.jp",
        "1960",
        "3520001",
        "352-0001",
    ):
        assert secret not in logged, secret


# --- Age wording follows the fiscal year of the dates shown ------------------------------------


def next_fiscal_year_slot(scene):
    """(the fiscal year of the scene's day, a lung slot on 10 April of the next one, its
    booking already open as when April is opened in March)."""
    from reservations.models import fiscal_year_of

    current = fiscal_year_of(scene.day)
    day = date(current + 1, 4, 10)
    return current, Scene.slot(scene.lung, scene.hall, day, 9, 0)


def age_date(fiscal_year):
    return f"{fiscal_year + 1}年3月31日時点で40歳以上"


def test_availability_age_date_is_that_of_the_shown_months_fiscal_year(client, scene):
    current, april = next_fiscal_year_slot(scene)
    text = client.get(f"/screenings/lung/?month={current + 1}-04").content.decode()
    assert f"/book/{april.pk}/" in text
    assert age_date(current + 1) in text and age_date(current) not in text

    month = f"{scene.day.year}-{scene.day.month:02d}"
    text = client.get(f"/screenings/lung/?month={month}").content.decode()
    assert age_date(current) in text and age_date(current + 1) not in text

    # All months: each fiscal year, with the dates it is for.
    text = client.get("/screenings/lung/?month=").content.decode()
    assert f"{age_date(current)}の方（{current}年4月〜{current + 1}年3月の日程）" in text
    assert f"{age_date(current + 1)}の方（{current + 1}年4月〜{current + 2}年3月の日程）" in text


def test_top_gives_the_age_date_of_each_fiscal_year_with_dates_to_book(client, scene):
    current, april = next_fiscal_year_slot(scene)
    # Only the scene's first day, so that no date falls in another fiscal year by chance.
    Slot.objects.exclude(pk__in=[scene.lung_slot.pk, scene.stomach_slot.pk, april.pk]).delete()
    text = client.get("/").content.decode()
    lung = text[text.index('id="screening-lung"') :].split("</section>")[0]
    stomach = text[text.index('id="screening-stomach"') :].split("</section>")[0]
    assert age_date(current) in lung and age_date(current + 1) in lung
    assert "50歳以上" in stomach and f"{current + 2}年3月31日" not in stomach

    # Only next year's dates left: only next year's date.
    Slot.objects.filter(screening_type=scene.lung).exclude(pk=april.pk).delete()
    cache.clear()
    text = client.get("/").content.decode()
    lung = text[text.index('id="screening-lung"') :].split("</section>")[0]
    assert age_date(current + 1) in lung and age_date(current) not in lung


def test_availability_filter_shows_the_month_on_display(client, scene):
    month = f"{scene.day.year}-{scene.day.month:02d}"
    text = client.get("/screenings/lung/").content.decode()
    assert re.search(rf'<option value="{month}" selected>', text)


def test_full_slot_page_without_a_race_does_not_talk_of_one(client, scene):
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=10)
    text = client.get(f"/en/book/{scene.lung_slot.pk}/").content.decode()
    assert "are taken" in text
    assert "Nothing has been booked for you" not in text

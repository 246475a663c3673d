"""The header's language switch keeps the resident's place (issue #11, item 2).

On a page reached by GET it links to the same page in the other language; on a booking step
reached by POST it is a small form that re-posts the signed state (or, for the details form
with errors, a signed draft of what was typed) to the same step in the other language;
elsewhere after a POST it says why there is none.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from reservations.models import Reservation, Slot
from tests.reservations.test_views import (
    PERSON,
    Scene,
    add_screening,
    book,
    hidden,
    start,
    submit_details,
    template_names,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return Scene()


def header(response):
    text = response.content.decode()
    return text[text.index('<nav class="header-nav"') : text.index("</nav>")]


def switch_form(response):
    """(action, hidden fields) of the header's language switch form."""
    nav = header(response)
    form = re.search(r'<form class="language-switch" method="post" action="([^"]+)">', nav)
    assert form, f"no language switch form in {nav}"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', nav))
    fields.pop("csrfmiddlewaretoken", None)
    return form.group(1), fields


def switch(client, response):
    action, fields = switch_form(response)
    return client.post(action, fields)


def test_switch_on_the_extras_page_shows_the_same_step_in_english_with_the_details(client, scene):
    extras = add_screening(client, submit_details(client, scene.lung_slot))
    action, fields = switch_form(extras)
    assert action == "/en/book/language/" and fields["step"] == "book_extras"
    assert 'href="/en/"' not in header(extras)  # no more link to the English top page

    english = switch(client, extras)
    assert english.status_code == 200
    assert "reservations/book_extras.html" in template_names(english)
    assert '<html lang="en">' in english.content.decode()
    assert "Add another screening on the same day" in english.content.decode()
    # … and the booking goes on in English with everything typed in Japanese.
    confirm = client.post(
        "/en/book/extras/",
        {"state": hidden(english, "state"), f"extra_{scene.stomach.pk}": scene.stomach_slot.pk},
    )
    text = confirm.content.decode()
    assert "Check your booking" in text
    assert '<span lang="ja">山田 花子</span>' in text and "048-481-0000" in text
    # Back to Japanese, from the English extras page: the switch there goes the other way.
    assert switch_form(english)[0] == "/book/language/"


def test_switch_on_the_confirm_page_keeps_the_offer_to_add_a_screening(client, scene):
    confirm = submit_details(client, scene.lung_slot)
    assert switch_form(confirm)[1]["step"] == "book_confirm"
    english = switch(client, confirm)
    assert "reservations/book_confirm.html" in template_names(english)
    assert "Add a screening on the same day" in english.content.decode()


def test_switch_keeps_the_screenings_already_chosen_ticked(client, scene):
    extras = add_screening(client, submit_details(client, scene.lung_slot))
    confirm = client.post(
        "/book/extras/",
        {"state": hidden(extras, "state"), f"extra_{scene.stomach.pk}": scene.stomach_slot.pk},
    )
    again = client.post("/book/extras/", {"state": hidden(confirm, "state"), "change": "1"})
    english = switch(client, again)
    assert re.search(rf'value="{scene.stomach_slot.pk}"[^>]*checked', english.content.decode())


def test_switch_on_the_confirm_page_shows_the_confirm_page_and_books_in_english(client, scene):
    extras = submit_details(client, scene.lung_slot)
    confirm = client.post(
        "/book/extras/",
        {"state": hidden(extras, "state"), f"extra_{scene.stomach.pk}": scene.stomach_slot.pk},
    )
    assert switch_form(confirm)[1]["step"] == "book_confirm"

    english = switch(client, confirm)
    assert "reservations/book_confirm.html" in template_names(english)
    text = english.content.decode()
    assert "Check your booking" in text and "Confirm and book" in text
    assert "Lung cancer screening" in text and "Stomach cancer screening" in text
    assert '<span lang="ja">ヤマダ ハナコ</span>' in text
    assert Reservation.objects.count() == 0  # switching books nothing

    done = client.post("/en/book/confirm/", {"state": hidden(english, "state")})
    assert done.status_code == 303
    reservation = Reservation.objects.get()
    assert reservation.language == "en"
    assert reservation.items.count() == 2
    assert reservation.citizen.name == "山田 花子"


def test_switch_on_the_details_form_with_errors_keeps_what_was_typed(client, scene):
    response = submit_details(client, scene.lung_slot, postal_code="1", address="新座市本町9-9")
    assert response.status_code == 400
    action, fields = switch_form(response)
    assert action == "/en/book/language/" and fields["step"] == "book"

    english = switch(client, response)
    assert english.status_code == 400
    text = english.content.decode()
    assert "reservations/book_details.html" in template_names(english)
    assert "Enter a postal code like 352-0001." in text  # the error, now in English
    assert 'value="山田 花子"' in text and 'value="新座市本町9-9"' in text
    assert 'value="hanako@example.jp"' in text
    # The same form token: corrected and sent, it books once, in English.
    token = hidden(english, "form_token")
    assert token == hidden(response, "form_token")
    fixed = client.post(f"/en/book/{scene.lung_slot.pk}/", {**PERSON, "form_token": token})
    assert fixed.status_code == 200
    assert "Check your booking" in fixed.content.decode()


def test_switch_back_on_the_details_form_reached_from_the_confirm_page(client, scene):
    confirm = submit_details(client, scene.lung_hall)
    edit = client.post("/book/edit/", {"state": hidden(confirm, "state")})
    assert switch_form(edit)[1]["step"] == "book_edit"
    english = switch(client, edit)
    text = english.content.decode()
    assert english.status_code == 200 and "Your details" in text
    assert 'value="山田 花子"' in text and 'value="1960"' in text


def test_switch_on_the_booking_found_by_look_up_shows_it_in_english(client, scene):
    done = book(client, scene.lung_hall)
    number = Reservation.objects.get().display_number
    found = client.post(
        "/lookup/",
        {
            "number": number,
            "birth_date_era": "S",
            "birth_date_year": "35",
            "birth_date_month": "5",
            "birth_date_day": "1",
        },
    )
    assert found.status_code == 200, done.content.decode()[:500]
    action, fields = switch_form(found)
    assert action == "/en/lookup/booking/"
    english = client.post(action, fields)
    assert english.status_code == 200
    assert number in english.content.decode()
    assert '<html lang="en">' in english.content.decode()


@pytest.mark.parametrize("step", ["book_extras", "book_confirm", "book_edit"])
def test_a_tampered_state_is_refused_cleanly_by_the_switch(client, scene, step):
    extras = submit_details(client, scene.lung_slot)
    state = hidden(extras, "state")
    for forged in (state[:-3] + "abc", "", "x" * 30_000):
        response = client.post("/en/book/language/", {"step": step, "state": forged})
        assert response.status_code == 400
        text = response.content.decode()
        assert "This page could not be used" in text and '<html lang="en">' in text
    assert Reservation.objects.count() == 0


def test_a_tampered_draft_or_an_unknown_step_is_refused_cleanly(client, scene):
    response = submit_details(client, scene.lung_slot, postal_code="1")
    draft = switch_form(response)[1]["draft"]
    for data in (
        {"step": "book", "draft": draft[:-3] + "abc"},
        {"step": "book", "draft": ""},
        {"step": "book", "state": hidden(submit_details(client, scene.lung_slot), "state")},
        {"step": "book_done", "state": "x"},
        {},
    ):
        refused = client.post("/en/book/language/", data)
        assert refused.status_code == 400, data
        assert "This page could not be used" in refused.content.decode()
    # A state is no draft, and a draft no state: each kind has its own salt.
    swapped = client.post("/book/language/", {"step": "book_extras", "state": draft})
    assert swapped.status_code == 400
    assert client.get("/en/book/language/").status_code == 405


def test_a_draft_whose_slot_has_gone_is_404_not_500(client, scene):
    response = submit_details(client, scene.lung_slot, postal_code="1")
    draft = switch_form(response)[1]["draft"]
    Slot.objects.filter(pk=scene.lung_slot.pk).delete()
    assert client.post("/en/book/language/", {"step": "book", "draft": draft}).status_code == 404


def test_pages_after_a_post_that_cannot_switch_say_why_and_offer_no_link(client, scene):
    token = start(client, scene.lung_slot)
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=10)  # filled while typing
    full = client.post(f"/book/{scene.lung_slot.pk}/", {**PERSON, "form_token": token})
    assert full.status_code == 409
    nav = header(full)
    assert "<a " not in nav.split("</li>")[0]  # the language item is no link …
    assert "The language cannot be switched on this page" in nav  # … but says why, in English
    assert 'lang="en"' in nav

    english = client.post("/en/lookup/", {"number": "1"})
    nav = header(english)
    assert "このページでは言語を切り替えられません" in nav and 'lang="ja"' in nav
    assert 'href="/lookup/"' not in nav.split("</li>")[0]


def test_get_pages_link_to_the_same_page_in_the_other_language(client, scene):
    month = f"{scene.day:%Y-%m}"
    page = client.get(f"/screenings/lung/?month={month}&venue={scene.centre.pk}")
    assert f'href="/en/screenings/lung/?month={month}&amp;venue={scene.centre.pk}"' in header(page)
    details = client.get(f"/en/book/{scene.lung_slot.pk}/")
    assert f'href="/book/{scene.lung_slot.pk}/"' in header(details)
    # A refusal reached by GET (booking not open yet) links to itself too, not to the top.
    Slot.objects.filter(pk=scene.lung_hall.pk).update(opens_at=timezone.now() + timedelta(days=2))
    refused = client.get(f"/book/{scene.lung_hall.pk}/")
    assert f'href="/en/book/{scene.lung_hall.pk}/"' in header(refused)


def test_a_details_form_too_big_to_re_post_offers_no_switch_and_says_why(client, scene):
    import secrets

    noise = secrets.token_hex(20_000)  # incompressible, far past every field's limit
    response = submit_details(client, scene.lung_slot, address=noise)
    assert response.status_code == 400
    nav = header(response)
    assert "language-switch" not in nav.split("</li>")[0].replace("language-switch__note", "")
    assert "The language cannot be switched on this page" in nav

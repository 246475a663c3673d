"""axe-core on every error state a resident can meet, in Japanese and in English.

The happy path is checked page by page in test_journey.py; here each refusal is produced
for real (a bad filter, an ineligible date of birth, a full slot, a lost race, a wrong
look-up, a rate limit, a forged token, an expired CSRF cookie, a wrong method, a missing
page) and must have zero violations, and must say what went wrong in the page's language.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import services
from reservations.models import Slot, Venue
from tests.browser.journey import TEXT, button, check_accessible, fill_details
from tests.factories import details

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = pytest.mark.parametrize("language", ["ja", "en"])


def expect(page, status_text, where):
    assert status_text in page.locator("main").inner_text(), where
    check_accessible(page, where)


@LANGUAGES
def test_booking_error_states_are_accessible(live_server, new_page, place, language):
    text = TEXT[language]
    url = f"{live_server.url}{text['prefix']}"
    page = new_page()

    response = page.goto(f"{url}/screenings/lung/?month=nonsense")
    assert response.status == 400
    check_accessible(page, "availability with a bad filter")

    page.goto(f"{url}/book/{place.lung_slot.pk}/")
    button(page, text["continue"]).click()  # everything empty
    assert page.locator(".error-summary li").count() >= 7  # every box but the email
    check_accessible(page, "details form, all empty")

    too_young = str(place.day.year - 30)
    fill_details(page, ("AD", too_young, "1", "1"))
    button(page, text["continue"]).click()
    assert "40" in page.locator("#id_birth_date_error").inner_text()
    check_accessible(page, "details form, too young")

    # The race: the place goes while the resident is on the confirm page.
    page.goto(f"{url}/book/{place.lung_slot.pk}/")
    fill_details(page, text["dob"])
    button(page, text["continue"]).click()  # the confirm page: no screening added
    Slot.objects.filter(pk=place.lung_slot.pk).update(booked=10)
    button(page, text["book"]).click()
    assert page.locator('form input[name="slot"]').count() >= 1
    check_accessible(page, "lost the race")

    # A forged state: the hidden field is altered in the page.
    page.evaluate("document.querySelector('input[name=state]').value = 'forged'")
    page.locator('form button[type="submit"]').first.click()
    check_accessible(page, "forged state (400)")

    Slot.objects.filter(pk=place.lung_later.pk).update(opens_at=timezone.now() + timedelta(days=3))
    page.goto(f"{url}/book/{place.lung_later.pk}/")
    check_accessible(page, "not open yet")

    Slot.objects.filter(pk=place.stomach_later.pk).update(booked=10)
    page.goto(f"{url}/book/{place.stomach_later.pk}/")
    check_accessible(page, "full slot with alternatives")

    response = page.goto(f"{url}/book/confirm/")
    assert response.status == 405
    check_accessible(page, "wrong method (405)")

    response = page.goto(f"{url}/screenings/nothing/")
    assert response.status == 404
    check_accessible(page, "not found (404)")

    page.goto(f"{url}/book/done/forged/")
    check_accessible(page, "expired confirmation link")


@LANGUAGES
def test_lost_race_on_a_set_booking_is_accessible(live_server, new_page, place, language):
    text = TEXT[language]
    page = new_page()
    page.goto(f"{live_server.url}{text['prefix']}/book/{place.lung_slot.pk}/")
    fill_details(page, text["dob"])
    button(page, text["continue"]).click()
    button(page, text["add_screening"]).click()
    page.check(f'input[name="extra_{place.stomach.pk}"][value="{place.stomach_slot.pk}"]')
    button(page, text["continue"]).click()
    Slot.objects.filter(pk=place.stomach_slot.pk).update(booked=10)
    button(page, text["book"]).click()
    # Both screenings a week later, or lung alone: two forms, three slots.
    assert page.locator('form input[name="slot"]').count() == 3
    check_accessible(page, "lost the race on a set booking")


def test_japanese_text_on_english_pages_is_accessible(live_server, new_page, place):
    # No English name or access for the venue: the Japanese is shown, marked lang="ja".
    Venue.objects.filter(pk=place.centre.pk).update(name_en="", access_en="")
    page = new_page()
    page.goto(f"{live_server.url}/en/screenings/lung/?month=")
    assert page.locator('th span[lang="ja"]').inner_text() == "新座市保健センター"
    check_accessible(page, "availability, venue without English")
    page.goto(f"{live_server.url}/en/book/{place.lung_slot.pk}/")
    fill_details(page, TEXT["en"]["dob"])
    button(page, TEXT["en"]["continue"]).click()
    assert page.locator('span[lang="ja"]').count() >= 1
    check_accessible(page, "confirm with a screening to add, venue without English")
    button(page, TEXT["en"]["add_screening"]).click()
    assert page.locator('span[lang="ja"]').count() >= 1
    check_accessible(page, "extras, venue without English")


@LANGUAGES
def test_lookup_error_states_are_accessible(live_server, new_page, place, language, settings):
    text = TEXT[language]
    url = f"{live_server.url}{text['prefix']}"
    reservation = services.reservation_create(
        slots=[place.lung_slot], details=details()
    ).reservation
    page = new_page()

    page.goto(f"{url}/lookup/")
    button(page, text["find"]).click()
    assert page.locator(".error-summary").is_visible()
    check_accessible(page, "lookup, empty")

    # Move page without choosing a day.
    page.fill("#id_number", reservation.number)
    page.fill("#id_birth_date_1", str(details().birth_date.year))
    page.fill("#id_birth_date_2", str(details().birth_date.month))
    page.fill("#id_birth_date_3", str(details().birth_date.day))
    button(page, text["find"]).click()
    button(page, text["change"]).click()
    button(page, text["continue"]).click()
    assert page.locator(".error-summary").is_visible()
    check_accessible(page, "move, nothing chosen")

    # A forged look-up token.
    page.evaluate("document.querySelectorAll('input[name=token]').forEach(i => i.value = 'x')")
    page.locator('form button[type="submit"]').last.click()
    check_accessible(page, "forged token (403)")

    # An expired CSRF cookie.
    page.goto(f"{url}/lookup/")
    page.context.clear_cookies()
    button(page, text["find"]).click()
    check_accessible(page, "CSRF failure (403)")

    # Too many wrong guesses.
    settings.LOOKUP_MAX_FAILURES_PER_CLIENT = 1
    page.goto(f"{url}/lookup/")
    page.fill("#id_number", "000000000000")
    page.fill("#id_birth_date_1", "1970")
    page.fill("#id_birth_date_2", "1")
    page.fill("#id_birth_date_3", "1")
    button(page, text["find"]).click()
    check_accessible(page, "lookup, not found")
    button(page, text["find"]).click()
    assert page.locator("h1").count() == 1
    check_accessible(page, "rate limited (429)")

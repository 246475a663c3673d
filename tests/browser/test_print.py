"""Booking without email and printing the slip, in headless Chromium without JavaScript:
the done page's print link is a plain link, and the printed slip holds what is needed on
the day and nothing of the page around it."""

import re

import pytest

from reservations.models import Notification, Reservation
from tests.browser.journey import TEXT, button, check_accessible, fill_details

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_book_without_email_then_open_and_print_the_slip(live_server, new_page, place, language):
    text = TEXT[language]
    page = new_page(javascript=False, width=320)
    page.goto(f"{live_server.url}{text['prefix']}/book/{place.lung_slot.pk}/")
    fill_details(page, text["dob"], **{"#id_email": "", "#id_email_confirm": ""})
    button(page, text["continue"]).click()  # the confirm page: no screening added
    button(page, text["book"]).click()

    assert text["done"] in page.locator("h1").inner_text()
    assert page.url.endswith(f"{text['prefix']}/book/done/")
    assert page.locator("#no-email").is_visible()
    assert no_horizontal_scroll(page)
    reservation = Reservation.objects.get()
    assert reservation.citizen.email == "" and not Notification.objects.exists()

    with page.expect_navigation():
        page.locator('a[href$="/book/done/print/"]').click()
    page.wait_for_load_state()
    assert page.url.endswith(f"{text['prefix']}/book/done/print/")
    assert no_horizontal_scroll(page)
    page.emulate_media(media="print")
    printed = page.locator("body").inner_text()
    for needed in (
        reservation.display_number,
        "山田 花子",
        place.centre.address,
        "048-481-2211",
    ):
        assert needed in printed, needed
    assert not page.locator(".no-print").first.is_visible(), "screen-only hints are not printed"
    assert not page.locator(".site-header").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1, "the slip fits on one A4 sheet"


def test_slip_is_accessible(live_server, new_page, place):
    text = TEXT["ja"]
    page = new_page()
    page.goto(f"{live_server.url}/book/{place.lung_slot.pk}/")
    fill_details(page, text["dob"], **{"#id_email": "", "#id_email_confirm": ""})
    button(page, text["continue"]).click()
    button(page, text["book"]).click()
    check_accessible(page, "done without email")
    page.goto(f"{live_server.url}/book/done/print/")
    check_accessible(page, "slip to print")

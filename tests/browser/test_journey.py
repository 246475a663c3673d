"""The whole journey in headless Chromium: book a set of two screenings, read the number,
look it up, move it, cancel it; in Japanese and in English, with JavaScript on and off.
With JavaScript on, axe-core checks every page on the way (zero violations)."""

import re

import pytest

from reservations.models import Reservation, Slot
from tests.browser.journey import TEXT, button, check_accessible, fill_details

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "javascript"),
    [("ja", True), ("en", True), ("ja", False), ("en", False)],
    ids=["ja-js", "en-js", "ja-nojs", "en-nojs"],
)
def test_book_a_set_look_it_up_move_it_and_cancel_it(
    live_server, new_page, place, language, javascript
):
    text = TEXT[language]
    prefix = text["prefix"]
    page = new_page(javascript=javascript)
    axe = check_accessible if javascript else (lambda page, where: None)

    # Top page: cacheable, no cookie.
    response = page.goto(f"{live_server.url}{prefix}/")
    assert response.status == 200
    assert "set-cookie" not in response.headers
    assert "public" in response.headers["cache-control"]
    axe(page, "top")

    # Availability, then the 9:00 lung time at the health centre.
    page.click(f'a[href="{prefix}/screenings/lung/"]')
    assert page.locator("table.availability").is_visible()
    axe(page, "availability")
    page.click(f'a[href="{prefix}/book/{place.lung_slot.pk}/"]')
    axe(page, "details form")

    # A first try with a mistake: the error summary links to the field.
    fill_details(page, text["dob"], **{"#id_email_confirm": "hanako@example.com"})
    button(page, text["continue"]).click()
    assert text["problem"] in page.locator(".error-summary").inner_text()
    assert page.locator('.error-summary a[href="#id_email_confirm"]').count() == 1
    axe(page, "details form with errors")
    page.fill("#id_email_confirm", "hanako@example.jp")
    button(page, text["continue"]).click()

    # セット検診: the confirm page offers the stomach screening at 9:30 the same day.
    axe(page, "confirm, with a screening to add")
    button(page, text["add_screening"]).click()
    axe(page, "add a screening")
    page.check(f'input[name="extra_{place.stomach.pk}"][value="{place.stomach_slot.pk}"]')
    button(page, text["continue"]).click()

    # Confirm: the details are normalised; nothing is booked yet.
    body = page.locator("main").inner_text()
    assert "ヤマダ ハナコ" in body and "352-0001" in body
    assert Reservation.objects.count() == 0
    axe(page, "confirm")
    button(page, text["book"]).click()

    # Done: the number, large.
    assert text["done"] in page.locator("h1").inner_text()
    number = page.locator("#reservation-number").inner_text().strip()
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", number)
    axe(page, "done")
    reservation = Reservation.objects.get()
    assert reservation.display_number == number
    assert reservation.language == language
    assert {i.slot_id for i in reservation.items.all()} == {
        place.lung_slot.pk,
        place.stomach_slot.pk,
    }
    page.reload()  # safe to reload: still one booking
    assert page.locator("#reservation-number").inner_text().strip() == number
    assert Reservation.objects.count() == 1

    # Look it up: a wrong date of birth first, then the right one.
    page.get_by_role("link", name=text["lookup_link"]).first.click()
    axe(page, "lookup")
    page.fill("#id_number", number)
    page.fill("#id_birth_date_1", "1961")
    page.fill("#id_birth_date_2", "5")
    page.fill("#id_birth_date_3", "1")
    button(page, text["find"]).click()
    assert text["not_found"] in page.locator("main").inner_text()
    axe(page, "lookup failed")
    era, year, month, day = text["dob"]
    page.fill("#id_number", number.replace("-", ""))
    page.select_option("#id_birth_date_0", era)
    page.fill("#id_birth_date_1", year)
    page.fill("#id_birth_date_2", month)
    page.fill("#id_birth_date_3", day)
    button(page, text["find"]).click()
    assert number in page.locator("main").inner_text()
    axe(page, "booking")

    # Move both screenings to a week later (the current place is kept until then).
    button(page, text["change"]).click()
    axe(page, "choose a new date")
    page.check(f'input[name="choice"][value="{place.later.isoformat()}_{place.centre.pk}"]')
    button(page, text["continue"]).click()
    axe(page, "choose the new time")
    button(page, text["move"]).click()
    assert text["moved"] in page.locator(".notice").inner_text()
    axe(page, "moved")
    assert {i.slot_id for i in reservation.items.all()} == {
        place.lung_later.pk,
        place.stomach_later.pk,
    }
    assert Slot.objects.get(pk=place.lung_slot.pk).booked == 0

    # Cancel it.
    button(page, text["cancel"]).click()
    axe(page, "cancel?")
    button(page, text["yes"]).click()
    assert text["cancelled"] in page.locator("h1").inner_text()
    axe(page, "cancelled")
    reservation.refresh_from_db()
    assert not reservation.is_live
    assert Slot.objects.get(pk=place.lung_later.pk).booked == 0
    assert Slot.objects.get(pk=place.stomach_later.pk).booked == 0


def test_keyboard_alone_can_book(live_server, new_page, place):
    """Tab from field to field, Space for a radio, Enter to submit: no mouse at all."""
    page = new_page(width=1024, height=900)
    page.goto(f"{live_server.url}/en/book/{place.lung_slot.pk}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"

    def tab_to(element_id, limit=15):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    for element_id, value in [
        ("id_name", "Yamada Hanako"),
        ("id_furigana", "ヤマダ ハナコ"),
    ]:
        tab_to(element_id)
        page.keyboard.type(value)
    tab_to("id_birth_date_0")
    page.keyboard.press("ArrowDown")  # 西暦 → 昭和 in the native select
    for element_id, value in [
        ("id_birth_date_1", "35"),
        ("id_birth_date_2", "5"),
        ("id_birth_date_3", "1"),
    ]:
        tab_to(element_id)
        page.keyboard.type(value)
    tab_to("id_sex_0")
    page.keyboard.press("Space")
    for element_id, value in [
        ("id_postal_code", "352-0001"),
        ("id_address", "Niiza 1-2-3"),
        ("id_phone", "048-481-0000"),
        ("id_email", "hanako@example.jp"),
        ("id_email_confirm", "hanako@example.jp"),
    ]:
        tab_to(element_id)
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    # The confirm page (the offer to add a screening left alone): book with Enter.
    page.get_by_role("button", name="Confirm and book", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#reservation-number")
    reservation = Reservation.objects.get()
    assert reservation.citizen.birth_date.isoformat() == "1960-05-01"


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_pages_reflow_on_a_narrow_screen_without_sideways_scrolling(
    live_server, new_page, place, prefix
):
    """320 CSS pixels wide is a 1280-pixel screen at 400% zoom (WCAG 1.4.10)."""
    page = new_page(width=320, height=640)
    for path in ["/", "/screenings/lung/", f"/book/{place.lung_slot.pk}/", "/lookup/"]:
        page.goto(f"{live_server.url}{prefix}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{prefix}{path} scrolls sideways by {overflow}px"

"""Booking for the family in a real browser: Japanese and English, with and without
JavaScript, axe-core on every step (details, added person, errors, check, done, print)."""

import re

import pytest

from reservations.models import Reservation
from tests.browser.journey import TEXT, button, check_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "ja": {
        "link": "家族の分もまとめて予約（ほかの方を追加）",
        "add": "もう1人追加する",
        "remove": "最後の1人を取り消す",
        "book": "2人分を予約する",
        "done": "予約が完了しました",
        "print": "印刷用のページを開く",
        "person2": "2人目",
        "dob1": ("S", "25", "6", "1"),
        "dob2": ("S", "27", "8", "3"),
    },
    "en": {
        "link": "Add another person: book for your family too",
        "add": "Add another person",
        "remove": "Remove the last person",
        "book": "Confirm and book for 2 people",
        "done": "The bookings are complete",
        "print": "Open a page to print",
        "person2": "Person 2",
        "dob1": ("AD", "1950", "6", "1"),
        "dob2": ("AD", "1952", "8", "3"),
    },
}


def fill_person(page, n, name, furigana, dob, sex_index, *, own_address=False):
    era, year, month, day = dob
    page.fill(f"#id_p{n}-name", name)
    page.fill(f"#id_p{n}-furigana", furigana)
    page.select_option(f"#id_p{n}-birth_date_0", era)
    page.fill(f"#id_p{n}-birth_date_1", year)
    page.fill(f"#id_p{n}-birth_date_2", month)
    page.fill(f"#id_p{n}-birth_date_3", day)
    page.check(f"#id_p{n}-sex_{sex_index}")
    if own_address:
        page.fill(f"#id_p{n}-postal_code", "352-0001")
        page.fill(f"#id_p{n}-address", "新座市野火止1-2-3")
        page.fill(f"#id_p{n}-phone", "048-481-0000")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_family_is_booked_in_one_go_accessibly(
    live_server, new_page, place, language, javascript
):
    text, words = TEXT[language], WORDS[language]
    # axe-core runs in the page: without JavaScript the pages are checked for working only
    # (the JavaScript runs check the same pages for accessibility).
    axe = check_accessible if javascript else (lambda page, where: None)
    page = new_page(javascript=javascript)
    page.goto(f"{live_server.url}{text['prefix']}/book/{place.lung_slot.pk}/")
    page.get_by_role("link", name=words["link"]).click()
    assert page.locator("h2", has_text=words["person2"]).count() == 1
    axe(page, "group details, empty")

    button(page, text["continue"]).click()  # everything empty
    assert page.locator(".error-summary li").count() >= 6
    axe(page, "group details, all empty")

    page.fill("#id_contact-name", "山田 一郎")
    page.fill("#id_contact-phone", "090-1234-5678")
    fill_person(page, 1, "山田 太郎", "やまだ たろう", words["dob1"], 1, own_address=True)
    button(page, words["add"]).click()
    assert page.locator("#id_p3-name").count() == 1
    assert page.input_value("#id_p1-name") == "山田 太郎"  # kept
    axe(page, "group details, a third person added")
    button(page, words["remove"]).click()
    assert page.locator("#id_p3-name").count() == 0
    fill_person(page, 2, "山田 花子", "やまだ はなこ", words["dob2"], 0)
    button(page, text["continue"]).click()

    main = page.locator("main").inner_text()
    assert "山田 太郎" in main and "山田 花子" in main and "山田 一郎" in main
    axe(page, "group check page")
    button(page, words["book"]).click()

    main = page.locator("main").inner_text()
    assert words["done"] in main
    members = list(Reservation.objects.order_by("group_position"))
    assert len(members) == 2
    for member in members:
        assert member.display_number in re.sub(r"\s", "", main) or member.display_number in main
        assert member.citizen.name in main
    axe(page, "group done page")

    page.get_by_role("link", name=words["print"]).click()
    printed = page.locator("main").inner_text()
    for member in members:
        assert member.citizen.name in printed
    axe(page, "group printout")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_groups_refusals_are_accessible(live_server, new_page, place, language):
    from reservations.models import Slot

    text, words = TEXT[language], WORDS[language]
    page = new_page()
    page.goto(f"{live_server.url}{text['prefix']}/book/{place.lung_slot.pk}/family/")
    page.fill("#id_contact-name", "山田 一郎")
    page.fill("#id_contact-phone", "090-1234-5678")
    fill_person(page, 1, "山田 太郎", "やまだ たろう", words["dob1"], 1, own_address=True)
    # The same person twice: refused, naming them.
    fill_person(page, 2, "山田 太郎", "やまだ たろう", words["dob1"], 1)
    button(page, text["continue"]).click()
    assert "山田 太郎" in page.locator(".error-summary").inner_text()
    check_accessible(page, "the same person twice")

    fill_person(page, 2, "山田 花子", "やまだ はなこ", words["dob2"], 0)
    button(page, text["continue"]).click()
    # The session fills up before they book: the nearest day with room is offered.
    Slot.objects.filter(pk=place.lung_slot.pk).update(capacity=1)
    button(page, words["book"]).click()
    assert page.locator('form input[name="slot"]').count() >= 1
    check_accessible(page, "the group does not fit")

    page.evaluate("document.querySelector('input[name=state]').value = 'forged'")
    page.locator('form button[type="submit"]').first.click()
    check_accessible(page, "forged state (400)")

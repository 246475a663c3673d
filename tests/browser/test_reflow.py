"""No sideways scrolling on any page of the resident's journey, at 320 and 195 CSS pixels.

320 px is a 1280-pixel screen at 400 % zoom (WCAG 1.4.10, reflow); 195 px is what a
390-pixel phone shows at 200 % page zoom, which many elderly residents use. Every page
of booking (with its error states), looking up, moving and cancelling is measured in
both languages: English labels are longer, Japanese ones do not break at spaces.
Screenshots of the narrowest pages go to $KENSHIN_SCREENSHOTS when it is set.
"""

import os

import pytest

from reservations.models import Reservation, Slot
from tests.browser.journey import TEXT, button, check_accessible, fill_details

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [320, 195]

# The elements that stick out past the right edge, for the failure message.
WIDE_ELEMENTS = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 0.5)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}`)
    .slice(0, 8);
}"""


# How much narrower the era select is than its longest option: cut-off text ("西暦（例：").
ERA_CLIPPED = """() => {
  const select = document.querySelector("#id_birth_date_0");
  const free = select.cloneNode(true);  // the same select with all the room it wants
  free.removeAttribute("id");
  Object.assign(free.style, {position: "absolute", maxWidth: "none", visibility: "hidden"});
  document.body.appendChild(free);
  const clipped = free.getBoundingClientRect().width - select.getBoundingClientRect().width;
  free.remove();
  return clipped;
}"""


def assert_no_sideways_scroll(page, where, width):
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if folder := os.environ.get("KENSHIN_SCREENSHOTS"):
        name = f"{width}-{where}".replace(" ", "_").replace(",", "")
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)
    assert scroll <= client, (
        f"{where} at {width}px scrolls sideways ({scroll} > {client}): "
        f"{page.evaluate(WIDE_ELEMENTS)}"
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_booking_page_fits_a_narrow_screen(live_server, new_page, place, language, width):
    text = TEXT[language]
    url = f"{live_server.url}{text['prefix']}"
    page = new_page(width=width, height=700)

    def check(where):
        assert_no_sideways_scroll(page, f"{language} {where}", width)

    def press(name):
        # Measured only once the next page has loaded, not the one being left.
        with page.expect_navigation():
            button(page, text[name]).click()

    page.goto(f"{url}/")
    check("top")
    page.goto(f"{url}/screenings/lung/")
    check("availability")

    page.goto(f"{url}/book/{place.lung_slot.pk}/")
    check("details form")
    press("continue")  # everything empty: every field has an error
    assert page.locator(".error-summary li").count() >= 7  # email is optional
    check("details form, all errors")
    assert page.evaluate(ERA_CLIPPED) <= 0, "the era select cuts its options off"
    fill_details(page, ("AD", str(place.day.year - 30), "1", "1"))
    press("continue")  # too young: the error is on the date of birth
    assert page.locator("#id_birth_date_error").count() == 1
    check("details form, date of birth error")
    fill_details(page, text["dob"])
    press("continue")
    check("confirm, with a screening to add")
    press("add_screening")
    check("add a screening")
    page.check(f'input[name="extra_{place.stomach.pk}"][value="{place.stomach_slot.pk}"]')
    press("continue")
    assert page.locator(".error-summary").count() == 0
    check("confirm")
    press("book")
    page.wait_for_selector("#reservation-number")
    check("done")
    number = Reservation.objects.get().number

    page.goto(f"{url}/lookup/")
    check("lookup")
    press("find")
    check("lookup, errors")
    page.fill("#id_number", number)
    era, year, month, day = text["dob"]
    page.select_option("#id_birth_date_0", era)
    page.fill("#id_birth_date_1", year)
    page.fill("#id_birth_date_2", month)
    page.fill("#id_birth_date_3", day)
    press("find")
    check("booking")
    with page.expect_navigation():  # take one screening of the set out: asked first
        page.locator('form[action$="/lookup/drop/"] button').last.click()
    check("take a screening out?")
    if width == WIDTHS[0]:
        check_accessible(page, "take a screening out?")  # a page only this test reaches
    with page.expect_navigation():  # no: keep both
        page.locator('form[action$="/lookup/booking/"] button').click()
    press("change")
    check("choose a new date")
    press("continue")  # nothing chosen
    check("choose a new date, error")
    page.check(f'input[name="choice"][value="{place.later.isoformat()}_{place.centre.pk}"]')
    press("continue")
    check("choose the new time")
    press("move")
    check("moved")
    press("cancel")
    check("cancel?")
    press("yes")
    check("cancelled")

    # The refusals: a full time with its alternatives, and a catalogue page.
    Slot.objects.filter(pk=place.lung_slot.pk).update(booked=10)
    page.goto(f"{url}/book/{place.lung_slot.pk}/")
    check("full time")
    page.goto(f"{url}/book/done/forged/")
    check("expired confirmation link")

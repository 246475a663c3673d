"""The waiting page in a real browser: zero axe violations in Japanese and English, no
horizontal scroll at 320 px, and it brings the resident to the form by itself (no JS)."""

import pytest

from tests.browser.journey import check_accessible
from waitingroom import room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = pytest.mark.parametrize(
    ("language", "prefix", "title"),
    [("ja", "", "順番にご案内しています"), ("en", "/en", "You are in line")],
)


@pytest.fixture
def room_on(settings):
    settings.WAITING_ROOM_ALWAYS = True
    settings.WAITING_ROOM_ADMIT_PER_SECOND = 1


def line_ahead(people):
    """The one second's worth let in at once, then `people` residents waiting."""
    for _ in range(1 + people):
        room.place_in_line("")


@LANGUAGES
def test_the_waiting_page_is_accessible(
    live_server, new_page, place, room_on, language, prefix, title
):
    line_ahead(60)  # a long wait: the page does not reload while axe reads it
    page = new_page(width=320)  # axe itself needs JavaScript; the page has none
    response = page.goto(f"{live_server.url}{prefix}/book/{place.lung_slot.pk}/")
    assert response.status == 200
    assert int(response.headers["retry-after"]) == 30
    assert page.locator("h1").inner_text() == title
    assert page.locator("html").get_attribute("lang") == language
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    check_accessible(page, f"waiting page ({language})")
    page.locator("main a").last.click()  # stop reloading by itself
    assert "manual=1" in page.url
    assert page.locator("h1").inner_text() == title
    check_accessible(page, f"waiting page, not reloading ({language})")


@LANGUAGES
def test_without_javascript_the_page_brings_the_form_when_the_turn_comes(
    live_server, new_page, place, room_on, language, prefix, title
):
    line_ahead(1)
    page = new_page(javascript=False)
    page.goto(f"{live_server.url}{prefix}/book/{place.lung_slot.pk}/")
    assert page.locator("h1").inner_text() == title
    page.locator("#id_name").wait_for(timeout=15_000)  # the Refresh header, no script
    assert f"{prefix}/book/{place.lung_slot.pk}/" in page.url

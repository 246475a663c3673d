"""The waiting list in a real browser, no JavaScript needed: a resident joins from a full
time, a cancellation offers them the place, the offer mail arrives through a real SMTP
server (aiosmtpd), and they confirm or decline on the linked page. Japanese and English,
zero axe violations on every page."""

import re

import pytest
from django.core.management import call_command

from reservations import services as booking
from reservations.models import Reservation, Slot
from tests.browser.journey import TEXT, button, check_accessible, fill_details
from tests.reservations.smtp import smtp_server, use_smtp
from tests.waitlist.helpers import fill
from waitlist.models import Offer, WaitlistEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "ja": {
        "join": "キャンセル待ちに登録する",
        "joined": "キャンセル待ちに登録しました",
        "held": "あなたのために枠を確保しています",
        "confirm": "この枠を予約する",
        "decline": "お断りする",
        "confirmed": "予約が確定しました",
        "declined": "空きをお断りしました",
    },
    "en": {
        "join": "Join the waiting list",
        "joined": "You are on the waiting list",
        "held": "A place is held for you",
        "confirm": "Book this place",
        "decline": "No thank you",
        "confirmed": "Your booking is confirmed",
        "declined": "You have declined the place",
    },
}


@pytest.mark.parametrize("answer", ["confirm", "decline"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_join_receive_the_offer_by_mail_and_answer_it(
    live_server, new_page, place, settings, language, answer
):
    text, words = TEXT[language], WORDS[language]
    slot = place.lung_slot
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    slot.refresh_from_db()
    (taken,) = fill(slot)

    page = new_page()  # axe needs JavaScript; the pages have none
    page.goto(f"{live_server.url}{text['prefix']}/book/{slot.pk}/")
    page.get_by_role("link", name=words["join"], exact=False).first.click()
    assert f"/waitlist/join/{slot.pk}/" in page.url
    check_accessible(page, f"join ({language})")
    fill_details(page, text["dob"])
    button(page, words["join"]).click()
    assert page.locator("h1").inner_text() == words["joined"]
    entry = WaitlistEntry.objects.get()
    assert entry.display_number in page.content()
    check_accessible(page, f"joined ({language})")

    with smtp_server() as server:
        use_smtp(settings, server.port)
        settings.SITE_URL = live_server.url
        booking.reservation_cancel(reservation=taken)  # the place goes to the entry
        call_command("expire_waitlist_offers")
        offers = [m for m in server.messages if "/waitlist/offer/" in m.text]
        assert len(offers) == 1, [m.subject for m in server.messages]
    link = re.search(r"(http\S+/waitlist/offer/\S+/)", offers[0].text).group(1)
    assert link.startswith(f"{live_server.url}{text['prefix']}/waitlist/offer/")

    page.goto(link)
    assert page.locator("h1").inner_text() == words["held"]
    check_accessible(page, f"offer ({language})")
    era, year, month, day = text["dob"]
    page.select_option("#id_birth_date_0", era)
    page.fill("#id_birth_date_1", year)
    page.fill("#id_birth_date_2", month)
    page.fill("#id_birth_date_3", day)
    button(page, words[answer]).click()
    expected = words["confirmed"] if answer == "confirm" else words["declined"]
    assert page.locator("h1").inner_text() == expected
    check_accessible(page, f"answered: {answer} ({language})")

    offer = Offer.objects.get()
    slot.refresh_from_db()
    if answer == "confirm":
        reservation = Reservation.objects.get(channel="waitlist")
        assert reservation.display_number in page.content()
        assert (slot.booked, slot.held) == (1, 0)
        assert offer.status == "confirmed"
    else:
        assert (slot.booked, slot.held, slot.remaining) == (0, 0, 1)
        assert offer.status == "declined"

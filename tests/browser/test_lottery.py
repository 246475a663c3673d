"""A resident applies for a lottery round, looks the application up and withdraws it, in
Japanese and in English, with axe-core finding nothing on any page."""

import re

import pytest

from lottery.models import Application
from tests.browser.journey import TEXT, button, check_accessible, fill_details
from tests.lottery.helpers import make_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "ja": {
        "apply": "申し込む",
        "send": "申し込む",
        "received": "申込みを受け付けました",
        "find": "申込みを確認する",
        "withdraw": "申込みを取り下げる",
        "withdrawn": "申込みを取り下げました。",
    },
    "en": {
        "apply": "Apply",
        "send": "Send my application",
        "received": "Application received",
        "find": "Find my application",
        "withdraw": "Withdraw my application",
        "withdrawn": "Your application has been withdrawn.",
    },
}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_apply_look_up_and_withdraw(live_server, new_page, place, language):
    words, text = WORDS[language], TEXT[language]
    round_ = make_round([place.lung_slot, place.lung_later])
    url = f"{live_server.url}{text['prefix']}"
    page = new_page()

    page.goto(f"{url}/lottery/{round_.pk}/")
    assert round_.commitment in page.locator("main").inner_text()
    check_accessible(page, "round page")
    page.get_by_role("link", name=words["apply"], exact=True).click()
    check_accessible(page, "application form")

    fill_details(page, text["dob"])
    page.select_option("#id_preference_1", index=1)
    page.select_option("#id_preference_2", index=2)
    page.check("#id_waitlist_consent")
    button(page, words["send"]).click()
    assert words["received"] in page.locator("main").inner_text()
    check_accessible(page, "application received")
    number = re.search(r"\d{4}-\d{4}-\d{4}", page.locator("main").inner_text()).group(0)
    application = Application.objects.get()
    assert application.display_number == number
    assert application.waitlist_consent
    assert application.preferences.count() == 2

    page.goto(f"{url}/lottery/lookup/")
    check_accessible(page, "look-up form")
    page.fill("#id_number", number)
    era, year, month, day = text["dob"]
    page.select_option("#id_birth_date_0", era)
    page.fill("#id_birth_date_1", year)
    page.fill("#id_birth_date_2", month)
    page.fill("#id_birth_date_3", day)
    button(page, words["find"]).click()
    check_accessible(page, "the application")

    button(page, words["withdraw"]).click()
    assert words["withdrawn"] in page.locator("main").inner_text()
    check_accessible(page, "withdrawn")
    application.refresh_from_db()
    assert not application.is_live

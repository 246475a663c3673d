"""axe-core on the 受診券 step, in Japanese and English: the form, a refusal, then details."""

import pytest

from reservations.models import ScreeningType
from tests.browser.journey import TEXT, button, check_accessible

from .conftest import list_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_voucher_step_and_its_refusal_are_accessible(
    live_server,
    new_page,
    place,
    import_list,
    language,
):
    # After a transactional test the types are re-seeded without their 検診種別コード.
    ScreeningType.objects.filter(code="lung").update(voucher_required=True, system_code="51")
    import_list(list_file("00012345,X,1960-05-01,2,51,"))
    text = TEXT[language]
    page = new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}{text['prefix']}/book/{place.lung_slot.pk}/")
    assert "/voucher/" in page.url
    check_accessible(page, "voucher step")

    era, year, month, day = text["dob"]
    page.fill("#id_number", "00012345")
    page.select_option("#id_birth_date_0", era)
    page.fill("#id_birth_date_1", year)
    page.fill("#id_birth_date_2", month)
    page.fill("#id_birth_date_3", str(int(day) + 1))
    button(page, text["continue"]).click()
    assert page.locator("[role=alert] h2").count() == 1
    check_accessible(page, "voucher refused (birth mismatch)")

    page.fill("#id_birth_date_3", day)
    button(page, text["continue"]).click()
    assert page.locator("#id_name").count() == 1  # the details form, with the date filled
    assert page.input_value("#id_birth_date_1") != ""
    check_accessible(page, "details after the voucher")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_waiting_list_of_a_voucher_screening_is_accessible_with_a_refusal(
    live_server, new_page, place, import_list, language
):
    from reservations import services
    from reservations.models import Slot
    from tests.browser.journey import fill_details
    from tests.factories import details

    Slot.objects.filter(pk=place.lung_slot.pk).update(capacity=1)
    services.reservation_create(slots=[Slot.objects.get(pk=place.lung_slot.pk)], details=details())
    ScreeningType.objects.filter(code="lung").update(voucher_required=True, system_code="51")
    import_list(list_file("00012345,X,1960-05-01,2,51,"))
    text = TEXT[language]
    page = new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}{text['prefix']}/waitlist/join/{place.lung_slot.pk}/")
    check_accessible(page, "waiting list join with the ticket")
    page.fill("#id_voucher-number", "99999999")
    fill_details(page, text["dob"])
    page.locator("button[type=submit]").last.click()
    assert page.locator(".error-summary").count() == 1
    check_accessible(page, "waiting list join, ticket refused")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_lottery_application_with_a_ticket_is_accessible_with_a_refusal(
    live_server, new_page, place, import_list, language
):
    from lottery.models import Application
    from tests.browser.journey import fill_details
    from tests.lottery.helpers import make_round

    ScreeningType.objects.filter(code="lung").update(voucher_required=True, system_code="51")
    import_list(list_file("00012345,X,1960-05-01,2,51,"))
    round_ = make_round([place.lung_slot, place.lung_later])
    text = TEXT[language]
    page = new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}{text['prefix']}/lottery/{round_.pk}/apply/")
    check_accessible(page, "lottery application with the ticket")
    page.fill("#id_voucher-number", "99999999")
    fill_details(page, text["dob"])
    page.select_option("#id_preference_1", index=1)
    page.locator("button[type=submit]").last.click()
    assert page.locator(".error-summary").count() == 1
    check_accessible(page, "lottery application, ticket refused")
    page.fill("#id_voucher-number", "0001-2345")
    page.locator("button[type=submit]").last.click()
    assert Application.objects.get().voucher_number == "00012345"

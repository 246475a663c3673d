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

"""The sign-in flow in a real browser, with the real Content Security Policy enforced."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import HEALTH_CENTRE
from tests.chromium import launch
from tests.staff.conftest import PASSWORD, totp_code


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enrolment_in_chromium_shows_the_qr_code_without_csp_violations(live_server):
    from playwright.sync_api import sync_playwright

    user = User.objects.create_user("newcomer", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=HEALTH_CENTRE)[0])
    problems = []

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            # CSP violations are reported on the console; broken resources as responses.
            page.on(
                "console",
                lambda message: (
                    problems.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.on(
                "response",
                lambda response: (
                    problems.append(f"{response.status} {response.url}")
                    if response.status >= 400
                    else None
                ),
            )
            page.on("pageerror", lambda error: problems.append(str(error)))

            page.goto(f"{live_server.url}/staff/login/")
            page.fill("#id_username", "newcomer")
            page.fill("#id_password", PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_url("**/staff/enrol/**")

            assert page.eval_on_selector(
                "img.qr-code", "img => img.complete && img.naturalWidth > 0"
            ), "the QR code did not render"
            assert page.text_content(".secret").strip()

            device = TOTPDevice.objects.get(user=user, confirmed=False)
            # Inside Playwright's event loop the ORM opened a connection of its own; close
            # it, or the test database cannot be dropped at the end of the run.
            connection.close()
            page.fill("#id_token", totp_code(device))
            page.click("form[action='/staff/enrol/'] button[type=submit]")
            page.wait_for_selector(".backup-codes li")
            assert page.locator(".backup-codes li").count() == 10

            page.click("main a.button")
            page.wait_for_url(f"{live_server.url}/staff/")
            assert page.locator("h1").text_content() == "電話受付"
            assert page.locator("nav.staff-nav").is_visible()

            page.click("nav.staff-nav button[type=submit]")  # log out (POST)
            page.wait_for_url("**/staff/login/?logged_out=1")
        finally:
            browser.close()

    assert problems == []

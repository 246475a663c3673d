"""The reception roster in headless Chromium: check-in without JavaScript, and the A4 print
layout (one time per page, header and page numbers on every page), with axe at 0."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.roles import HEALTH_CENTRE
from reception.models import Attendance
from reservations import services
from tests.browser.journey import check_accessible
from tests.chromium import launch
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt
from tests.helpers import login_staff, make_staff
from tests.reservations.race import person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.fixture
def roster_day():
    """Today at one venue: 30 people at 9:00 (more than one A4 page) and 3 at 10:00."""
    day = timezone.localdate()
    venue = VenueFactory(name="新座市保健センター")
    lung = ScreeningTypeFactory()

    def slot(hour):
        starts = local_dt(day, hour)
        return SlotFactory(
            venue=venue,
            screening_type=lung,
            starts_at=starts,
            capacity=40,
            opens_at=starts - timedelta(days=10),
            closes_at=starts - timedelta(days=1),
        )

    nine, ten = slot(9), slot(10)
    for n in range(33):
        services.reservation_create(
            slots=[nine if n < 30 else ten],
            details=details(**{**person(n), "birth_date": date(1960, 1 + n % 12, 1)}),
            now=nine.starts_at - timedelta(days=2),
        )
    return {"day": day, "venue": venue}


def signed_in_context(browser, live_server, **options):
    user = User.objects.filter(username="uketsuke").first() or make_staff(
        "uketsuke", roles=[HEALTH_CENTRE]
    )
    client = login_staff(Client(), user)
    context = browser.new_context(locale="ja-JP", **options)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    context.set_default_timeout(15_000)
    connection.close()
    return context


def test_check_in_without_javascript_and_print_the_roster_on_a4(live_server, roster_day, tmp_path):
    from playwright.sync_api import sync_playwright

    venue, day = roster_day["venue"], roster_day["day"].isoformat()
    url = f"{live_server.url}/staff/reception/roster/{venue.pk}/{day}/"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = signed_in_context(
                browser,
                live_server,
                java_script_enabled=False,
                viewport={"width": 1024, "height": 768},
            )
            page = context.new_page()
            page.goto(url)
            assert page.locator("h1").inner_text() == "受付名簿"

            first = page.locator("tr[id^=booking-]").first
            row_id = first.get_attribute("id")
            first.get_by_role("button", name=re.compile("^受付")).click()
            page.wait_for_load_state()
            assert page.url.endswith(f"#{row_id}")
            assert "受付済" in page.locator(f"#{row_id}").inner_text()
            assert Attendance.objects.get().status == "attended"
            connection.close()
            context.close()

            # axe runs as a script: these pages get a context with JavaScript on.
            context = signed_in_context(
                browser, live_server, viewport={"width": 1024, "height": 768}
            )
            page = context.new_page()
            page.goto(url)
            check_accessible(page, "roster")
            page.goto(url + "print/")
            page.emulate_media(media="print")
            check_accessible(page, "roster print layout")
            page.screenshot(path=str(tmp_path / "roster_print.png"), full_page=True)
            pdf = page.pdf(format="A4", prefer_css_page_size=True)
            pages = pdf_pages(pdf)
            # 9:00 needs more than one sheet, and 10:00 starts a sheet of its own.
            assert pages >= 3, pages
            heads = page.locator(".roster-running-head")
            assert heads.count() == 2
            assert "新座市保健センター" in heads.first.inner_text()
            assert day in heads.first.inner_text()
            assert page.locator(".no-print").first.is_hidden()
            page.emulate_media(media="screen")
            page.goto(f"{live_server.url}/staff/reception/season/")
            assert page.locator("svg.chart").count() >= 5
            check_accessible(page, "season at a glance")
            page.goto(f"{live_server.url}/staff/reception/call-off/?venue={venue.pk}&day={day}")
            assert page.locator("button.danger").count() == 1
            check_accessible(page, "call-off preview")
            context.close()

            # The page numbers come from an @page margin box: without it the PDF is
            # smaller by the glyphs of every page's number.
            bare = signed_in_context(browser, live_server, bypass_csp=True)
            bare_page = bare.new_page()
            bare_page.goto(url + "print/")
            bare_page.add_style_tag(content="@page { @bottom-center { content: none; } }")
            bare_page.emulate_media(media="print")
            without_numbers = bare_page.pdf(format="A4", prefer_css_page_size=True)
            assert pdf_pages(without_numbers) == pages
            assert len(without_numbers) < len(pdf)
            bare.close()
        finally:
            browser.close()
            connection.close()

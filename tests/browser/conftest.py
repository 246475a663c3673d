"""Headless Chromium for the resident's journey: one browser for the whole package.

Chromium comes from the system (/usr/bin/chromium, installed by apt in CI); Playwright's
own download does not work here. Each test gets a fresh context (cookies, JavaScript on
or off), which is cheap; starting the browser is not.

The scope is the package, not the session: Playwright's sync API allows one running
instance per thread, and other apps' browser tests start their own after this package.
"""

import pytest

from tests.chromium import launch


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """new_page(javascript=True, width=390): a page in a fresh context (a phone by default)."""
    contexts = []

    def make(*, javascript=True, width=390, height=844):
        context = browser.new_context(
            java_script_enabled=javascript,
            viewport={"width": width, "height": height},
            locale="ja-JP",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def place():
    from tests.browser.journey import Place

    return Place()

"""/staff/exports/ in a real browser: action buttons keep their label on one line, and the
destructive one (delete without import) stands apart from the others, on a desk PC and a
phone; axe-core finds nothing on the page."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.roles import HEALTH_CENTRE
from exports import services
from tests.browser.journey import check_accessible
from tests.chromium import launch
from tests.exports.conftest import book
from tests.helpers import login_staff, make_staff

SCREENSHOTS = "/tmp"
# Download, confirm import, delete without import (the labels tests/exports/test_views.py
# and the staff know; Japanese is the default language).
DOWNLOAD, CONFIRM, DISCARD = "ダウンロード", "取込確認", "取込せずに削除"
GAP = 16  # px between the destructive button and the one before it, on the same line

# Each action's label as line boxes: the distinct tops of its text's client rectangles.
LABEL_LINES = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                                   .map(r => Math.round(r.top)));
  return tops.size;
}"""


def _batches(lung_slots, clock):
    """Two batches: one downloaded (all three actions), one fresh (download and delete)."""
    book([lung_slots[0]], at=clock)
    first = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch
    book([lung_slots[1]], at=clock + timedelta(minutes=10), person=1)
    second = services.batch_create_delta(cutoff=clock + timedelta(minutes=15)).batch
    return first, second


def _signed_in_cookie(live_server, downloaded) -> dict:
    """A health-centre user whose password and second factor are verified (the session the
    test client builds), who downloads one batch; handed to the browser as its cookie."""
    nurse = make_staff("nurse", roles=[HEALTH_CENTRE])
    client = login_staff(Client(), nurse)
    response = client.post(reverse("exports:download", args=[downloaded.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)  # read to the end: the client then closes the file
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _assert_actions_laid_out(page, batch_id: int, names: list[str], where: str) -> None:
    row = page.locator(f"#batch-{batch_id} .batch-actions")
    actions = [row.get_by_role("link", name=name, exact=True) for name in names]
    actions[0] = row.get_by_role("button", name=names[0], exact=True)
    boxes = []
    for name, action in zip(names, actions, strict=True):
        assert action.count() == 1, f"{where}: no {name!r} in batch #{batch_id}"
        assert action.evaluate(LABEL_LINES) == 1, f"{where}: {name!r} wraps its label"
        box = action.bounding_box()
        height = action.evaluate(
            "el => { const s = getComputedStyle(el);"
            " return parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.5; }"
        )
        padding = action.evaluate(
            "el => { const s = getComputedStyle(el); return parseFloat(s.paddingTop)"
            " + parseFloat(s.paddingBottom) + parseFloat(s.borderTopWidth)"
            " + parseFloat(s.borderBottomWidth); }"
        )
        assert box["height"] <= height + padding + 2, f"{where}: {name!r} is taller than a line"
        boxes.append(box)

    destructive, before = boxes[-1], boxes[-2]
    same_line = destructive["y"] < before["y"] + before["height"] and before["y"] < (
        destructive["y"] + destructive["height"]
    )
    if same_line:
        gap = destructive["x"] - (before["x"] + before["width"])
        assert gap >= GAP, f"{where}: delete is {gap:.0f} px from {names[-2]!r}"
    else:
        assert destructive["y"] >= before["y"] + before["height"], f"{where}: delete not last"

    # Styled apart: not the look of the button before it.
    look = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color]; }"
    assert actions[-1].evaluate(look) != actions[-2].evaluate(look), (
        f"{where}: delete looks like {names[-2]!r}"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1024, 390])
def test_batch_actions_keep_one_line_labels_and_the_delete_apart(
    live_server, export_settings, clock, lung_slots, width
):
    from playwright.sync_api import sync_playwright

    downloaded, fresh = _batches(lung_slots, clock)
    cookie = _signed_in_cookie(live_server, downloaded)
    # Inside Playwright's event loop the ORM would otherwise keep this thread's connection,
    # and the test database could not be dropped at the end of the run.
    connection.close()

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
            context.add_cookies([cookie])
            page = context.new_page()
            page.goto(f"{live_server.url}/staff/exports/")
            assert page.locator("h1").text_content() == "CSVバッチ"
            page.screenshot(path=f"{SCREENSHOTS}/batch-list-{width}.png", full_page=True)

            where = f"{width} px"
            _assert_actions_laid_out(page, downloaded.pk, [DOWNLOAD, CONFIRM, DISCARD], where)
            _assert_actions_laid_out(page, fresh.pk, [DOWNLOAD, DISCARD], where)
            page.locator(f"#batch-{downloaded.pk} .batch-actions").screenshot(
                path=f"{SCREENSHOTS}/batch-actions-{width}.png"
            )
            check_accessible(page, where)
        finally:
            browser.close()

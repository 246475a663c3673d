"""Autofill hints fit their boxes (pa11y's H98 / WCAG 1.3.5): "street-address" is for a
multi-line box, so the one-line address box asks for "address-line1", on the web form and
on the phone desk's copy of it."""

from html.parser import HTMLParser

import pytest

from core.roles import HEALTH_CENTRE
from tests.factories import SlotFactory
from tests.helpers import login_staff, make_staff

pytestmark = pytest.mark.django_db

# Tokens that only a multi-line control (textarea) may carry.
MULTI_LINE_ONLY = {"street-address"}


class Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs = {}

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            attributes = dict(attrs)
            self.inputs[attributes.get("name")] = attributes


def inputs(response):
    parser = Inputs()
    parser.feed(response.content.decode())
    return parser.inputs


def assert_autocomplete_fits(found):
    assert found["address"]["autocomplete"] == "address-line1"
    for name, attributes in found.items():
        tokens = set((attributes.get("autocomplete") or "").split())
        assert not tokens & MULTI_LINE_ONLY, f"one-line box {name} asks for {tokens}"


def test_web_details_form_asks_one_line_boxes_for_one_line_values(client):
    slot = SlotFactory()
    for prefix in ("", "/en"):
        assert_autocomplete_fits(inputs(client.get(f"{prefix}/book/{slot.pk}/")))


def test_desk_booking_form_asks_one_line_boxes_for_one_line_values(client):
    slot = SlotFactory()
    login_staff(client, make_staff("hoken", roles=[HEALTH_CENTRE]))
    assert_autocomplete_fits(inputs(client.get("/staff/desk/book/", {"slot": slot.pk})))

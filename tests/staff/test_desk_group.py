"""The phone desk books several people at once, the same way as the web: all or none."""

import re
from datetime import timedelta

import pytest

from audit.models import AuditEvent
from reservations.models import Reservation, ReservationGroup, Slot
from tests.factories import SlotFactory, VenueFactory
from tests.reservations.test_group_views import FATHER, MOTHER

pytestmark = pytest.mark.django_db

FAMILY = "/staff/desk/family/"
CALLER = {"name": "山田 一郎", "phone": "090-1234-5678", "email": ""}


def post(client, slot, *people, token="t" * 32, **extra):
    data = {"slot": [slot.pk], "form_token": token, "people": str(len(people)), **extra}
    data.update({f"contact-{k}": v for k, v in CALLER.items()})
    for position, person in enumerate(people, start=1):
        data.update({f"p{position}-{k}": v for k, v in person.items()})
    return client.post(FAMILY, data)


def test_the_desk_books_a_family_as_phone_bookings_by_the_staff_member(desk, health_centre_user):
    slot = SlotFactory()
    page = desk.get(FAMILY, {"slot": slot.pk})
    assert page.status_code == 200 and "1人目" in page.content.decode()
    response = post(desk, slot, FATHER, MOTHER)
    assert response.status_code == 302
    members = list(Reservation.objects.order_by("group_position"))
    assert [m.citizen.name for m in members] == ["山田 太郎", "山田 花子"]
    assert {m.channel for m in members} == {Reservation.Channel.PHONE}
    assert {m.booked_by for m in members} == {health_centre_user}
    assert ReservationGroup.objects.get().channel == Reservation.Channel.PHONE
    assert AuditEvent.objects.filter(action="reservations.reservation.booked_by_phone").count() == 2


def test_refusals_at_the_desk_name_the_person_and_book_nobody(desk):
    slot = SlotFactory()
    response = post(desk, slot, FATHER, {**FATHER, "same_as_first": "on"})
    assert response.status_code == 409
    assert "2人目（山田 太郎）" in response.content.decode()
    assert Reservation.objects.count() == 0


def test_a_full_session_offers_another_day_and_keeps_the_details(desk):
    slot = SlotFactory(capacity=1)
    later = SlotFactory(
        screening_type=slot.screening_type,
        venue=VenueFactory(),
        starts_at=slot.starts_at + timedelta(days=2),
    )
    refused = post(desk, slot, FATHER, MOTHER)
    assert refused.status_code == 409
    assert f'name="instead" value="{later.pk}"' in refused.content.decode()
    again = post(desk, slot, FATHER, MOTHER, instead=str(later.pk))
    assert again.status_code == 200
    assert 'value="山田 太郎"' in again.content.decode()
    assert f'name="slot" value="{later.pk}"' in again.content.decode()
    booked = desk.post(FAMILY, _fields(again))
    assert booked.status_code == 302
    assert Slot.objects.get(pk=later.pk).booked == 2


def _fields(response):
    """What the browser would send back from the form as it is shown."""
    form = re.search(r'<form id="group-form".*?</form>', response.content.decode(), re.S).group(0)
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None:
            continue
        if 'type="radio"' in tag or 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = value.group(1) if value else "on"
        else:
            data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    return data


def test_nonsense_input_is_a_bad_request(desk):
    slot = SlotFactory()
    assert desk.get(FAMILY).status_code == 400
    assert desk.get(FAMILY, {"slot": "x"}).status_code == 400
    assert desk.get(FAMILY, {"slot": slot.pk, "people": "99"}).status_code == 400


def test_the_desk_needs_a_health_centre_member(client):
    slot = SlotFactory()
    assert client.get(FAMILY, {"slot": slot.pk}).status_code in (302, 403)

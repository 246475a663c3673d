"""The resident takes one screening out of a set booking on the look-up page: asked once,
then only that one is freed; a single screening is cancelled, not dropped."""

import pytest
from django.core import mail

from reservations import services
from reservations.models import Notification, Reservation, Slot
from reservations.tokens import sign_manage_token
from tests.reservations.test_views import Scene
from tests.reservations.test_views_lookup import lookup, person, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return Scene()


@pytest.fixture
def single(scene):
    return services.reservation_create(slots=[scene.lung_hall], details=person()).reservation


@pytest.fixture
def pair(scene):
    return services.reservation_create(
        slots=[scene.lung_slot, scene.stomach_slot], details=person()
    ).reservation


DROP = "/en/lookup/drop/"


def test_a_set_booking_offers_to_take_out_each_screening(client, pair, scene):
    text = lookup(client, pair.number, prefix="/en").content.decode()
    assert 'action="/en/lookup/drop/"' in text
    for screening in (scene.lung, scene.stomach):
        assert f'name="screening" value="{screening.pk}"' in text
    assert "Take out Stomach cancer screening" in text


def test_a_single_screening_is_not_offered_to_be_taken_out(client, single):
    text = lookup(client, single.number, prefix="/en").content.decode()
    assert "/lookup/drop/" not in text


def test_taking_out_asks_first_then_frees_that_place_only(client, pair, scene):
    token = token_for(client, pair)
    ask = client.post(DROP, {"token": token, "screening": scene.stomach.pk})
    assert ask.status_code == 200
    text = ask.content.decode()
    assert "Take Stomach cancer screening out of your booking?" in text
    assert "Lung cancer screening" in text  # what stays booked
    assert pair.items.count() == 2

    done = client.post(DROP, {"token": token, "screening": scene.stomach.pk, "confirm": "yes"})
    assert done.status_code == 200
    text = done.content.decode()
    assert "Stomach cancer screening has been taken out of your booking." in text
    pair.refresh_from_db()
    assert pair.is_live
    assert [i.slot_id for i in pair.items.all()] == [scene.lung_slot.pk]
    assert Slot.objects.get(pk=scene.stomach_slot.pk).booked == 0
    assert Slot.objects.get(pk=scene.lung_slot.pk).booked == 1
    assert pair.notifications.filter(kind=Notification.Kind.CHANGE).count() == 1


def test_taking_out_twice_is_harmless(client, pair, scene):
    token = token_for(client, pair)
    data = {"token": token, "screening": scene.stomach.pk, "confirm": "yes"}
    client.post(DROP, data)
    again = client.post(DROP, data)
    assert again.status_code == 200
    assert Slot.objects.get(pk=scene.stomach_slot.pk).booked == 0
    assert pair.items.count() == 1
    assert pair.notifications.filter(kind=Notification.Kind.CHANGE).count() == 1


def test_the_last_screening_is_refused_and_cancel_is_pointed_to(client, single, scene):
    token = token_for(client, single)
    response = client.post(DROP, {"token": token, "screening": scene.lung.pk, "confirm": "yes"})
    assert response.status_code == 409
    text = response.content.decode()
    assert "only screening" in text and "cancel the booking instead" in text
    assert Reservation.objects.get(pk=single.pk).is_live
    assert single.items.count() == 1


def test_taking_out_refuses_bad_input_and_changes_nothing(client, pair, scene):
    token = token_for(client, pair)
    assert client.post(DROP, {"token": "forged", "screening": scene.lung.pk}).status_code == 403
    assert client.post(DROP, {"token": token, "screening": "abc"}).status_code == 400
    assert client.post(DROP, {"token": token}).status_code == 400
    assert client.get(DROP).status_code == 405
    services.reservation_cancel(reservation=pair)
    cancelled = client.post(DROP, {"token": token, "screening": scene.lung.pk, "confirm": "yes"})
    assert cancelled.status_code == 409
    assert set(Slot.objects.values_list("booked", flat=True)) == {0}


def test_the_change_mail_lists_what_is_left(client, pair, scene):
    from django.core.management import call_command

    token = sign_manage_token(pair.number)
    client.post(DROP, {"token": token, "screening": scene.lung.pk, "confirm": "yes"})
    call_command("send_notifications", verbosity=0)
    change = mail.outbox[-1]
    assert "胃がん検診" in change.body and "肺がん検診" not in change.body

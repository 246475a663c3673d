"""What the booking pages tell a resident about where they are and where to go next: the
step counter counts the steps this booking has, and a refusal the form cannot fix links to
the page that can."""

import re

import pytest

from reservations.models import Slot
from tests.reservations.test_views import (
    Scene,
    add_screening,
    book,
    submit_details,
    template_names,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return Scene()


def step(response):
    match = re.search(r'<p class="step">(.*?)</p>', response.content.decode())
    assert match, "no step counter"
    return match.group(1)


def test_without_a_screening_to_add_the_booking_has_two_steps(client, scene):
    # At the civic hall only lung is offered that day: details, then confirm.
    assert step(client.get(f"/en/book/{scene.lung_hall.pk}/")) == "Step 1 of 2"
    confirm = submit_details(client, scene.lung_hall, prefix="/en")
    assert "reservations/book_confirm.html" in template_names(confirm)
    assert step(confirm) == "Step 2 of 2"


def test_with_a_screening_to_add_the_booking_still_has_two_steps(client, scene):
    # Adding one is a page off the confirm step (issue #12), counted as part of it.
    assert step(client.get(f"/book/{scene.lung_slot.pk}/")) == "手順 1／2"
    confirm = submit_details(client, scene.lung_slot)
    assert step(confirm) == "手順 2／2"
    assert step(add_screening(client, confirm)) == "手順 2／2"


def test_details_form_with_errors_keeps_the_count(client, scene):
    response = submit_details(client, scene.lung_hall, prefix="/en", name="")
    assert response.status_code == 400
    assert step(response) == "Step 1 of 2"


def test_a_set_partner_the_person_may_not_take_is_not_offered(client, scene):
    # Only breast screening is free beside lung that day: not for a man, so no offer.
    Slot.objects.filter(pk=scene.stomach_slot.pk).delete()
    Scene.slot(scene.breast, scene.centre, scene.day, 11, 0)
    confirm = submit_details(client, scene.lung_slot, prefix="/en", sex="M")
    assert "reservations/book_confirm.html" in template_names(confirm)
    assert step(confirm) == "Step 2 of 2"
    assert "Add a screening on the same day" not in confirm.content.decode()
    woman = submit_details(client, scene.lung_slot, prefix="/en")
    assert "Add a screening on the same day" in woman.content.decode()


def details_form(response, prefix, slot) -> str:
    """The details form alone: the page's header has a look-up link of its own."""
    page = response.content.decode()
    form = page.split(f'<form method="post" action="{prefix}/book/{slot.pk}/"', 1)[1]
    return form.split("</form>", 1)[0]


@pytest.mark.parametrize(
    ("prefix", "label"),
    [("", "予約の確認・変更・取消"), ("/en", "Check, change or cancel a booking")],
)
def test_already_booked_on_the_details_form_links_to_the_lookup(client, scene, prefix, label):
    book(client, scene.lung_hall)
    response = submit_details(client, scene.lung_later, prefix=prefix)
    assert response.status_code == 400
    form = details_form(response, prefix, scene.lung_later)
    assert f'<a href="{prefix}/lookup/">{label}</a>' in form


def test_other_refusals_on_the_details_form_have_no_lookup_link(client, scene):
    too_young = {"birth_date_era": "AD", "birth_date_year": str(scene.day.year - 30)}
    response = submit_details(client, scene.lung_hall, prefix="/en", **too_young)
    assert response.status_code == 400  # too young: fixed in the form itself
    form = details_form(response, "/en", scene.lung_hall)
    assert "40 or over" in form
    assert 'href="/en/lookup/"' not in form

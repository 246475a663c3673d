"""セット検診 with a 受診券: the "add a screening" step offers a 受診券 screening only when
the booking's ticket includes it; open screenings as before."""

import pytest
from django.core.cache import cache

from reservations.models import ScreeningType
from tests.reservations.test_views import PERSON, Scene, add_screening, hidden

from .conftest import list_file
from .test_booking_flow import voucher_post

pytestmark = pytest.mark.django_db

OFFER = "同じ日の検診を追加する"  # the confirm page's button to add a screening


@pytest.fixture
def scene(screenings):
    cache.clear()
    scene = Scene()
    ScreeningType.objects.filter(code__in=["lung", "stomach"]).update(voucher_required=True)
    scene.lung.refresh_from_db()
    return scene


def details_step(client, scene):
    """The 受診券 step, then the details: the page that follows them."""
    response = voucher_post(client, scene.lung_slot)
    assert response.status_code == 200
    token = hidden(response, "form_token")
    return client.post(f"/book/{scene.lung_slot.pk}/", {**PERSON, "form_token": token})


def test_a_ticket_for_both_screenings_is_offered_the_other(client, scene, import_list):
    import_list(list_file("00012345,新座 花子,1960-05-01,2,51 53,B"))
    confirm = details_step(client, scene)
    assert OFFER in confirm.content.decode()
    response = add_screening(client, confirm)
    assert f'value="{scene.stomach_slot.pk}"' in response.content.decode()


def test_a_ticket_without_the_other_screening_goes_straight_to_confirm(client, scene, import_list):
    import_list(list_file("00012345,新座 花子,1960-05-01,2,51,B"))
    response = details_step(client, scene)
    names = [t.name for t in response.templates]
    assert "reservations/book_confirm.html" in names
    assert OFFER not in response.content.decode()


def test_an_open_booking_is_not_offered_a_screening_that_needs_a_ticket(client, scene):
    ScreeningType.objects.filter(code="lung").update(voucher_required=False)
    page = client.get(f"/book/{scene.lung_slot.pk}/")
    token = hidden(page, "form_token")
    response = client.post(f"/book/{scene.lung_slot.pk}/", {**PERSON, "form_token": token})
    assert "reservations/book_confirm.html" in [t.name for t in response.templates]
    assert OFFER not in response.content.decode()

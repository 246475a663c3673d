"""Bookings without email (/staff/no-email/): whom the health centre phones or writes to."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from reservations import services
from reservations.models import Reservation, Slot
from tests.factories import SlotFactory, details, local_dt

pytestmark = pytest.mark.django_db

URL = "/staff/no-email/"


def booked(slot, **person):
    return services.reservation_create(slots=[slot], details=details(**person)).reservation


@pytest.fixture
def bookings():
    soon = SlotFactory(starts_at=local_dt(timezone.localdate() + timedelta(days=5), 10, 0))
    later = SlotFactory(starts_at=local_dt(timezone.localdate() + timedelta(days=20), 13, 30))
    cancelled = booked(soon, name="高橋 三郎", furigana="タカハシ サブロウ", email="")
    services.reservation_cancel(reservation=cancelled)
    return {
        "later": booked(
            later, name="佐藤 一郎", furigana="サトウ イチロウ", email="", phone="0481"
        ),
        "soon": booked(soon, name="鈴木 花子", furigana="スズキ ハナコ", email="", phone="0482"),
        "with_email": booked(soon, name="田中 次郎", furigana="タナカ ジロウ"),
        "cancelled": cancelled,
    }


def test_lists_upcoming_live_bookings_without_email_soonest_first(desk, bookings):
    later_slot = bookings["later"].items.get().slot
    response = desk.get(URL)
    assert response.status_code == 200
    assert [r.pk for r in response.context["reservations"]] == [
        bookings["soon"].pk,
        bookings["later"].pk,
    ]
    page = response.content.decode()
    soon = bookings["soon"]
    slot = soon.items.get().slot
    for shown in (
        "鈴木 花子",
        soon.citizen.phone,
        soon.display_number,
        slot.screening_type.name,
        timezone.localtime(slot.starts_at).strftime("%Y-%m-%d"),
        timezone.localtime(slot.starts_at).strftime("%H:%M"),
        f'href="/staff/desk/reservations/{soon.pk}/"',
    ):
        assert shown in page, shown
    assert "田中 次郎" not in page and "高橋 三郎" not in page
    assert timezone.localtime(later_slot.starts_at).strftime("%H:%M") in page


def test_a_screening_that_has_begun_is_no_longer_listed(desk, bookings):
    soon = bookings["soon"]
    Slot.objects.filter(pk=soon.items.get().slot_id).update(
        starts_at=timezone.now() - timedelta(minutes=5)
    )
    listed = [r.pk for r in desk.get(URL).context["reservations"]]
    assert soon.pk not in listed and bookings["later"].pk in listed


def test_opening_the_list_is_audited_with_the_reservations_shown(
    desk, bookings, health_centre_user
):
    desk.get(URL)
    event = AuditEvent.objects.get(action="citizens.citizen.listed")
    assert event.actor_id == health_centre_user.pk
    assert event.details["via"] == "no_email_list"
    assert event.details["results"] == 2
    assert sorted(event.details["reservation_ids"]) == sorted(
        [bookings["soon"].pk, bookings["later"].pk]
    )
    assert "鈴木" not in str(event.details) and "0482" not in str(event.details)


def test_an_empty_list_says_so(desk):
    response = desk.get(URL)
    assert response.status_code == 200
    assert "メールアドレスが登録されています" in response.content.decode()


def test_staff_without_the_health_centre_role_are_refused(admin_client_verified):
    assert admin_client_verified.get(URL).status_code == 403
    assert not AuditEvent.objects.filter(action="citizens.citizen.listed").exists()


def test_anonymous_and_unverified_are_sent_to_sign_in(client, health_centre_user):
    from tests.helpers import login_staff

    response = client.get(URL)
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    login_staff(client, health_centre_user, verified=False)
    assert "/staff/verify/" in client.get(URL)["Location"]


def test_post_is_refused(desk):
    assert desk.post(URL).status_code == 405


def test_the_staff_navigation_links_to_it_for_the_health_centre(desk):
    page = desk.get("/staff/desk/").content.decode()
    assert f'href="{URL}"' in page
    assert Reservation.objects.count() == 0

"""Admin's slot list: held places beside the fill rate, and who waits for each slot."""

import pytest
from django.urls import reverse

from core.roles import ADMINISTRATOR
from reservations import services as booking
from tests.factories import SlotFactory
from tests.helpers import login_staff, make_superuser
from tests.waitlist.helpers import fill, join

pytestmark = pytest.mark.django_db


def test_the_slot_list_counts_held_places_and_the_waiting_list(client):
    admin = login_staff(client, make_superuser("admin1", roles=[ADMINISTRATOR]))
    slot = SlotFactory(capacity=2)
    bookings = fill(slot)
    for n in range(3):
        join(slot, n)
    booking.reservation_cancel(reservation=bookings[0])
    page = admin.get(reverse("admin:reservations_slot_changelist")).content.decode()
    assert "1 / 2 (50%)" in page
    assert "＋確保1" in page  # one place held for an offer
    assert "2 / 1" in page  # two waiting, one offered
    assert "キャンセル待ち（待機 / 案内中）" in page


def test_capacity_below_booked_plus_held_is_refused_in_the_form(client):
    from tests.reservations.test_admin import slot_form

    admin = login_staff(client, make_superuser("admin2", roles=[ADMINISTRATOR]))
    slot = SlotFactory(capacity=2)
    bookings = fill(slot)
    join(slot, 1)
    booking.reservation_cancel(reservation=bookings[0])  # 1 booked + 1 held
    url = reverse("admin:reservations_slot_change", args=[slot.pk])
    response = admin.post(url, slot_form(slot, capacity="1"))
    assert "2" in str(response.context["adminform"].form.errors["capacity"])
    slot.refresh_from_db()
    assert slot.capacity == 2
    assert admin.post(url, slot_form(slot, capacity="3")).status_code == 302
    slot.refresh_from_db()
    assert (slot.capacity, slot.held) == (3, 1)


def test_the_waiting_count_includes_entries_that_accept_the_slots_day(client):
    admin = login_staff(client, make_superuser("admin1", roles=[ADMINISTRATOR]))
    slot = SlotFactory(capacity=1)
    fill(slot)
    from tests.waitlist.helpers import resident
    from waitlist import services

    services.entry_join(
        screening_type=slot.screening_type,
        details=resident(7),
        first_date=slot.local_date,
        last_date=slot.local_date,
    )
    page = admin.get(reverse("admin:reservations_slot_changelist")).content.decode()
    assert "1 / 0" in page  # one waiting (by dates, any venue), none offered


def test_the_waiting_list_outbox_is_in_admin_by_number_only(client):
    from tests.factories import SlotFactory
    from tests.helpers import login_staff, make_staff
    from tests.waitlist.helpers import fill, join
    from waitlist.models import WaitlistMail

    slot = SlotFactory(capacity=1)
    fill(slot)
    entry = join(slot, 1)
    WaitlistMail.objects.update(status="failed")
    administrator = login_staff(client, make_staff("kanri", roles=("administrator",)))
    page = administrator.get("/admin/waitlist/waitlistmail/?status=failed").content.decode()
    assert entry.display_number in page and entry.name not in page and entry.email not in page

"""Bulk slot creation skips Japanese public holidays and 年末年始 unless told otherwise."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.roles import ADMINISTRATOR
from reservations import services
from reservations.closed_days import closed_days, closed_reason
from reservations.models import Slot
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory
from tests.helpers import login_staff, make_superuser

# FY2027 as the 祝日法 makes it (substitute and citizens' holidays included): April 2027 to
# March 2028. Asserted against the library on purpose: a wrong year in it shows here.
FY2027_HOLIDAYS = {
    date(2027, 4, 29), date(2027, 5, 3), date(2027, 5, 4), date(2027, 5, 5),
    date(2027, 7, 19), date(2027, 8, 11), date(2027, 9, 20), date(2027, 9, 23),
    date(2027, 10, 11), date(2027, 11, 3), date(2027, 11, 23), date(2028, 1, 1),
    date(2028, 1, 10), date(2028, 2, 11), date(2028, 2, 23), date(2028, 3, 20),
}  # fmt: skip
NEW_YEAR_BREAK = {
    date(2027, 12, 29), date(2027, 12, 30), date(2027, 12, 31),
    date(2028, 1, 1), date(2028, 1, 2), date(2028, 1, 3),
}  # fmt: skip


@pytest.fixture
def admin_client(client):
    return login_staff(client, make_superuser("admin-h", roles=[ADMINISTRATOR]))


def test_a_whole_fiscal_year_of_closed_days():
    found = dict(closed_days(date(2027, 4, 1), date(2028, 3, 31)))
    assert set(found) == FY2027_HOLIDAYS | NEW_YEAR_BREAK
    assert found[date(2027, 12, 30)] == "年末年始"
    assert found[date(2027, 5, 3)] == "憲法記念日"
    assert closed_reason(date(2027, 6, 1)) == ""


@pytest.mark.django_db
@pytest.mark.parametrize("include, expected_missing", [(False, True), (True, False)])
def test_bulk_creation_over_a_year_skips_them_unless_included(include, expected_missing):
    venue, lung = VenueFactory(), ScreeningTypeFactory()
    zone = timezone.get_current_timezone()
    opens = datetime(2027, 3, 1, 9, tzinfo=zone)
    created, _ = services.slots_bulk_create(
        venue=venue,
        screening_types=[lung],
        first_date=date(2027, 4, 1),
        last_date=date(2028, 3, 31),
        weekdays=list(range(7)),
        start_times=[time(9)],
        duration_minutes=30,
        capacity=5,
        opens_at=opens,
        closes_at=opens + timedelta(days=400),
        include_closed_days=include,
    )
    days = {timezone.localtime(s.starts_at).date() for s in Slot.objects.all()}
    closed = FY2027_HOLIDAYS | NEW_YEAR_BREAK
    assert created == (366 - len(closed) if not include else 366)
    assert bool(days & closed) is not expected_missing


@pytest.mark.django_db
def test_the_admin_previews_the_skipped_days_before_creating(admin_client):
    venue = VenueFactory()
    lung = SlotFactory(venue=venue).screening_type
    before = Slot.objects.count()
    form = {
        "venue": venue.pk,
        "screening_types": [lung.pk],
        "first_date": "2027-12-27",
        "last_date": "2028-01-14",
        "weekdays": ["0", "1", "2", "3", "4"],
        "start_times": "09:00",
        "duration_minutes": "30",
        "capacity": "6",
        "opens_at": "2027-11-01T09:00",
        "closes_at": "2028-01-20T09:00",
    }
    url = reverse("admin:reservations_slot_bulk_create")

    preview = admin_client.post(url, form)

    assert preview.status_code == 200 and Slot.objects.count() == before
    page = preview.content.decode()
    assert "年末年始" in page and "成人の日" in page and 'name="create"' in page
    assert (
        preview.context["preview"]["days"] == 15 - 4 - 1
    )  # 12/29-31 and 1/3 (weekdays of 年末年始), 1/10 成人の日

    assert admin_client.post(url, {**form, "create": "1"}).status_code == 302
    made = {timezone.localtime(s.starts_at).date() for s in Slot.objects.filter(venue=venue)}
    assert date(2028, 1, 10) not in made and date(2027, 12, 30) not in made
    assert date(2027, 12, 28) in made


@pytest.mark.django_db
def test_seed_demo_puts_no_slot_on_a_closed_day():
    call_command("seed_demo", bookings=0)
    days = {timezone.localtime(s.starts_at).date() for s in Slot.objects.all()}
    assert days and not [d for d in days if closed_reason(d)]

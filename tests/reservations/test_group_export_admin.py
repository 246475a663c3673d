"""A group in the export (同時予約) and in the admin (read only, audited)."""

from datetime import date

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.roles import ADMINISTRATOR
from exports import csvfile
from exports import services as exports
from reservations.group import GroupContact, reservation_create_group
from reservations.models import ReservationItem
from tests.factories import SlotFactory, details
from tests.helpers import login_staff, make_superuser

pytestmark = pytest.mark.django_db


def _group():
    slot = SlotFactory()
    return reservation_create_group(
        slots=[slot],
        people=[
            details(
                name="山田 太郎", furigana="ヤマダ タロウ", birth_date=date(1950, 6, 1), sex="M"
            ),
            details(name="山田 花子", furigana="ヤマダ ハナコ", birth_date=date(1952, 8, 3)),
        ],
        contact=GroupContact(name="山田 一郎", phone="090-1234-5678"),
    )


def _rows():
    records = ReservationItem.objects.order_by("reservation__group_position").values(
        *exports.ROW_FIELDS
    )
    index = csvfile.HEADER.index("同時予約")
    return [csvfile.csv_row(r, change=csvfile.NEW, encoding="cp932")[0][index] for r in records]


def test_export_links_the_members_of_a_group_by_the_first_members_number():
    result = _group()
    first = result.reservations[0].display_number
    assert _rows() == [first, first]
    assert csvfile.HEADER[-1] == "同時予約"  # appended: the last column


def test_a_booking_made_alone_has_an_empty_group_column():
    from reservations import services

    services.reservation_create(slots=[SlotFactory()], details=details())
    assert _rows() == [""]


def test_admin_shows_a_group_read_only_and_audits_the_look(client):
    login_staff(client, make_superuser("admin1", roles=[ADMINISTRATOR]))
    group = _group().group
    listing = client.get(reverse("admin:reservations_reservationgroup_changelist"))
    assert listing.status_code == 200
    page = client.get(reverse("admin:reservations_reservationgroup_change", args=[group.pk]))
    assert page.status_code == 200
    assert "山田 一郎" in page.content.decode()
    assert 'name="contact_name"' not in page.content.decode()  # nothing to edit
    assert AuditEvent.objects.filter(action="reservations.reservation_group.viewed").exists()
    assert client.get(reverse("admin:reservations_reservationgroup_add")).status_code == 403

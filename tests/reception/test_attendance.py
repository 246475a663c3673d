"""Check-in at reception: 受付済 / 欠席 per screening, undo within the day, into the export."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.context import AuditContext
from audit.models import AuditEvent
from exports import csvfile
from exports.services import _delta_changes
from reception import services
from reception.models import Attendance
from reservations.models import Reservation
from tests.reception.conftest import book

pytestmark = pytest.mark.django_db


def post(client, item, action):
    return client.post(f"/staff/reception/attendance/{item.pk}/", {"action": action})


def test_checking_in_one_screening_of_a_set_redirects_to_its_row(reception, today_day):
    reservation = book([today_day["lung9"], today_day["stomach930"]])
    lung, stomach = reservation.items.order_by("slot__starts_at")

    response = post(reception, lung, "attended")

    assert response.status_code == 302
    assert response["Location"].endswith(
        f"/roster/{today_day['venue'].pk}/{today_day['day'].isoformat()}/#booking-{reservation.pk}"
    )
    assert Attendance.objects.get(item=lung).status == "attended"
    assert not Attendance.objects.filter(item=stomach).exists()
    event = AuditEvent.objects.get(action="reception.attendance.marked")
    assert event.details["item_id"] == lung.pk and event.details["status"] == "attended"


def test_a_mark_can_be_changed_and_undone_on_the_day(reception, today_day):
    item = book([today_day["lung9"]]).items.get()
    post(reception, item, "attended")
    post(reception, item, "absent")
    assert Attendance.objects.get(item=item).status == "absent"

    post(reception, item, "undo")

    assert not Attendance.objects.filter(item=item).exists()
    assert AuditEvent.objects.filter(action="reception.attendance.undone").count() == 1


def test_undo_on_a_later_day_is_refused(today_day):
    item = book([today_day["lung9"]]).items.get()
    services.attendance_mark(
        item=item, status="attended", user=None, audit_context=AuditContext.system()
    )
    tomorrow = timezone.now() + timedelta(days=1)

    with pytest.raises(services.NotOnThisDay):
        services.attendance_undo(item=item, audit_context=AuditContext.system(), now=tomorrow)
    assert Attendance.objects.filter(item=item).exists()


def test_marking_before_the_screening_day_is_refused_with_409(reception, today_day):
    slot = today_day["lung10"]
    slot.starts_at += timedelta(days=3)
    slot.ends_at += timedelta(days=3)
    slot.closes_at += timedelta(days=3)
    slot.save()
    item = book([slot]).items.get()

    assert post(reception, item, "attended").status_code == 409
    assert not Attendance.objects.exists()


def test_marking_a_cancelled_booking_is_refused(reception, today_day):
    reservation = book([today_day["lung9"]])
    Reservation.objects.filter(pk=reservation.pk).update(
        status="cancelled", cancelled_at=timezone.now()
    )
    reservation.items.update(is_live=False)

    assert post(reception, reservation.items.get(), "attended").status_code == 409


def test_an_unknown_action_is_400_and_get_is_405(reception, today_day):
    item = book([today_day["lung9"]]).items.get()
    assert post(reception, item, "delete").status_code == 400
    assert reception.get(f"/staff/reception/attendance/{item.pk}/").status_code == 405
    assert post(reception, type("X", (), {"pk": 999999})(), "attended").status_code == 404


def test_the_other_role_cannot_mark(administrator, today_day):
    item = book([today_day["lung9"]]).items.get()
    assert post(administrator, item, "attended").status_code == 403
    assert not Attendance.objects.exists()


def test_attendance_reaches_the_next_delta_as_a_change_with_its_column(today_day):
    reservation = book([today_day["lung9"], today_day["stomach930"]])
    lung, _stomach = reservation.items.order_by("slot__starts_at")
    start = timezone.now()
    services.attendance_mark(
        item=lung, status="attended", user=None, audit_context=AuditContext.system()
    )
    services.attendance_mark(
        item=_stomach, status="absent", user=None, audit_context=AuditContext.system()
    )

    rows = list(_delta_changes(start - timedelta(seconds=1), timezone.now() + timedelta(1)))
    table = csvfile.write_csv(rows, encoding="utf-8-sig")
    records = list(csv.DictReader(io.StringIO(bytes(table.data).decode("utf-8-sig"))))

    assert [(r["区分"], r["検診コード"], r["出欠"]) for r in records] == [
        ("変更", "lung", "受付済"),
        ("変更", "stomach", "欠席"),
    ]
    start = csvfile.HEADER.index("出欠")
    assert csvfile.HEADER[start : start + 4] == ["出欠", "取消理由", "費用", "費用理由"]

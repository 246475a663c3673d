"""Admin hooks: each admin action leaves exactly one audit record with the right fields,
and no record ever holds a resident's personal data (canary values)."""

import json
from datetime import UTC, date, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from reservations import services
from reservations.models import Reservation, ScreeningType, Slot, Venue
from tests.factories import SlotFactory, VenueFactory, details

pytestmark = pytest.mark.django_db

CANARY = {
    "name": "監査 カナリア",
    "furigana": "カンサ カナリア",
    "birth_date": date(1933, 3, 3),
    "sex": "F",
    "postal_code": "3520099",
    "address": "新座市カナリア町9-9-9",
    "phone": "090-9876-5432",
    "email": "canary.resident@example.jp",
}
# Long enough that a hex MAC or a timestamp cannot contain one by chance.
CANARY_STRINGS = [
    "監査",
    "カナリア",
    "カンサ",
    "1933-03-03",
    "19330303",
    "3520099",
    "352-0099",
    "カナリア町",
    "9876-5432",
    "09098765432",
    "canary",
    "example.jp",
]


def _only(action):
    """The one record of `action`; fails if there are none or several."""
    events = list(AuditEvent.objects.filter(action=action))
    assert len(events) == 1, [e.action for e in AuditEvent.objects.all()]
    return events[0]


def _booking(**overrides):
    slot = SlotFactory(capacity=5)
    return services.reservation_create(
        slots=[slot], details=details(**{**CANARY, **overrides})
    ).reservation


def _window(now):
    return {
        "opens_at_0": timezone.localtime(now).strftime("%Y-%m-%d"),
        "opens_at_1": timezone.localtime(now).strftime("%H:%M:%S"),
    }


def _slot_form(slot, **changes):
    local = timezone.localtime
    values = {
        "venue": slot.venue_id,
        "screening_type": slot.screening_type_id,
        "capacity": slot.capacity,
    }
    for name in ("starts_at", "ends_at", "opens_at", "closes_at"):
        moment = local(changes.pop(name, getattr(slot, name)))
        values[f"{name}_0"] = moment.strftime("%Y-%m-%d")
        values[f"{name}_1"] = moment.strftime("%H:%M:%S")
    values.update(changes)
    return values


# --- screening calendar: slots, venues, screening types ---------------------------------------


def test_slot_change_records_capacity_and_window_before_and_after(admin_client, administrator):
    slot = SlotFactory(capacity=10)
    new_close = slot.closes_at - timedelta(days=2)
    response = admin_client.post(
        reverse("admin:reservations_slot_change", args=[slot.pk]),
        _slot_form(slot, capacity=15, closes_at=new_close),
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    event = _only("reservations.slot.changed")
    assert (event.actor_id, event.actor_username) == (administrator.pk, "admin1")
    assert (event.target_type, event.target_id) == ("reservations.Slot", str(slot.pk))
    assert event.outcome == "success"
    assert event.ip == "127.0.0.1"
    assert sorted(event.details["changed"]) == ["capacity", "closes_at"]
    assert event.details["before"]["capacity"] == 10
    assert event.details["after"]["capacity"] == 15
    assert event.details["before"]["closes_at"] == slot.closes_at.astimezone(UTC).isoformat()
    assert event.details["after"]["closes_at"] == new_close.astimezone(UTC).isoformat()
    assert event.details["before"]["opens_at"] == event.details["after"]["opens_at"]
    assert AuditEvent.objects.count() == 1


def test_refused_capacity_change_is_recorded_as_failed(admin_client):
    slot = SlotFactory(capacity=10)
    form = _slot_form(slot, capacity=3)
    # A booking lands after the form was checked: capacity 3 would now be below booked.
    original = services.slot_set_capacity

    def racing(*, slot, capacity):
        Slot.objects.filter(pk=slot.pk).update(booked=4)
        return original(slot=slot, capacity=capacity)

    from unittest import mock

    with mock.patch.object(services, "slot_set_capacity", racing):
        admin_client.post(reverse("admin:reservations_slot_change", args=[slot.pk]), form)
    event = _only("reservations.slot.changed")
    assert event.outcome == "failed"
    assert event.details["refused"] == ["capacity"]
    assert event.details["before"]["capacity"] == event.details["after"]["capacity"] == 10


def test_slot_add_and_delete_are_recorded(superuser_client):
    template = SlotFactory()
    form = _slot_form(template, starts_at=template.starts_at + timedelta(hours=2))
    form["ends_at_1"] = (timezone.localtime(template.ends_at) + timedelta(hours=2)).strftime(
        "%H:%M:%S"
    )
    response = superuser_client.post(reverse("admin:reservations_slot_add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    new = Slot.objects.exclude(pk=template.pk).get()
    created = _only("reservations.slot.created")
    assert created.target_id == str(new.pk)
    assert created.details["after"]["capacity"] == new.capacity

    response = superuser_client.post(
        reverse("admin:reservations_slot_delete", args=[new.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    deleted = _only("reservations.slot.deleted")
    assert deleted.target_id == str(new.pk)
    assert deleted.details["before"]["capacity"] == new.capacity
    assert not Slot.objects.filter(pk=new.pk).exists()


def test_bulk_delete_records_one_deletion_per_slot(superuser_client):
    slots = [SlotFactory(starts_at=SlotFactory().starts_at + timedelta(hours=h)) for h in (1, 2)]
    response = superuser_client.post(
        reverse("admin:reservations_slot_changelist"),
        {"action": "delete_selected", "_selected_action": [s.pk for s in slots], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = AuditEvent.objects.filter(action="reservations.slot.deleted")
    assert sorted(deleted.values_list("target_id", flat=True)) == sorted(str(s.pk) for s in slots)


def test_bulk_slot_creation_is_one_record_with_counts(admin_client):
    venue = VenueFactory()
    lung = SlotFactory(venue=venue).screening_type
    start = timezone.localdate() + timedelta(days=30)
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    now = timezone.localtime()
    form = {
        "venue": venue.pk,
        "screening_types": [lung.pk],
        "first_date": monday.isoformat(),
        "last_date": (monday + timedelta(days=6)).isoformat(),
        "weekdays": ["0", "2"],
        "start_times": "09:00, 09:30",
        "duration_minutes": "30",
        "capacity": "6",
        "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
        # Past the preview; holidays included so the count does not depend on the calendar
        # (tests/reservations/test_closed_days.py covers skipping them).
        "include_closed_days": "on",
        "create": "1",
    }
    response = admin_client.post(reverse("admin:reservations_slot_bulk_create"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = _only("reservations.slot.bulk_created")
    assert (event.target_type, event.target_id) == ("reservations.Venue", str(venue.pk))
    assert event.details["created"] == 4 and event.details["skipped"] == 0
    assert event.details["capacity"] == 6
    assert event.details["screening_type_ids"] == [lung.pk]
    assert event.details["start_times"] == ["09:00", "09:30"]
    assert not AuditEvent.objects.filter(action="reservations.slot.created").exists()


def test_invalid_admin_form_records_nothing(admin_client):
    slot = SlotFactory()
    response = admin_client.post(
        reverse("admin:reservations_slot_change", args=[slot.pk]), _slot_form(slot, capacity="x")
    )
    assert response.status_code == 200
    assert not AuditEvent.objects.exists()


def test_venue_add_change_delete_are_recorded(superuser_client):
    form = {"name": "北会館", "name_en": "North Hall", "address": "新座市北1-1", "phone": ""}
    superuser_client.post(reverse("admin:reservations_venue_add"), form)
    venue = Venue.objects.get(name="北会館")
    superuser_client.post(
        reverse("admin:reservations_venue_change", args=[venue.pk]), {**form, "phone": "048-1"}
    )
    superuser_client.post(reverse("admin:reservations_venue_delete", args=[venue.pk]), {"post": 1})
    assert _only("reservations.venue.created").target_id == str(venue.pk)
    assert _only("reservations.venue.changed").details == {"changed": ["phone"]}
    assert _only("reservations.venue.deleted").target_id == str(venue.pk)
    assert not Venue.objects.filter(pk=venue.pk).exists()


def test_screening_type_change_records_eligibility_before_and_after(admin_client):
    screening = SlotFactory().screening_type
    form = {
        "code": screening.code,
        "name": screening.name,
        "name_en": screening.name_en,
        "min_age": 45,
        "interval_years": 2,
        "fee": screening.fee,
        "sex": "",
        "display_order": 0,
        "is_active": "on",
    }
    response = admin_client.post(
        reverse("admin:reservations_screeningtype_change", args=[screening.pk]), form
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = _only("reservations.screening_type.changed")
    assert event.details["before"]["min_age"] == 40 and event.details["after"]["min_age"] == 45
    assert event.details["before"]["interval_years"] == 1
    assert event.details["after"]["interval_years"] == 2
    assert ScreeningType.objects.get(pk=screening.pk).min_age == 45


# --- who looked at whose data ------------------------------------------------------------------


def test_opening_a_residents_details_is_recorded_with_ids_only(admin_client, administrator):
    reservation = _booking()
    response = admin_client.get(
        reverse("admin:citizens_citizen_change", args=[reservation.citizen_id])
    )
    assert response.status_code == 200
    assert CANARY["address"] in response.content.decode()  # the page does show the data…
    event = _only("citizens.citizen.viewed")  # …and the trail says who saw it
    assert event.actor_username == "admin1"
    assert (event.target_type, event.target_id) == ("citizens.Citizen", str(reservation.citizen_id))
    assert event.details == {"reservation_id": reservation.pk}
    assert AuditEvent.objects.count() == 1


def test_opening_a_reservation_is_recorded(admin_client):
    reservation = _booking()
    response = admin_client.get(
        reverse("admin:reservations_reservation_change", args=[reservation.pk])
    )
    assert response.status_code == 200
    event = _only("reservations.reservation.viewed")
    assert event.target_id == str(reservation.pk)
    assert event.details == {"citizen_id": reservation.citizen_id}
    assert AuditEvent.objects.count() == 1


def test_refused_look_at_a_residents_details_is_recorded_as_denied(admin_client):
    reservation = _booking()
    Group.objects.get(name="administrator").permissions.remove(
        Permission.objects.get(codename="view_citizen")
    )
    response = admin_client.get(
        reverse("admin:citizens_citizen_change", args=[reservation.citizen_id])
    )
    assert response.status_code in (302, 403)
    assert CANARY["address"] not in response.content.decode()
    assert _only("citizens.citizen.viewed").outcome == "denied"


def test_missing_resident_records_nothing(admin_client):
    admin_client.get(reverse("admin:citizens_citizen_change", args=[999999]))
    assert not AuditEvent.objects.exists()


def test_searching_reservations_records_the_count_but_never_the_term(admin_client):
    _booking()
    response = admin_client.get(
        reverse("admin:reservations_reservation_changelist"), {"q": "かんさ"}
    )
    assert response.status_code == 200
    event = _only("reservations.reservation.searched")
    assert event.details == {"results": 1, "by": "furigana"}
    admin_client.get(reverse("admin:reservations_reservation_changelist"))  # no search
    assert AuditEvent.objects.count() == 1


def test_cancel_on_behalf_records_one_entry_per_reservation(admin_client):
    live = _booking()
    gone = _booking(furigana="カンサ ベツジン")
    services.reservation_cancel(reservation=gone)
    response = admin_client.post(
        reverse("admin:reservations_reservation_changelist"),
        {"action": "cancel_on_behalf", "_selected_action": [live.pk, gone.pk]},
    )
    assert response.status_code == 302
    events = AuditEvent.objects.filter(action="reservations.reservation.cancelled")
    outcomes = {e.target_id: (e.outcome, e.details) for e in events}
    assert outcomes == {
        str(live.pk): ("success", {"via": "admin"}),
        str(gone.pk): ("failed", {"via": "admin", "reason": "not_cancellable"}),
    }
    live.refresh_from_db()
    assert live.status == Reservation.Status.CANCELLED


def test_cancel_is_undone_when_its_audit_record_cannot_be_written(admin_client, settings):
    live = _booking()
    settings.AUDIT_HMAC_KEY = ""
    with pytest.raises(Exception, match="AUDIT_HMAC_KEY"):
        admin_client.post(
            reverse("admin:reservations_reservation_changelist"),
            {"action": "cancel_on_behalf", "_selected_action": [live.pk]},
        )
    live.refresh_from_db()
    assert live.status == Reservation.Status.CONFIRMED


# --- canaries ----------------------------------------------------------------------------------


def test_no_record_written_by_the_admin_hooks_holds_personal_data(admin_client, superuser_client):
    """Drive every hook with a resident whose details are canaries; search every record."""
    reservation = _booking()
    other = _booking(furigana="カンサ フタリメ")
    citizen_url = reverse("admin:citizens_citizen_change", args=[reservation.citizen_id])
    reservations = reverse("admin:reservations_reservation_changelist")
    for client in (admin_client,):
        client.get(citizen_url)
        client.get(reverse("admin:reservations_reservation_change", args=[reservation.pk]))
        client.get(reservations, {"q": "カンサ カナリア"})
        client.get(reservations, {"q": "かんさ"})
        client.post(
            reservations,
            {"action": "cancel_on_behalf", "_selected_action": [reservation.pk, other.pk]},
        )
        client.post(reservations, {"action": "cancel_on_behalf", "_selected_action": [other.pk]})
    slot = reservation.items.get().slot
    superuser_client.post(
        reverse("admin:reservations_slot_change", args=[slot.pk]), _slot_form(slot, capacity=9)
    )
    assert AuditEvent.objects.count() >= 8

    for event in AuditEvent.objects.all():
        text = json.dumps(
            {f.name: str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields},
            ensure_ascii=False,
        ) + json.dumps(event.details, ensure_ascii=False)
        for canary in CANARY_STRINGS:
            assert canary not in text, (event.action, canary)

"""audit.record(): what one call stores, what it refuses, and that it never fails silently."""

from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction
from django.test import RequestFactory, override_settings

import audit
from audit import chain
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import AuditDetailsError, username_fingerprint
from tests.factories import SlotFactory
from tests.helpers import make_staff

pytestmark = pytest.mark.django_db


def _request(user=None, **meta):
    request = RequestFactory().get("/staff/somewhere", **meta)
    request.user = user or AnonymousUser()
    return request


def test_record_stores_who_what_when_where_and_outcome():
    user = make_staff("tanaka")
    slot = SlotFactory()
    request = _request(user, REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="Firefox/140")

    event = audit.record(
        action="reservations.slot.changed",
        request=request,
        target=slot,
        outcome="denied",
        details={"capacity": 12},
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_id == user.pk and stored.actor_username == "tanaka"
    assert stored.action == "reservations.slot.changed"
    assert (stored.target_type, stored.target_id) == ("reservations.Slot", str(slot.pk))
    assert stored.outcome == "denied"
    assert stored.ip == "192.0.2.10"
    assert stored.user_agent == "Firefox/140"
    assert stored.details == {"capacity": 12}
    assert stored.at.tzinfo is not None
    assert abs((datetime.now(UTC) - stored.at).total_seconds()) < 60
    assert stored.mac == chain.compute_mac(stored, chain.current_key())


def test_each_record_links_to_the_one_before():
    first = audit.record(action="test.first")
    second = audit.record(action="test.second")
    assert first.prev_mac == ""
    assert second.prev_mac == first.mac
    assert first.mac != second.mac and len(second.mac) == 64


def test_actor_is_nobody_for_an_anonymous_request_and_for_the_system():
    anonymous = audit.record(action="staff.login.failed", request=_request(), outcome="failed")
    system = audit.record(action="reservations.purged", details={"rows": 3})
    for event in (anonymous, system):
        assert event.actor_id is None and event.actor_username == ""
    assert system.ip == "" and system.user_agent == ""


def test_explicit_actor_wins_over_the_request_user():
    logged_in, other = make_staff("a"), make_staff("b")
    event = audit.record(action="staff.user.changed", actor=other, request=_request(logged_in))
    assert event.actor_username == "b"


def test_target_may_be_named_without_an_instance():
    event = audit.record(action="exports.file.deleted", target_type="exports.Batch", target_id=7)
    assert (event.target_type, event.target_id) == ("exports.Batch", "7")


def test_deleted_instance_is_refused_as_target():
    slot = SlotFactory()
    slot.pk = None
    with pytest.raises(ValueError, match="record before deleting"):
        audit.record(action="reservations.slot.deleted", target=slot)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "action", ["", "Login", "staff", "staff..login", "staff.login!", "a" * 101]
)
def test_malformed_action_names_are_refused(action):
    with pytest.raises(ValueError):
        audit.record(action=action)


def test_unknown_outcome_is_refused():
    with pytest.raises(ValueError):
        audit.record(action="test.thing", outcome="ok")


def test_user_agent_is_truncated_and_stripped_of_control_characters():
    event = audit.record(
        action="test.thing", request=_request(HTTP_USER_AGENT="A\x00B\nC" + "x" * 1000)
    )
    assert event.user_agent.startswith("ABC")
    assert len(event.user_agent) == 300


def test_details_dates_and_sets_become_plain_json():
    event = audit.record(
        action="reservations.purged",
        details={"until": date(2026, 3, 31), "ids": {3, 1, 2}, "nested": {"ok": True}},
    )
    assert AuditEvent.objects.get(pk=event.pk).details == {
        "until": "2026-03-31",
        "ids": [1, 2, 3],
        "nested": {"ok": True},
    }


@pytest.mark.parametrize(
    "details",
    [
        {"name": "山田 花子"},
        {"email": "x"},
        {"birth_date": "1970-05-01"},
        {"citizen_phone": "048-481-0000"},
        {"postal_code": "3520001"},
        {"username_attempted": "yamada"},
        {"note": "山田 花子"},  # Japanese free text: could be anything, refused
        {"contact": "hanako@example.jp"},
        {"items": [{"address": "x"}]},
        {"ratio": 0.5},
        {"Bad-Key": 1},
        {"text": "x" * 201},
        {"when": object()},
    ],
)
def test_details_that_are_not_ids_and_counts_are_refused(details):
    with pytest.raises(AuditDetailsError):
        audit.record(action="test.thing", details=details)
    assert not AuditEvent.objects.exists()


def test_username_fingerprint_hides_the_text_but_matches_repeats():
    first = username_fingerprint("Yamada Hanako ")
    assert first == username_fingerprint("yamada hanako")
    assert first != username_fingerprint("suzuki")
    assert "yamada" not in first.lower() and len(first) == 16
    event = audit.record(
        action="staff.login.failed", outcome="failed", details={"username_fingerprint": first}
    )
    assert event.details == {"username_fingerprint": first}


# --- failures raise: callers refuse the action when the record cannot be written -------------


@override_settings(AUDIT_HMAC_KEY="")
def test_missing_key_raises_instead_of_writing_an_unsigned_record():
    with pytest.raises(ImproperlyConfigured):
        audit.record(action="exports.batch.downloaded")
    assert not AuditEvent.objects.exists()


def test_database_failure_raises_and_leaves_the_callers_transaction_usable():
    slot = SlotFactory()
    with transaction.atomic():
        with (
            mock.patch.object(AuditEvent, "save_base", side_effect=DatabaseError("disk full")),
            pytest.raises(DatabaseError),
        ):
            audit.record(action="exports.batch.downloaded", target=slot)
        # The failed append rolled back to its savepoint only.
        audit.record(action="exports.batch.refused", target=slot, outcome="failed")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["exports.batch.refused"]


def test_record_inside_a_transaction_rolls_back_with_it():
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        audit.record(action="reservations.reservation.cancelled")
        raise Boom
    assert not AuditEvent.objects.exists()
    # The chain continues from the last committed record, not from the rolled-back one.
    first = audit.record(action="test.after")
    assert first.prev_mac == ""


def test_a_record_the_database_would_alter_is_refused_before_commit():
    real = chain.compute_mac
    calls = []

    def drifting(event, key):
        calls.append(1)
        # The second call is the re-read check: pretend the stored row came back different.
        return real(event, key) if len(calls) == 1 else "0" * 64

    with mock.patch.object(chain, "compute_mac", drifting), pytest.raises(RuntimeError):
        audit.record(action="test.thing")
    assert not AuditEvent.objects.exists()


# --- the recorded client address (core.client.client_ip; "" when unknown) -----------------


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "203.0.113.5"),
        (1, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "198.51.100.1"),
        # A client-supplied entry on the left is not trusted.
        (
            1,
            {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.1"},
            "198.51.100.1",
        ),
        (
            2,
            {"REMOTE_ADDR": "10.0.0.3", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.1, 10.0.0.2"},
            "198.51.100.1",
        ),
        # Fewer entries than proxies, or garbage: fall back to the socket address.
        (2, {"REMOTE_ADDR": "10.0.0.3", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "10.0.0.3"),
        (1, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "not-an-ip"}, "10.0.0.2"),
        (0, {"REMOTE_ADDR": "2001:DB8:0:0::1"}, "2001:db8::1"),
        (0, {"REMOTE_ADDR": "garbage"}, ""),
    ],
)
def test_client_ip_trusts_forwarded_for_only_through_configured_proxies(proxies, meta, expected):
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert AuditContext.from_request(_request(**meta)).ip == expected

"""`manage.py verify_audit_chain`: OK with the count, or the first broken record and why."""

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection
from django.test import override_settings

import audit
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

KEY = "k" * 40
NEW_KEY = "n" * 40


def _trail(n=5):
    return [audit.record(action="test.step", details={"n": i}) for i in range(n)]


def _verify(*args):
    from io import StringIO

    out = StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


def _sql(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _drop_trigger():
    """What a database user who owns the table could do: remove the guard, then edit."""
    _sql("DROP TRIGGER audit_auditevent_append_only ON audit_auditevent", [])


def _tamper(sql, params):
    """Edit the trail as the table's owner could: on PostgreSQL, drop the guard first."""
    if connection.vendor == "postgresql":
        _drop_trigger()
    _sql(sql, params)


def test_intact_chain_prints_ok_with_the_count_and_last_mac():
    events = _trail(5)
    output = _verify()
    assert output.startswith("OK: 5 audit records verified")
    assert events[-1].mac in output


def test_empty_trail_is_ok():
    assert _verify().startswith("OK: 0 audit records")


def test_details_edited_in_sqlite_are_detected_at_that_record():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; PostgreSQL has its own test below")
    events = _trail(5)
    _sql("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 99}', events[2].pk])
    with pytest.raises(CommandError, match=rf"id={events[2].pk} .*altered"):
        _verify()


@pytest.mark.postgres
def test_details_edited_on_postgres_after_dropping_the_trigger_are_detected_at_that_record():
    events = _trail(5)
    _drop_trigger()
    _sql("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 99}', events[3].pk])
    with pytest.raises(CommandError, match=rf"BROKEN at audit record id={events[3].pk} .*altered"):
        _verify()


@pytest.mark.parametrize("column", ["actor_username", "outcome", "ip", "action", "at"])
def test_any_edited_column_breaks_the_mac(column):
    events = _trail(3)
    if connection.vendor == "postgresql":
        _drop_trigger()
    value = "2001-01-01 00:00:00+00:00" if column == "at" else "forged"
    _sql(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, events[1].pk])
    with pytest.raises(CommandError, match=rf"id={events[1].pk} "):
        _verify()


def test_a_removed_record_is_detected_at_the_next_one():
    events = _trail(5)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError, match=rf"id={events[3].pk} .*does not follow"):
        _verify()


def test_removing_the_first_records_is_detected():
    events = _trail(3)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    with pytest.raises(CommandError, match=rf"id={events[1].pk} .*first record"):
        _verify()


def test_records_cut_from_the_end_are_detected_with_an_expected_mac():
    events = _trail(4)
    noted = events[-1].mac  # printed by an earlier run, kept outside the database
    assert _verify("--expect-mac", noted).startswith("OK: 4")
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    assert _verify().startswith("OK: 3")  # the chain alone cannot tell…
    with pytest.raises(CommandError, match="expected MAC"):
        _verify("--expect-mac", noted)  # …the noted MAC can


def test_a_record_forged_without_the_key_is_detected():
    events = _trail(2)
    with override_settings(AUDIT_HMAC_KEY="an attacker's guess at the key, 40 chars!"):
        audit.record(action="exports.batch.deleted")
    with pytest.raises(CommandError, match="not configured"):
        _verify()
    assert AuditEvent.objects.count() == len(events) + 1


def test_exit_status_is_non_zero_on_a_break(capsys):
    events = _trail(2)
    _tamper("UPDATE audit_auditevent SET outcome = 'failed' WHERE id = %s", [events[0].pk])
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "verify_audit_chain"]).execute()
    assert exit_info.value.code != 0
    assert f"id={events[0].pk}" in capsys.readouterr().err


def test_exit_status_is_zero_when_intact(capsys):
    _trail(2)
    ManagementUtility(["manage.py", "verify_audit_chain"]).execute()
    assert capsys.readouterr().out.startswith("OK: 2")


def test_key_rotation_keeps_old_records_verifiable_with_the_old_key(tmp_path):
    with override_settings(AUDIT_HMAC_KEY=KEY):
        _trail(2)
    with override_settings(AUDIT_HMAC_KEY=NEW_KEY):
        _trail(2)
        with pytest.raises(CommandError, match="--old-keys-file"):
            _verify()
        keys = tmp_path / "old-keys"
        keys.write_text(f"{KEY}\n")
        assert _verify("--old-keys-file", str(keys)).startswith("OK: 4")


def test_unreadable_old_keys_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _verify("--old-keys-file", str(tmp_path / "missing"))


@override_settings(AUDIT_HMAC_KEY="")
def test_missing_key_is_a_clear_error():
    with pytest.raises(CommandError, match="AUDIT_HMAC_KEY is not set"):
        _verify()

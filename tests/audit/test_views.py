"""The administrators' audit page at /staff/audit/: filters, pages, CSV export, refusals."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

import audit
from audit.models import AuditEvent
from tests.helpers import login_staff, make_staff

pytestmark = pytest.mark.django_db

LIST = "/staff/audit/"
EXPORT = "/staff/audit/export.csv"


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_urls_are_where_the_brief_says():
    assert reverse("audit:list") == LIST
    assert reverse("audit:export") == EXPORT


def test_anonymous_visitor_is_sent_to_the_login(client):
    for url in (LIST, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert not AuditEvent.objects.exists()


def test_password_without_second_factor_is_sent_to_the_login(client):
    login_staff(client, make_staff("half", roles=["administrator"]), verified=False)
    assert client.get(LIST).status_code == 302


def test_health_centre_staff_are_refused(client):
    login_staff(client, make_staff("desk", roles=["health_centre"]))
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_post_is_not_allowed(admin_client):
    assert admin_client.post(LIST).status_code == 405
    assert admin_client.post(EXPORT).status_code == 405


def test_administrator_sees_records_newest_first_in_japanese(admin_client):
    audit.record(action="exports.batch.created", details={"rows": 3})
    audit.record(action="exports.batch.downloaded", outcome="denied")
    response = admin_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index("<table") :]
    assert table.index("exports.batch.downloaded") < table.index("exports.batch.created")
    assert "監査記録" in page  # Japanese UI
    assert "no-store" in response["Cache-Control"]


def test_each_action_is_shown_by_its_japanese_label(admin_client):
    for action in (
        "reservations.reservation.booked_by_phone",
        "reservations.reservation.moved",
        "staff.session.idle_timeout",
    ):
        audit.record(action=action)
    page = admin_client.get(LIST).content.decode()
    table = page[page.index("<table") :]
    assert "電話窓口で予約" in table
    assert "予約の日時を変更" in table
    assert "操作のない時間が上限を超えた" in table


def test_details_are_labelled_fields_in_japanese_not_json(admin_client):
    audit.record(
        action="staff.second_factor.failed",
        outcome="failed",
        details={"stage": "verify", "method": "backup_code", "throttled": True, "replayed": False},
    )
    audit.record(
        action="reservations.slot.changed",
        target_type="reservations.Slot",
        target_id="42",
        details={
            "changed": ["capacity"],
            "before": {"capacity": 20, "opens_at": "2026-04-01T00:00:00Z"},
            "after": {"capacity": 18},
        },
    )
    audit.record(
        action="reservations.slot.bulk_created",
        details={"weekdays": [0, 2], "start_times": ["09:00", "09:30"], "venue_id": 3},
    )
    page = admin_client.get(LIST).content.decode()
    table = page[page.index("<table") :]
    assert "{&quot;" not in table and "&quot;:" not in table  # no raw JSON
    assert "<dt>手順</dt><dd>二要素認証" in table
    assert "<dt>方法</dt><dd>バックアップコード" in table
    assert "<dt>連続して失敗しすぎ</dt><dd>はい" in table
    assert "<dt>変更前</dt>" in table and "<dt>定員</dt><dd>20</dd>" in table
    assert "<dd>2026-04-01 09:00</dd>" in table  # UTC as stored, Japan time as read
    assert "<dt>曜日</dt><dd>月, 水</dd>" in table
    assert "<dt>会場ID</dt><dd>3</dd>" in table
    assert "#42" in table and "reservations.Slot" not in table


def test_the_action_filter_is_a_select_of_every_labelled_action(admin_client):
    from audit.actions import GROUPS, LABELS

    response = admin_client.get(LIST)
    page = response.content.decode()
    assert '<select name="action"' in page
    for code in [*LABELS, *GROUPS]:
        assert f'<option value="{code}"' in page, code
    assert "電話窓口で予約" in page  # options read as labels


def test_choosing_one_action_shows_that_action_and_a_group_shows_its_members(admin_client):
    audit.record(action="staff.login.failed", outcome="failed")
    audit.record(action="staff.login.succeeded")
    audit.record(action="staff.logout")

    def shown(action):
        response = admin_client.get(LIST, {"action": action})
        assert response.status_code == 200
        return sorted(e.action for e in response.context["page"].object_list)

    assert shown("staff.login.failed") == ["staff.login.failed"]
    assert shown("staff.login.") == ["staff.login.failed", "staff.login.succeeded"]
    assert shown("staff.log") == ["staff.login.failed", "staff.login.succeeded", "staff.logout"]


def test_an_action_not_in_the_list_is_refused_in_words(admin_client):
    response = admin_client.get(LIST, {"action": "no.such.action"})
    assert response.status_code == 400
    assert "一覧から選んでください" in response.content.decode()


def test_filters_by_user_action_outcome_and_date(admin_client, administrator):
    other = make_staff("other", roles=["administrator"])
    audit.record(action="exports.batch.downloaded", actor=other)
    audit.record(action="exports.batch.downloaded", actor=administrator, outcome="denied")
    audit.record(action="reservations.slot.changed", actor=administrator)
    audit.record(action="staff.login.failed", outcome="failed")

    def shown(**params):
        response = admin_client.get(LIST, params)
        assert response.status_code == 200
        return [e.action + ":" + e.actor_username for e in response.context["page"].object_list]

    assert shown(user=other.pk) == ["exports.batch.downloaded:other"]
    assert shown(user="none") == ["staff.login.failed:"]
    assert shown(action="exports.") == [
        "exports.batch.downloaded:admin1",
        "exports.batch.downloaded:other",
    ]
    assert shown(outcome="denied") == ["exports.batch.downloaded:admin1"]
    today = timezone.localdate()
    assert len(shown(date_from=today.isoformat(), date_to=today.isoformat())) == 4
    assert shown(date_to=(today - timedelta(days=1)).isoformat()) == []
    assert shown(date_from=(today + timedelta(days=1)).isoformat()) == []


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-13-01"},
        {"date_from": "2026-05-02", "date_to": "2026-05-01"},
        {"outcome": "maybe"},
        {"user": "999999"},
        {"action": "DROP TABLE"},
    ],
)
def test_bad_filters_get_a_clear_message_and_400(admin_client, params):
    audit.record(action="exports.batch.created")
    response = admin_client.get(LIST, params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert admin_client.get(EXPORT, params).status_code == 400
    assert AuditEvent.objects.count() == 1  # a refused export is not an export


def test_pages_hold_fifty_records_and_survive_a_bad_page_number(admin_client):
    for i in range(55):
        audit.record(action="test.step", details={"n": i})
    first = admin_client.get(LIST)
    assert len(first.context["page"].object_list) == 50
    second = admin_client.get(LIST, {"page": 2, "action": "test."})
    assert len(second.context["page"].object_list) == 5
    assert "action=test." in second.content.decode()
    assert admin_client.get(LIST, {"page": "abc"}).status_code == 200
    assert admin_client.get(LIST, {"page": "9999"}).status_code == 200


def test_export_is_recorded_before_the_file_and_holds_the_filtered_rows(admin_client):
    audit.record(action="exports.batch.created", details={"rows": 3})
    audit.record(action="staff.login.failed", outcome="failed")
    response = admin_client.get(EXPORT, {"action": "exports."})
    # The record exists before a single byte of the file has been produced.
    export = AuditEvent.objects.get(action="audit.events.exported")
    assert export.actor_username == "admin1"
    assert export.details == {
        "rows": 1,
        "filter": {
            "user": None,
            "action": "exports.",
            "outcome": None,
            "date_from": None,
            "date_to": None,
        },
    }
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = _csv(response)
    assert rows[0][:2] == ["ID", "日時（UTC）"] and rows[0][5] == "操作"  # Japanese header
    assert len(rows) == 2
    assert rows[1][5] == "exports.batch.created"
    assert rows[1][11] == '{"rows": 3}'


def test_export_neutralises_spreadsheet_formulas(admin_client):
    audit.record(
        action="test.thing",
        request=RequestFactory().get("/", HTTP_USER_AGENT='=HYPERLINK("http://evil")'),
        target_type="-2+3",
        target_id="@SUM(A1)",
    )
    rows = _csv(admin_client.get(EXPORT, {"action": "test."}))
    record = rows[1]
    assert record[10] == '\'=HYPERLINK("http://evil")'
    assert record[7] == "'-2+3"
    assert record[8] == "'@SUM(A1)"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_export_uses_crlf_line_ends_and_utc_times(admin_client):
    event = audit.record(action="test.thing")
    response = admin_client.get(EXPORT, {"action": "test."})
    body = b"".join(response.streaming_content)
    assert b"\r\n" in body and body.count(b"\n") == body.count(b"\r\n")
    row = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1]
    assert row[1].endswith("Z") and row[1].startswith(str(event.at.astimezone().year))


@pytest.mark.parametrize(
    "params", [{"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}, {"date_from": "1899-12-31"}]
)
def test_dates_at_the_ends_of_the_calendar_filter_nothing_out(admin_client, params):
    audit.record(action="exports.batch.created")
    params = {**params, "action": "exports."}
    response = admin_client.get(LIST, params)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 1
    export = admin_client.get(EXPORT, params)
    assert export.status_code == 200
    assert len(_csv(export)) == 2  # header and the one record


def test_export_holds_exactly_the_rows_its_record_counts(admin_client):
    """Without a filter the export's own record (and anything written while the file
    streams) matches too: the file stops at the last record that existed when counted."""
    audit.record(action="exports.batch.created")
    audit.record(action="staff.login.failed", outcome="failed")
    response = admin_client.get(EXPORT)
    audit.record(action="staff.logout")  # written while the file is being sent

    rows = _csv(response)[1:]
    export = AuditEvent.objects.get(action="audit.events.exported")
    assert export.details["rows"] == len(rows) == 2
    assert [row[5] for row in rows] == ["exports.batch.created", "staff.login.failed"]

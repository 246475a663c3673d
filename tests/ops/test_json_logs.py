"""LOG_FORMAT=json: one JSON object per line, with request id, path without query, status and
duration, and no personal data (the canary journey of tests/reservations/test_views.py,
read through the JSON formatter)."""

import io
import json
import logging

import pytest

from ops.logformat import KenshinJsonFormatter, logging_config
from ops.requestlog import RequestIdFilter
from reservations.models import Reservation
from tests.helpers import run_python
from tests.reservations.test_views import Scene, book, hidden, submit_details

pytestmark = pytest.mark.django_db

CANARIES = (
    "山田",
    "花子",
    "ヤマダ",
    "ハナコ",
    "やまだ",
    "野火止",
    "048-481-0000",
    "hanako@example.jp",
    "1960",
    "3520001",
    "352-0001",
)


@pytest.fixture
def json_log():
    """Every record of the test, formatted as settings.LOGGING does with LOG_FORMAT=json."""
    config = logging_config(log_format="json", level="DEBUG")["formatters"]["json"]
    options = {k: v for k, v in config.items() if k != "()"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KenshinJsonFormatter(**options))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def _lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_resident_journey_logs_json_lines_without_personal_data(client, json_log):
    scene = Scene()
    submit_details(client, scene.lung_slot, name="")  # an error page
    done = book(client, scene.lung_slot, extras=[scene.stomach_slot])
    reservation = Reservation.objects.get()
    lookup = {
        "number": reservation.number,
        "birth_date_era": "S",
        "birth_date_year": "35",
        "birth_date_month": "5",
        "birth_date_day": "1",
    }
    client.post("/lookup/", {**lookup, "birth_date_era": "AD", "birth_date_year": "1961"})
    found = client.post("/lookup/", lookup)
    client.post("/lookup/cancel/", {"token": hidden(found, "token"), "confirm": "yes"})
    client.get("/screenings/lung/?name=山田花子&phone=048-481-0000")  # input in a query
    assert done.status_code == 200

    text = json_log.getvalue()
    records = _lines(json_log)  # every line is one JSON object
    assert len(records) == len(text.splitlines()) > 5
    for secret in (*CANARIES, reservation.number):
        assert secret not in text, secret
    requests = [r for r in records if r["logger"] == "kenshin.request"]
    assert {"/book/confirm/", "/lookup/", "/lookup/cancel/"} <= {r["path"] for r in requests}
    assert all("?" not in r["path"] for r in requests)
    for record in requests:
        assert set(record) == {
            "timestamp",
            "level",
            "logger",
            "message",
            "request_id",
            "method",
            "path",
            "status",
            "duration_ms",
        }
        assert len(record["request_id"]) == 32 and record["duration_ms"] >= 0
    assert {r["status"] for r in requests} >= {200, 303}
    # A service's line carries the id of the request that made it.
    created = next(r for r in records if r["message"].startswith("reservation.created"))
    confirm = next(r for r in requests if r["path"] == "/book/confirm/")
    assert created["request_id"] == confirm["request_id"]


def test_the_response_carries_the_request_id_and_a_sane_incoming_one_is_kept(client, json_log):
    response = client.get("/", HTTP_X_REQUEST_ID="proxy-id-1234abcd")
    assert response["X-Request-ID"] == "proxy-id-1234abcd"
    odd = client.get("/", HTTP_X_REQUEST_ID="山田 <script>")
    assert odd["X-Request-ID"] != "山田 <script>" and len(odd["X-Request-ID"]) == 32
    assert "山田" not in json_log.getvalue()


def test_a_token_in_the_path_is_masked(client, json_log):
    client.get("/book/done/secret-token-value.abc/")
    requests = [r for r in _lines(json_log) if r["logger"] == "kenshin.request"]
    assert requests[-1]["path"] == "/book/done/[token]/"
    assert "secret-token-value" not in json_log.getvalue()


def test_fields_outside_the_allow_list_never_reach_a_line(json_log):
    logging.getLogger("ops.test").warning(
        "something", extra={"request": "<WSGIRequest: GET '/lookup/?name=ヤマダ'>", "status": 1}
    )
    (record,) = _lines(json_log)
    assert "request" not in record and "ヤマダ" not in json_log.getvalue()
    assert record["status"] == 1 and record["level"] == "WARNING"


def test_log_format_json_is_what_settings_configure_and_a_bad_value_is_refused():
    import os

    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = (
        "import django, logging; django.setup();"
        "logging.getLogger('kenshin.check').warning('hello %s', 42)"
    )
    result = run_python(["-c", code], env=env)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello 42" and line["logger"] == "kenshin.check"
    bad = run_python(["-c", "import django; django.setup()"], env={**env, "LOG_FORMAT": "xml"})
    assert bad.returncode != 0 and "LOG_FORMAT" in bad.stderr

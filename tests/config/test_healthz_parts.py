"""/healthz names each part; only the database decides the status code."""

import socket
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import override_settings

from config.settings import cache_config

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cache_down():
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CACHES={"default": cache_config(url)}):
        yield


def test_healthz_reports_the_cache_ok(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_stays_200_with_the_cache_down_and_says_so(client, cache_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "down"}


def test_healthz_is_503_when_the_database_is_down_even_with_the_cache_down(client, cache_down):
    with mock.patch("config.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable", "cache": "down"}


def test_healthz_answers_head(client):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""

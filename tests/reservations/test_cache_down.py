"""Without the cache (Redis down, or accepting but never answering) residents' pages still
answer, fast, uncached; the look-up, whose guessing limit needs the shared counter, refuses
with 503 and the health centre's phone. Real sockets, no mocks."""

import socket
import threading
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.test import override_settings

from config.settings import cache_config
from reservations import services
from tests.reservations.test_views import Scene
from tests.reservations.test_views_lookup import lookup, person

pytestmark = pytest.mark.django_db

# Loose: the timeouts are 0.25 s each; a stall would be the kernel's (minutes) or redis-py's
# retries. Behaviour is what is asserted, the bound only catches a stall.
FAST = 3.0


def closed_port() -> int:
    """A loopback port nobody listens on: bound, then released without listen()."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The silent server hangs up after this long, so that a client without timeouts shows up
# as a slow page (a failed assertion) instead of a test that never ends.
HANG_UP = 2 * FAST


@contextmanager
def silent_server():
    """A server on loopback that accepts connections and never replies."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    accepted = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append((server.accept()[0], time.monotonic()))
            except OSError:
                pass
            for conn, since in accepted:
                if time.monotonic() - since > HANG_UP:
                    conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn, _since in accepted:
            conn.close()
        server.close()


@contextmanager
def redis_at(port: int):
    """The settings' own CACHE_URL handling, pointed at 127.0.0.1:`port`."""
    with override_settings(CACHES={"default": cache_config(f"redis://127.0.0.1:{port}/0")}):
        yield


@contextmanager
def cache_down():
    with redis_at(closed_port()):
        yield


@contextmanager
def cache_silent():
    with silent_server() as port, redis_at(port):
        yield


@pytest.fixture(params=["down", "silent"])
def no_cache(request):
    return {"down": cache_down, "silent": cache_silent}[request.param]


@pytest.fixture
def scene():
    return Scene()


def timed_get(client, path):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_a_redis_url_gets_short_socket_timeouts():
    options = cache_config("redis://127.0.0.1:6379/0")["OPTIONS"]
    assert 0 < options["socket_connect_timeout"] <= 0.5
    assert 0 < options["socket_timeout"] <= 0.5


def test_a_timeout_in_the_url_wins():
    options = cache_config("redis://127.0.0.1:6379/0?socket_timeout=2")["OPTIONS"]
    assert options["socket_timeout"] == 2


def test_top_page_answers_without_the_cache(client, scene, no_cache):
    assert settings.PUBLIC_CACHE_SECONDS > 0  # the cache is used at all
    with no_cache():
        response, seconds = timed_get(client, "/en/")
    assert response.status_code == 200
    assert "Lung" in response.content.decode()
    assert seconds < FAST


def test_availability_answers_without_the_cache(client, scene, no_cache):
    month = f"{scene.day.year}-{scene.day.month:02d}"
    with no_cache():
        response, seconds = timed_get(client, f"/en/screenings/lung/?month={month}")
    assert response.status_code == 200
    assert f'href="/en/book/{scene.lung_slot.pk}/"' in response.content.decode()
    assert seconds < FAST


def test_lookup_form_still_shows_without_the_cache(client, no_cache):
    with no_cache():
        assert client.get("/en/lookup/").status_code == 200


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_lookup_refuses_with_503_and_the_phone_without_the_cache(client, scene, no_cache, prefix):
    booking = services.reservation_create(slots=[scene.lung_hall], details=person()).reservation
    with no_cache():
        started = time.monotonic()
        response = lookup(client, booking.number, prefix=prefix)
        seconds = time.monotonic() - started
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    text = response.content.decode()
    assert settings.HEALTH_CENTRE_PHONE in text
    assert booking.number not in text  # a refusal, not the booking
    if prefix:
        assert "Look-ups are not available at the moment" in text
    else:
        assert "ただいま予約の確認ができません" in text
    assert seconds < FAST

"""Cacheability: the flood pages can be served by a CDN; the form pages never are.

The top and availability pages must set no cookie, must not vary on Cookie (which is
what touching the session does) and must say "public, max-age=PUBLIC_CACHE_SECONDS".
"""

import pytest
from django.utils.cache import get_max_age

from tests.helpers import login_staff, make_staff
from tests.reservations.test_views import Scene

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/en/", "/screenings/lung/", "/en/screenings/lung/", "/screenings/lung/?month="]


@pytest.fixture
def scene():
    return Scene()


def vary(response):
    return {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}


@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_set_no_cookie_and_are_publicly_cacheable(client, scene, url, settings):
    settings.PUBLIC_CACHE_SECONDS = 7
    response = client.get(url)
    assert response.status_code == 200
    assert not response.cookies, response.cookies
    assert "set-cookie" not in {k.lower() for k in response.headers}
    assert "cookie" not in vary(response)
    cache_control = response["Cache-Control"]
    assert "public" in cache_control
    assert get_max_age(response) == 7
    assert "private" not in cache_control and "no-store" not in cache_control


@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_stay_cacheable_for_a_logged_in_staff_member(client, scene, url):
    # A staff member with a session cookie must not make the page vary on it.
    login_staff(client, make_staff())
    response = client.get(url)
    assert response.status_code == 200
    assert "cookie" not in vary(response)
    assert not response.cookies


@pytest.mark.parametrize(
    "cookie",
    [("csrftoken", "x"), ("csrftoken", ""), ("sessionid", "short"), ("sessionid", "")],
)
@pytest.mark.parametrize("url", [*PUBLIC, "/screenings/lung/?venue=x", "/en/screenings/nope/"])
def test_public_pages_do_not_answer_malformed_cookies_with_cookies(client, scene, url, cookie):
    # Django mends a malformed csrftoken cookie by sending a new one, and deletes a
    # malformed session cookie; on a page a CDN shares, neither may happen.
    client.cookies[cookie[0]] = cookie[1]
    response = client.get(url)
    assert response.status_code in (200, 400, 404)
    assert not response.cookies, response.cookies
    assert "cookie" not in vary(response)
    assert "public" in response["Cache-Control"]


def test_unknown_screening_is_a_cacheable_404_in_the_pages_language(client, scene):
    response = client.get("/en/screenings/nope/")
    assert response.status_code == 404
    assert "public" in response["Cache-Control"]
    assert '<html lang="en">' in response.content.decode()


def test_form_page_still_mends_a_malformed_csrf_cookie(client, scene):
    client.cookies["csrftoken"] = "x"
    response = client.get("/lookup/")
    assert len(response.cookies["csrftoken"].value) == 32


def test_head_on_public_pages_is_cacheable_too(client, scene):
    response = client.head("/screenings/lung/")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]


def test_bad_filter_answer_is_cacheable_and_cookie_free(client, scene):
    response = client.get("/screenings/lung/?month=bad")
    assert response.status_code == 400
    assert not response.cookies
    assert "cookie" not in vary(response)


@pytest.mark.parametrize("url_name", ["book", "lookup"])
def test_form_pages_carry_the_csrf_cookie_and_are_never_cached(client, scene, url_name):
    url = f"/book/{scene.lung_slot.pk}/" if url_name == "book" else "/lookup/"
    response = client.get(url)
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert "sessionid" not in response.cookies
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


def test_no_session_is_ever_created_for_a_resident(client, scene):
    from django.contrib.sessions.models import Session

    client.get("/")
    client.get(f"/book/{scene.lung_slot.pk}/")
    client.get("/lookup/")
    assert Session.objects.count() == 0
    assert "sessionid" not in client.cookies


def test_public_page_cache_time_follows_the_setting(client, scene, settings):
    settings.PUBLIC_CACHE_SECONDS = 30
    assert get_max_age(client.get("/")) == 30

"""The booking's first page from the shared cache: one render per slot, kind and language
per period, each copy with its own form token and CSRF token, none of them in the cache."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from reservations import page_cache
from reservations.first_step_cache import CSRF_MARK, FORM_TOKEN_MARK
from reservations.models import Reservation, Slot
from tests.reservations.test_views import PERSON, Scene, hidden

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return Scene()


def rendered(response):
    return bool(response.templates)  # the test client lists templates only when rendered


def test_the_second_request_is_served_from_the_cache_with_its_own_tokens(scene):
    first, second = Client(), Client()
    a = first.get(f"/book/{scene.lung_slot.pk}/")
    b = second.get(f"/book/{scene.lung_slot.pk}/")
    assert a.status_code == b.status_code == 200
    assert rendered(a) and not rendered(b)
    assert hidden(a, "form_token") != hidden(b, "form_token")
    assert hidden(a, "csrfmiddlewaretoken") != hidden(b, "csrfmiddlewaretoken")
    assert "csrftoken" in b.cookies  # set as the render would have
    assert FORM_TOKEN_MARK not in b.content.decode() and CSRF_MARK not in b.content.decode()


def test_a_copy_books_with_csrf_checks_on(scene):
    Client().get(f"/book/{scene.lung_slot.pk}/")  # renders and stores
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/book/{scene.lung_slot.pk}/")
    assert not rendered(page)
    response = browser.post(
        f"/book/{scene.lung_slot.pk}/",
        {
            **PERSON,
            "form_token": hidden(page, "form_token"),
            "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"),
        },
    )
    assert response.status_code == 200
    confirm = browser.post(
        "/book/confirm/",
        {
            "state": hidden(response, "state"),
            "csrfmiddlewaretoken": hidden(response, "csrfmiddlewaretoken"),
        },
    )
    assert confirm.status_code == 303
    assert Reservation.objects.count() == 1


def test_no_entry_holds_a_token_or_anything_personal(client, scene):
    page = client.get(f"/book/{scene.lung_slot.pk}/")
    entries = [
        value
        for key, value in cache._cache.items()  # locmem: the stored values, pickled
        if "firststep" in key
    ]
    assert entries
    for stored in entries:
        text = stored.decode("latin-1") if isinstance(stored, bytes) else str(stored)
        assert hidden(page, "form_token") not in text
        assert hidden(page, "csrfmiddlewaretoken") not in text


def test_each_language_and_kind_has_its_own_copy(scene):
    ja = Client().get(f"/book/{scene.lung_slot.pk}/")
    en = Client().get(f"/en/book/{scene.lung_slot.pk}/")
    assert rendered(ja) and rendered(en)
    assert 'lang="en"' in en.content.decode() and 'lang="ja"' in ja.content.decode()
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=scene.lung_slot.capacity)
    full = Client().get(f"/book/{scene.lung_slot.pk}/")
    assert "reservations/book_full.html" in [t.name for t in full.templates]
    again = Client().get(f"/book/{scene.lung_slot.pk}/")
    assert not rendered(again) and "form_token" not in again.content.decode()


def test_an_admin_change_is_shown_at_once(scene):
    Client().get(f"/book/{scene.lung_slot.pk}/")
    page_cache._bump_generation()  # what public_pages_changed does after commit
    assert rendered(Client().get(f"/book/{scene.lung_slot.pk}/"))


def test_a_copy_is_kept_for_its_period_only(scene, settings, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(page_cache, "clock", lambda: now[0])
    monkeypatch.setattr("reservations.first_step_cache.clock", lambda: now[0])
    Client().get(f"/book/{scene.lung_slot.pk}/")
    now[0] += settings.PUBLIC_CACHE_SECONDS - 0.1
    assert not rendered(Client().get(f"/book/{scene.lung_slot.pk}/"))
    now[0] += 0.2
    assert rendered(Client().get(f"/book/{scene.lung_slot.pk}/"))


def test_with_the_cache_down_the_page_still_renders(scene):
    from tests.reservations.test_cache_down import cache_down

    with cache_down():
        response = Client().get(f"/book/{scene.lung_slot.pk}/")
    assert response.status_code == 200
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", hidden(response, "form_token"))


def test_a_request_with_a_query_string_is_neither_served_nor_stored(scene):
    ticket = Client().get(f"/book/{scene.lung_slot.pk}/?ticket=someone-elses")
    assert rendered(ticket)
    assert not any("firststep" in key for key in cache._cache)
    Client().get(f"/book/{scene.lung_slot.pk}/")
    again = Client().get(f"/book/{scene.lung_slot.pk}/?ticket=mine")
    assert rendered(again)


def test_the_family_page_of_a_full_time_does_not_give_the_single_page_its_copy(scene):
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=scene.lung_slot.capacity)
    Client().get(f"/book/{scene.lung_slot.pk}/family/")
    single = Client().get(f"/book/{scene.lung_slot.pk}/")
    assert f"/en/book/{scene.lung_slot.pk}/family/" not in single.content.decode()


def test_a_post_answered_with_the_full_page_is_neither_served_nor_stored(scene):
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=scene.lung_slot.capacity)
    Client().post(f"/book/{scene.lung_slot.pk}/family/", {})
    assert not any("firststep" in key for key in cache._cache)


def test_a_page_with_a_csrf_token_it_cannot_take_out_is_not_stored(rf, scene, caplog):
    from django.http import HttpResponse

    from reservations.first_step_cache import first_step_page

    request = rf.get(f"/book/{scene.lung_slot.pk}/")
    page = '<input name="csrfmiddlewaretoken" value="a"><p data-csrfmiddlewaretoken="b">'
    first_step_page(request, scene.lung_slot.pk, "form", lambda token: HttpResponse(page))
    assert not any("firststep" in key for key in cache._cache)
    assert "unexpected_csrf_token" in caplog.text


def test_a_full_time_s_copy_is_served_without_reading_the_slot(scene, django_assert_num_queries):
    # On opening day most of those who open a time find it full: no query for them.
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=scene.lung_slot.capacity)
    assert rendered(Client().get(f"/book/{scene.lung_slot.pk}/"))
    with django_assert_num_queries(0):
        again = Client().get(f"/book/{scene.lung_slot.pk}/")
    assert again.status_code == 200 and not rendered(again)
    assert "csrftoken" in again.cookies


def test_a_place_freed_in_a_full_time_shows_within_the_period(scene, settings, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(page_cache, "clock", lambda: now[0])
    monkeypatch.setattr("reservations.first_step_cache.clock", lambda: now[0])
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=scene.lung_slot.capacity)
    Client().get(f"/book/{scene.lung_slot.pk}/")
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=scene.lung_slot.capacity - 1)
    now[0] += settings.PUBLIC_CACHE_SECONDS - 0.1
    assert "form_token" not in Client().get(f"/book/{scene.lung_slot.pk}/").content.decode()
    now[0] += 0.2
    page = Client().get(f"/book/{scene.lung_slot.pk}/")
    assert rendered(page) and "form_token" in page.content.decode()


def test_a_full_time_withdrawn_in_admin_is_not_served_from_its_copy(scene):
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=scene.lung_slot.capacity)
    Client().get(f"/book/{scene.lung_slot.pk}/")
    Slot.objects.filter(pk=scene.lung_slot.pk).delete()
    page_cache._bump_generation()  # what the admin's delete does after commit
    assert Client().get(f"/book/{scene.lung_slot.pk}/").status_code == 404


def test_the_cache_is_asked_once_a_request(scene, caplog, monkeypatch):
    # The full copy is looked for before the slot is read and the form copy after it: one
    # round trip for both, and with the cache down one warning and one wait, not two.
    calls = []

    class Counting:
        def __getattr__(self, name):
            return getattr(cache, name)

        def get_many(self, keys):
            calls.append(keys)
            return cache.get_many(keys)

    monkeypatch.setattr("reservations.first_step_cache.cache", Counting())
    Client().get(f"/book/{scene.lung_slot.pk}/")
    Client().get(f"/book/{scene.lung_slot.pk}/")
    assert len([keys for keys in calls if any("firststep" in key for key in keys)]) == 2

    from tests.reservations.test_cache_down import cache_down

    with cache_down(), caplog.at_level("WARNING", logger="reservations.first_step_cache"):
        assert Client().get(f"/book/{scene.lung_slot.pk}/").status_code == 200
    mine = [r for r in caplog.records if r.name == "reservations.first_step_cache"]
    assert len(mine) == 1

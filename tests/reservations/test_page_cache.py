"""The public pages from the shared cache (reservations.page_cache): one render per variant
per PUBLIC_CACHE_SECONDS, admin changes at once, bookings within the period, nothing
personal or secret in any entry, and pages that still work with the cache down."""

import gzip
import pickle
import threading
from datetime import timedelta

import pytest
from django.core.cache import cache, caches
from django.db import connections
from django.test import Client, override_settings
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone

from config.settings import cache_config
from core.roles import ADMINISTRATOR
from reservations import page_cache, services
from reservations.models import ScreeningType, Slot
from tests.factories import details
from tests.helpers import login_staff, make_superuser
from tests.reservations.race import person
from tests.reservations.test_admin import slot_form
from tests.reservations.test_cache_down import cache_down, cache_silent
from tests.reservations.test_views import Scene

pytestmark = pytest.mark.django_db

PAGES = {"/": "reservations/home.html", "/en/": "reservations/home.html"}


class Renders:
    """Counts the public templates rendered, per template name, in any thread."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, sender, template, context, **kwargs):
        with self.lock:
            self.counts[template.name] = self.counts.get(template.name, 0) + 1

    def of(self, name):
        return self.counts.get(name, 0)

    @property
    def availability(self):
        return self.of("reservations/availability.html")

    @property
    def home(self):
        return self.of("reservations/home.html")


@pytest.fixture
def renders():
    counter = Renders()
    template_rendered.connect(counter, dispatch_uid="page-cache-renders")
    yield counter
    template_rendered.disconnect(dispatch_uid="page-cache-renders")


class Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock(1_900_000_000.0)
    monkeypatch.setattr(page_cache, "clock", fake)
    return fake


@pytest.fixture
def scene(settings):
    settings.PUBLIC_CACHE_SECONDS = 5
    return Scene()


def month_url(scene, prefix="/en"):
    return f"{prefix}/screenings/lung/?month={scene.day.year}-{scene.day.month:02d}"


def places(response, slot):
    """The text of the cell that books `slot` on an availability page."""
    text = response.content.decode()
    at = text.index(f'href="/en/book/{slot.pk}/"')
    return text[at : text.index("</a>", at)]


def stored_entries():
    """Every page the cache holds (LocMemCache: pickled values by key)."""
    backend = caches["default"]
    entries = []
    for raw in list(backend._cache.values()):
        value = pickle.loads(raw)
        if isinstance(value, page_cache.Entry):
            entries.append(value)
    return entries


def page_text(entry):
    content = entry.content
    if dict(entry.headers).get("Content-Encoding") == "gzip":
        content = gzip.decompress(content)
    return content.decode()


# --- One render per variant per period --------------------------------------------------


def test_a_second_request_is_answered_from_the_cache(client, scene, renders, clock):
    first = client.get(month_url(scene))
    second = client.get(month_url(scene))
    assert first.status_code == second.status_code == 200
    assert renders.availability == 1
    assert second.content == first.content


def test_after_the_period_the_page_is_rendered_again(client, scene, renders, clock):
    client.get(month_url(scene))
    clock.advance(4.9)
    client.get(month_url(scene))
    assert renders.availability == 1
    clock.advance(0.2)
    client.get(month_url(scene))
    assert renders.availability == 2


def test_each_variant_is_its_own_entry(client, scene, renders, clock):
    urls = [
        "/",
        "/en/",
        month_url(scene),
        month_url(scene, prefix=""),
        f"{month_url(scene)}&venue={scene.hall.pk}",
        "/en/screenings/stomach/",
    ]
    for url in urls:
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200
    assert renders.home == 2
    assert renders.availability == 4


def test_unknown_query_parameters_share_the_canonical_entry_and_are_not_echoed(
    client, scene, renders, clock
):
    plain = client.get(month_url(scene))
    tagged = client.get(f"{month_url(scene)}&utm_source=evil%22%3E&x=1")
    assert renders.availability == 1
    assert tagged.content == plain.content
    assert "utm_source" not in tagged.content.decode()


@pytest.mark.parametrize(
    "query", ["?month=zzz", "?venue=x", "?venue=007", "?month=2099-01", "?venue=999999"]
)
def test_a_bad_filter_is_refused_and_stores_nothing(client, scene, renders, clock, query):
    for _ in range(2):
        assert client.get(f"/en/screenings/lung/{query}").status_code == 400
    assert renders.availability == 2  # rendered each time, never stored
    assert stored_entries() == []


def test_an_unknown_screening_is_not_stored(client, scene, clock):
    assert client.get("/en/screenings/nope/").status_code == 404
    assert stored_entries() == []


def test_a_gzip_browser_gets_the_stored_gzip_copy(client, scene, renders, clock):
    plain = client.get(month_url(scene))
    zipped = client.get(month_url(scene), HTTP_ACCEPT_ENCODING="gzip")
    again = client.get(month_url(scene), HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert again.content == zipped.content
    assert "accept-encoding" in zipped["Vary"].lower()
    assert renders.availability == 2  # one per variant: plain and gzip


def test_head_is_answered_without_storing(client, scene, clock):
    assert client.head(month_url(scene)).status_code == 200
    assert stored_entries() == []


@pytest.mark.parametrize("url", ["/", "/en/"])
def test_content_language_and_vary_are_those_of_the_language_in_the_path(client, scene, clock, url):
    language = "en" if url.startswith("/en/") else "ja"
    for accept in ("en", "ja", "en", "ja"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=accept)
        assert response["Content-Language"] == language
        assert f'<html lang="{language}">' in response.content.decode()
        vary = {v.strip().lower() for v in response["Vary"].split(",")}
        assert "cookie" not in vary
        assert "accept-encoding" in vary
        assert not response.cookies


def test_cached_pages_set_no_cookie_for_visitors_with_cookies(client, scene, clock):
    client.get("/en/")
    client.cookies["csrftoken"] = "bad"
    client.cookies["sessionid"] = "short"
    response = client.get("/en/")
    assert not response.cookies
    assert "public" in response["Cache-Control"]


# --- Freshness ------------------------------------------------------------------------------


def test_a_booking_shows_within_the_period_not_at_once(client, scene, renders, clock):
    before = places(client.get(month_url(scene)), scene.lung_slot)
    services.reservation_create(slots=[scene.lung_slot], details=details())
    assert places(client.get(month_url(scene)), scene.lung_slot) == before  # allowed: stale
    clock.advance(5.01)
    after = places(client.get(month_url(scene)), scene.lung_slot)
    assert after != before
    assert "9 places left" in after


def test_a_cancellation_shows_within_the_period(client, scene, clock):
    booking = services.reservation_create(slots=[scene.lung_slot], details=details()).reservation
    assert "9 places left" in places(client.get(month_url(scene)), scene.lung_slot)
    services.reservation_cancel(reservation=booking)
    clock.advance(5.01)
    assert "10 places left" in places(client.get(month_url(scene)), scene.lung_slot)


def test_a_move_shows_within_the_period(client, scene, clock):
    booking = services.reservation_create(slots=[scene.lung_slot], details=details()).reservation
    client.get(month_url(scene))
    services.reservation_move(reservation=booking, new_slots=[scene.lung_hall])
    clock.advance(5.01)
    page = client.get(month_url(scene))
    assert "10 places left" in places(page, scene.lung_slot)
    assert "9 places left" in places(page, scene.lung_hall)


def test_a_booking_does_not_re_render_the_pages(client, scene, renders, clock):
    client.get(month_url(scene))
    for n in range(3):
        services.reservation_create(slots=[scene.lung_slot], details=details(**person(n)))
        client.get(month_url(scene))
    assert renders.availability == 1


@pytest.fixture
def admin_client(scene):
    admin = Client()
    return login_staff(admin, make_superuser("admin1", roles=[ADMINISTRATOR]))


def test_a_capacity_change_in_admin_shows_at_once(
    client, admin_client, scene, clock, django_capture_on_commit_callbacks
):
    assert "10 places left" in places(client.get(month_url(scene)), scene.lung_slot)
    url = reverse("admin:reservations_slot_change", args=[scene.lung_slot.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, slot_form(scene.lung_slot, capacity="4"))
    assert response.status_code == 302
    assert "4 places left" in places(client.get(month_url(scene)), scene.lung_slot)


def test_new_slots_from_bulk_creation_show_at_once(
    client, scene, clock, django_capture_on_commit_callbacks
):
    client.get(month_url(scene))
    day = scene.day + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.slots_bulk_create(
            venue=scene.hall,
            screening_types=[scene.lung],
            first_date=day,
            last_date=day,
            weekdays=[day.weekday()],
            start_times=[timezone.localtime(scene.lung_slot.starts_at).time()],
            duration_minutes=30,
            capacity=3,
            opens_at=scene.lung_slot.opens_at,
            closes_at=scene.lung_slot.closes_at,
        )
    new = Slot.objects.get(venue=scene.hall, starts_at__date=day)
    if new.local_date.month == scene.day.month:
        assert "3 places left" in places(client.get(month_url(scene)), new)
    else:
        url = f"/en/screenings/lung/?month={new.local_date.year}-{new.local_date.month:02d}"
        assert "3 places left" in places(client.get(url), new)


def test_a_new_time_shows_at_once(
    client, admin_client, scene, clock, django_capture_on_commit_callbacks
):
    client.get(month_url(scene))
    url = reverse("admin:reservations_slot_change", args=[scene.lung_slot.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, slot_form(scene.lung_slot, starts_at_1="11:45:00", ends_at_1="12:15:00")
        )
    assert response.status_code == 302
    assert "11:45" in client.get(month_url(scene)).content.decode()


def test_a_withdrawn_screening_disappears_at_once(
    client, admin_client, scene, clock, django_capture_on_commit_callbacks
):
    assert client.get("/en/screenings/lung/").status_code == 200
    assert "/en/screenings/lung/" in client.get("/en/").content.decode()
    screening = ScreeningType.objects.get(code="lung")
    url = reverse("admin:reservations_screeningtype_change", args=[screening.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"is_active": "", "sex": screening.sex})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert client.get("/en/screenings/lung/").status_code == 404
    assert "/en/screenings/lung/" not in client.get("/en/").content.decode()


def test_a_venue_renamed_in_admin_shows_at_once(
    client, admin_client, scene, clock, django_capture_on_commit_callbacks
):
    client.get(month_url(scene))
    url = reverse("admin:reservations_venue_change", args=[scene.hall.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["name_en"] = "Niiza Grand Hall"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, data).status_code == 302
    assert "Niiza Grand Hall" in client.get(month_url(scene)).content.decode()


def test_a_copy_rendered_before_a_change_is_not_served_after_it(client, scene, clock):
    client.get(month_url(scene))
    generation = cache.get(page_cache.GENERATION_KEY)
    page_cache._bump_generation()
    assert cache.get(page_cache.GENERATION_KEY) == generation + 1
    Slot.objects.filter(pk=scene.lung_slot.pk).update(capacity=2)
    assert "2 places left" in places(client.get(month_url(scene)), scene.lung_slot)


def test_a_lost_generation_counter_invalidates_every_copy(client, scene, clock):
    client.get(month_url(scene))
    Slot.objects.filter(pk=scene.lung_slot.pk).update(capacity=2)
    cache.delete(page_cache.GENERATION_KEY)  # a Redis restart or an eviction
    assert "2 places left" in places(client.get(month_url(scene)), scene.lung_slot)


# --- Stale while revalidate ---------------------------------------------------------------


def test_while_one_worker_re_renders_the_others_serve_the_previous_copy(
    client, scene, renders, clock
):
    first = client.get(month_url(scene))
    services.reservation_create(slots=[scene.lung_slot], details=details())
    clock.advance(6)
    variant = page_cache.variant_of(client.get(month_url(scene)).wsgi_request)
    # That request re-rendered; pretend another worker is re-rendering now.
    clock.advance(6)
    generation = cache.get(page_cache.GENERATION_KEY)
    assert cache.add(f"{variant.key}:lock:{generation}", 1, 10)
    stale = client.get(month_url(scene))
    assert renders.availability == 2
    assert stale.status_code == 200
    assert stale.content != first.content  # the copy of the second render, not the first


# --- Nothing personal, no CSRF token ------------------------------------------------------


def test_no_entry_holds_personal_data_or_a_csrf_token(client, scene, clock):
    person = details(name="秘密 花子", phone="090-9999-8888", email="secret@example.jp")
    booking = services.reservation_create(slots=[scene.lung_slot], details=person).reservation
    browser = Client(HTTP_ACCEPT_ENCODING="gzip")
    # The booking pages (form, with their CSRF cookie) next to the public ones.
    for who in (client, browser):
        who.get(f"/en/book/{scene.lung_slot.pk}/")
        who.get(f"/book/{scene.lung_slot.pk}/")
        for url in ("/", "/en/", month_url(scene), month_url(scene, prefix="")):
            assert who.get(url).status_code == 200
    entries = stored_entries()
    assert len(entries) == 8
    secrets = ["秘密", "090-9999-8888", "secret@example.jp", booking.number, "csrfmiddlewaretoken"]
    secrets += [v.value for who in (client, browser) for v in who.cookies.values() if v.value]
    for entry in entries:
        text = page_text(entry)
        headers = " ".join(f"{k}: {v}" for k, v in entry.headers)
        for secret in secrets:
            assert secret not in text and secret not in headers
        assert "set-cookie" not in headers.lower()


def test_a_page_with_a_csrf_token_is_never_stored(rf, scene):
    from django.http import HttpResponse

    request = rf.get("/en/")
    response = HttpResponse(
        '<form><input name="csrfmiddlewaretoken" value="x"></form>' * 20,
        content_type="text/html",
    )
    response["Cache-Control"] = "public, max-age=5"
    assert page_cache.entry_from(request, response, 1) is None
    response.set_cookie("csrftoken", "x")
    assert page_cache.entry_from(request, HttpResponse("x" * 300), 1) is None


# --- Cache down ---------------------------------------------------------------------------


@pytest.mark.parametrize("no_cache", [cache_down, cache_silent])
def test_pages_render_uncached_when_the_cache_is_down(client, scene, renders, no_cache):
    with no_cache():
        for url in ("/", "/en/", month_url(scene), month_url(scene)):
            response = client.get(url)
            assert response.status_code == 200
            assert not response.cookies
    assert renders.availability == 2


def test_an_admin_change_with_the_cache_down_is_saved_and_no_500(
    admin_client, scene, django_capture_on_commit_callbacks
):
    url = reverse("admin:reservations_slot_change", args=[scene.lung_slot.pk])
    with cache_down(), django_capture_on_commit_callbacks(execute=True):
        # The admin's own session lives in the database; the cache is only the pages'.
        response = admin_client.post(url, slot_form(scene.lung_slot, capacity="4"))
    assert response.status_code == 302
    assert Slot.objects.get(pk=scene.lung_slot.pk).capacity == 4


# --- Concurrency against a real cache -----------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/2"


def _redis_answers():
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping())
    except Exception:
        return False


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request):
    if request.param == "locmem":
        yield
        return
    if not _redis_answers():
        pytest.skip(f"needs Redis at {REDIS_URL}")
    config = cache_config(f"{REDIS_URL}?key_prefix=test-page-cache-{threading.get_ident()}")
    with override_settings(CACHES={"default": config}):
        cache.clear()
        yield
        cache.clear()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_render_each_variant_once_per_period(
    scene, renders, shared_cache, clock, monkeypatch
):
    # However slow the shared machine renders, the others wait for that one render.
    monkeypatch.setattr(page_cache, "WAIT_SECONDS", 60)
    urls = [month_url(scene), "/en/", "/"]
    answers: list[tuple[str, int, bytes]] = []
    lock = threading.Lock()
    start = threading.Barrier(24)

    def resident(n):
        url = urls[n % len(urls)]
        try:
            start.wait()
            response = Client().get(url)
            with lock:
                answers.append((url, response.status_code, response.content))
        finally:
            connections.close_all()

    def rush():
        threads = [threading.Thread(target=resident, args=(n,)) for n in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        start.reset()

    rush()
    assert len(answers) == 24
    assert {status for _url, status, _content in answers} == {200}
    assert renders.availability == 1
    assert renders.home == 2  # ja and en
    for url in urls:
        assert len({content for u, _s, content in answers if u == url}) == 1

    services.reservation_create(slots=[scene.lung_slot], details=details())
    clock.advance(5.01)
    answers.clear()
    rush()
    assert renders.availability == 2
    assert renders.home == 4
    assert len(answers) == 24

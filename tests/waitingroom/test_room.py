"""The waiting room (waitingroom): arrival order, signed tickets that refuse tampering,
what switches it on (saturation, an opening set in admin, always), and failing open."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.roles import ADMINISTRATOR
from tests.helpers import login_staff, make_superuser
from tests.reservations.test_cache_down import cache_down, cache_silent
from tests.reservations.test_views import Scene
from waitingroom import middleware, room
from waitingroom.models import WaitingRoomOpening

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 1_900_000_000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(room, "clock", fake)
    return fake


@pytest.fixture
def scene():
    return Scene()


@pytest.fixture
def room_on(settings):
    settings.WAITING_ROOM_ALWAYS = True
    settings.WAITING_ROOM_ADMIT_PER_SECOND = 2


def book_url(scene, prefix=""):
    return f"{prefix}/book/{scene.lung_slot.pk}/"


def is_waiting(response):
    return "Retry-After" in response and 'name="form_token"' not in response.content.decode()


def arrive(scene, prefix=""):
    """A new resident (own browser) opens the booking form."""
    browser = Client()
    return browser, browser.get(book_url(scene, prefix))


def test_the_room_is_off_by_default(client, scene):
    response = client.get(book_url(scene))
    assert response.status_code == 200
    assert not is_waiting(response)
    assert middleware.COOKIE not in response.cookies


def test_a_quiet_site_lets_the_first_residents_in_at_once(scene, room_on, clock):
    for _ in range(2):  # one second's worth
        _browser, response = arrive(scene)
        assert response.status_code == 200 and not is_waiting(response)


def test_beyond_the_rate_residents_wait_and_are_admitted_in_arrival_order(scene, room_on, clock):
    for _ in range(2):
        arrive(scene)
    waiting = [arrive(scene) for _ in range(6)]
    assert all(is_waiting(response) for _b, response in waiting)
    admitted = set()
    for second in range(1, 4):
        clock.advance(1)
        # The later ones ask first: who is let in goes by ticket, not by who asks first.
        for number, (browser, _first) in reversed(list(enumerate(waiting))):
            if number not in admitted and not is_waiting(browser.get(book_url(scene))):
                admitted.add(number)
        assert admitted == set(range(2 * second)), f"after {second} s"
    # Admitted stays admitted.
    assert not is_waiting(waiting[0][0].get(book_url(scene)))


def test_the_waiting_page_says_how_many_are_ahead_and_when_to_come_back(scene, room_on, clock):
    for _ in range(2):
        arrive(scene)
    for _ in range(4):
        arrive(scene, "/en")
    _browser, response = arrive(scene, "/en")
    assert response.status_code == 200  # not a 5xx, not a 429: see waiting_page
    text = response.content.decode()
    assert "You are in line" in text
    assert "about 4 people ahead of you" in text
    assert int(response["Retry-After"]) == 3
    assert re.fullmatch(r"3; url=/en/book/\d+/\?ticket=[^&]+", response["Refresh"])
    assert "<script" not in text
    assert response["Cache-Control"] == "no-store, private"
    assert response["Content-Language"] == "en"
    assert middleware.COOKIE in response.cookies


def test_the_waiting_page_is_japanese_first(scene, room_on, clock):
    for _ in range(3):
        _browser, response = arrive(scene)
    text = response.content.decode()
    assert '<html lang="ja">' in text
    assert "順番" in text
    assert 'href="/en/book/' in text


def test_the_waiting_page_needs_no_database(scene, room_on, clock, django_assert_num_queries):
    for _ in range(2):
        arrive(scene)
    browser = Client()
    with django_assert_num_queries(0):
        response = browser.get(book_url(scene))
    assert is_waiting(response)


def test_the_ticket_in_the_address_keeps_the_place_without_cookies(scene, room_on, clock):
    for _ in range(2):
        arrive(scene)
    _browser, first = arrive(scene)
    refresh = first["Refresh"].split("url=", 1)[1]
    arrive(scene)  # someone else, later
    clock.advance(1)
    cookieless = Client()
    assert not is_waiting(cookieless.get(refresh))


@pytest.mark.parametrize(
    "forge",
    [
        lambda good: good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        lambda good: signing.dumps([1, 0, "x"], salt="another.salt"),
        lambda good: signing.dumps([1, 0, "x"], salt=room.TICKET_SALT, key="not-the-key"),
        lambda good: "garbage",
        lambda good: "x" * 5000,
    ],
)
def test_a_tampered_or_forged_ticket_gets_a_new_one_at_the_back(scene, room_on, clock, forge):
    for _ in range(2):
        arrive(scene)
    browser, first = arrive(scene)
    good = first.cookies[middleware.COOKIE].value
    for _ in range(3):
        arrive(scene)
    clock.advance(1)  # the first waiting one would be in now
    cheat = Client()
    cheat.cookies[middleware.COOKIE] = forge(good)
    response = cheat.get(book_url(scene))
    assert response.status_code == 200
    assert is_waiting(response)
    # Tickets 1-2 came in at once, 3-6 wait, one second lets 3-4 in: the cheat is number 7.
    assert "about 2 people ahead of you" in cheat.get(f"/en{book_url(scene)}").content.decode()
    assert not is_waiting(browser.get(book_url(scene)))


def test_a_ticket_with_an_earlier_number_cannot_be_made_up(scene, room_on, clock):
    for _ in range(5):
        arrive(scene)
    epoch = room._epoch()
    made_up = signing.dumps([1, 0, epoch], salt=room.TICKET_SALT, key="guessed")
    response = Client().get(book_url(scene), {"ticket": made_up})
    assert is_waiting(response)


def test_an_expired_ticket_goes_to_the_back(scene, room_on, clock, monkeypatch):
    for _ in range(2):
        arrive(scene)
    browser, _first = arrive(scene)
    for _ in range(3):
        arrive(scene)
    monkeypatch.setattr(room, "TICKET_MAX_AGE", -1)
    clock.advance(1)  # 3 and 4 would be in: the browser held number 3
    assert is_waiting(browser.get(book_url(scene)))


def test_the_steps_after_the_form_are_never_held(scene, room_on, clock):
    for _ in range(3):
        browser, response = arrive(scene)
    assert is_waiting(response)
    # A POST of the details form goes to the view (here a 400: nothing filled in).
    response = browser.post(book_url(scene), {})
    assert not is_waiting(response)


def test_stop_reloading_leaves_out_the_refresh(scene, room_on, clock):
    for _ in range(3):
        browser, response = arrive(scene, "/en")
    response = browser.get(f"/en{book_url(scene)}", {"manual": "1"})
    assert is_waiting(response)
    assert "Refresh" not in response
    assert "Check my turn" in response.content.decode()


# --- What switches it on -------------------------------------------------------------------


def test_saturation_switches_it_on_everywhere_for_a_while(scene, settings, clock, monkeypatch):
    settings.WAITING_ROOM_MAX_IN_FLIGHT = 3
    settings.WAITING_ROOM_ADMIT_PER_SECOND = 1
    monkeypatch.setattr(room, "_in_flight", 3)  # three other requests in hand
    first = Client().get(book_url(scene))
    assert not is_waiting(first)  # admitted at once: the line is empty
    monkeypatch.setattr(room, "_in_flight", 0)
    arrive(scene)
    _b, third = arrive(scene)
    assert is_waiting(third), "the room stays on after the burst"
    clock.advance(settings.WAITING_ROOM_HOLD_SECONDS + 1)
    _b, later = arrive(scene)
    assert not is_waiting(later)
    assert middleware.COOKIE not in later.cookies


def test_below_the_in_flight_limit_nothing_is_held(scene, settings, clock, monkeypatch):
    settings.WAITING_ROOM_MAX_IN_FLIGHT = 3
    settings.WAITING_ROOM_ADMIT_PER_SECOND = 1
    monkeypatch.setattr(room, "_in_flight", 2)
    for _ in range(4):
        _b, response = arrive(scene)
        assert not is_waiting(response)


def test_an_opening_set_in_admin_switches_it_on_for_its_screening_only(
    scene, settings, clock, django_capture_on_commit_callbacks
):
    settings.WAITING_ROOM_ADMIT_PER_SECOND = 1
    now = timezone.now()
    clock.now = now.timestamp()
    admin = login_staff(Client(), make_superuser("admin1", roles=[ADMINISTRATOR]))
    for _ in range(3):
        assert not is_waiting(arrive(scene)[1])  # cached: no openings
    local = timezone.localtime
    form = {
        "screening": scene.lung.pk,
        "starts_at_0": local(now - timedelta(minutes=1)).strftime("%Y-%m-%d"),
        "starts_at_1": local(now - timedelta(minutes=1)).strftime("%H:%M:%S"),
        "ends_at_0": local(now + timedelta(hours=1)).strftime("%Y-%m-%d"),
        "ends_at_1": local(now + timedelta(hours=1)).strftime("%H:%M:%S"),
        "note": "opening day",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("admin:waitingroom_waitingroomopening_add"), form)
    assert response.status_code == 302
    assert WaitingRoomOpening.objects.count() == 1
    opening = WaitingRoomOpening.objects.get()
    record = AuditEvent.objects.get(action="waitingroom.opening.created")
    assert record.target_id == str(opening.pk)
    assert record.details["after"]["screening"] == scene.lung.pk
    held = [arrive(scene)[1] for _ in range(3)]
    assert is_waiting(held[-1])
    stomach = Client().get(f"/book/{scene.stomach_slot.pk}/")
    assert not is_waiting(stomach)
    clock.advance(3601)
    assert not is_waiting(arrive(scene)[1])


def test_an_opening_must_end_after_it_starts(scene):
    from django.db import IntegrityError

    now = timezone.now()
    with pytest.raises(IntegrityError):
        WaitingRoomOpening.objects.create(screening=scene.lung, starts_at=now, ends_at=now)


# --- Fails open -----------------------------------------------------------------------------


@pytest.mark.parametrize("no_cache", [cache_down, cache_silent])
def test_with_the_cache_down_everyone_is_let_in(scene, room_on, no_cache, caplog):
    with no_cache():
        for _ in range(4):
            _b, response = arrive(scene)
            assert response.status_code == 200
            assert not is_waiting(response)
    assert "waitingroom.fail_open" in caplog.text


def test_a_booking_url_for_no_slot_is_the_views_404(client, room_on, clock):
    assert client.get("/book/999999/").status_code == 404


def test_turns_are_whole_seconds_after_arrival_in_ticket_order_at_the_rate(room_on, clock):
    # Browsers come back after Retry-After whole seconds: a turn on the arrival's fraction
    # of a second brings each back right on it, and no later ticket's turn comes first.
    turns = []
    first_arrival = clock.now + 0.137
    for _ in range(12):
        clock.advance(0.137)
        ticket = room.place_in_line("").ticket
        waited = ticket.turn - ticket.arrived
        assert waited == pytest.approx(round(waited), abs=1e-6)
        turns.append(ticket.turn)
    assert turns == sorted(turns)
    # Two let in at once (one second's worth), then 2 a second: the 12th at least 5 s on.
    assert turns[-1] - first_arrival >= (12 - 2) / 2

"""Look-up with reservation number + date of birth, then cancel or move; rate limits."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from reservations import services
from reservations.models import Reservation, Slot
from reservations.tokens import sign_manage_token
from tests.factories import details
from tests.reservations.test_views import BIRTH_DATE, Scene, hidden

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return Scene()


def person():
    return details(birth_date=BIRTH_DATE, furigana="ヤマダ ハナコ")


@pytest.fixture
def single(scene):
    return services.reservation_create(slots=[scene.lung_hall], details=person()).reservation


@pytest.fixture
def pair(scene):
    return services.reservation_create(
        slots=[scene.lung_slot, scene.stomach_slot], details=person()
    ).reservation


def dob(day=BIRTH_DATE, era="AD"):
    return {
        "birth_date_era": era,
        "birth_date_year": str(day.year),
        "birth_date_month": str(day.month),
        "birth_date_day": str(day.day),
    }


def lookup(client, number, day=BIRTH_DATE, prefix="", **extra):
    return client.post(f"{prefix}/lookup/", {"number": number, **dob(day)}, **extra)


def confirm_move(client, token, choice, slots, *, prefix="/en"):
    """The move's last step: the day `choice`, and the new slot of each screening."""
    fields = {f"slot_{screening.pk}": slot.pk for screening, slot in slots.items()}
    return client.post(
        f"{prefix}/lookup/move/times/",
        {"token": token, "choice": choice, **fields, "confirm": "yes"},
    )


def test_lookup_page_is_a_form_with_csrf(client):
    response = client.get("/lookup/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies


def test_lookup_with_number_and_birth_date_shows_the_booking(client, single):
    response = lookup(client, single.display_number, prefix="/en")
    assert response.status_code == 200
    text = response.content.decode()
    assert single.display_number in text
    assert "Lung cancer screening" in text
    assert 'name="token"' in text


@pytest.mark.parametrize(
    "transform",
    [
        str,
        lambda n: n.replace("-", ""),
        lambda n: n.translate(str.maketrans("0123456789-", "０１２３４５６７８９－")),
    ],
)
def test_lookup_accepts_any_way_of_writing_the_number(client, single, transform):
    response = lookup(client, transform(single.display_number))
    assert response.status_code == 200


def test_lookup_accepts_the_birth_date_in_wareki(client, single):
    response = client.post(
        "/lookup/",
        {
            "number": single.number,
            "birth_date_era": "S",
            "birth_date_year": "３５",
            "birth_date_month": "5",
            "birth_date_day": "1",
        },
    )
    assert response.status_code == 200


def test_wrong_birth_date_does_not_reveal_the_booking(client, single):
    response = lookup(client, single.number, BIRTH_DATE + timedelta(days=1), prefix="/en")
    assert response.status_code == 404
    text = response.content.decode()
    assert "could not find a booking" in text
    assert single.display_number not in text
    assert 'name="token"' not in text


def test_unknown_number_gets_the_same_answer_as_a_wrong_birth_date(client, single):
    wrong_dob = lookup(client, single.number, BIRTH_DATE + timedelta(days=1), prefix="/en")
    unknown = lookup(client, "000000000000", prefix="/en")
    assert wrong_dob.status_code == unknown.status_code == 404
    assert re.search(r"could not find.*?\.", wrong_dob.content.decode()).group(0) == re.search(
        r"could not find.*?\.", unknown.content.decode()
    ).group(0)


def test_malformed_number_is_a_form_error_not_a_guess(client, single, settings):
    settings.LOOKUP_MAX_FAILURES_PER_CLIENT = 2
    for _ in range(5):
        assert lookup(client, "12-34").status_code == 400
    assert lookup(client, single.number).status_code == 200


def test_failures_per_client_are_limited_with_429(client, single, settings):
    settings.LOOKUP_MAX_FAILURES_PER_CLIENT = 3
    settings.LOOKUP_MAX_FAILURES_PER_NUMBER = 100
    for n in range(3):
        assert lookup(client, f"00000000000{n}").status_code == 404
    blocked = lookup(client, single.number, prefix="/en")  # even the right answer
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) == int(settings.LOOKUP_FAILURE_WINDOW.total_seconds())
    text = blocked.content.decode()
    assert "Too many unsuccessful attempts" in text
    assert settings.HEALTH_CENTRE_PHONE in text
    assert 'name="token"' not in text
    # Another client is not affected.
    other = lookup(client, single.number, REMOTE_ADDR="192.0.2.77")
    assert other.status_code == 200


def test_rate_limit_keys_hold_neither_the_address_nor_the_number(client, single, monkeypatch):
    from django.core.cache import cache

    from reservations import ratelimit

    keys = set()

    class Recording:
        def __getattr__(self, name):
            method = getattr(cache, name)

            def record(key, *args, **kwargs):
                keys.add(key)
                return method(key, *args, **kwargs)

            return record

    monkeypatch.setattr(ratelimit, "cache", Recording())
    lookup(client, single.number, BIRTH_DATE + timedelta(days=1), REMOTE_ADDR="203.0.113.45")
    assert len(keys) == 2
    assert not any("203.0.113.45" in key or single.number in key for key in keys), keys


def test_failures_per_number_are_limited_across_clients(client, single, settings):
    settings.LOOKUP_MAX_FAILURES_PER_CLIENT = 100
    settings.LOOKUP_MAX_FAILURES_PER_NUMBER = 3
    for n in range(3):
        response = lookup(
            client, single.number, BIRTH_DATE + timedelta(days=n + 1), REMOTE_ADDR=f"192.0.2.{n}"
        )
        assert response.status_code == 404
    assert lookup(client, single.number, REMOTE_ADDR="198.51.100.1").status_code == 429
    # Other numbers from a fresh client still work.
    assert lookup(client, "000000000000", REMOTE_ADDR="198.51.100.2").status_code == 404


def test_the_window_ends_and_look_ups_resume(client, single, settings):
    from django.core.cache import cache

    settings.LOOKUP_MAX_FAILURES_PER_CLIENT = 1
    lookup(client, "000000000000")
    assert lookup(client, single.number).status_code == 429
    cache.clear()  # what the cache's expiry does after LOOKUP_FAILURE_WINDOW
    assert lookup(client, single.number).status_code == 200


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(client, single, settings):
    settings.LOOKUP_MAX_FAILURES_PER_CLIENT = 1
    settings.TRUSTED_PROXY_COUNT = 0
    lookup(client, "000000000000", HTTP_X_FORWARDED_FOR="203.0.113.1")
    # Same REMOTE_ADDR, different forged header: still the same client.
    assert lookup(client, single.number, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(client, single, settings):
    settings.LOOKUP_MAX_FAILURES_PER_CLIENT = 1
    settings.TRUSTED_PROXY_COUNT = 1
    lookup(client, "000000000000", HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.1")
    assert lookup(client, single.number, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert lookup(client, single.number, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


# --- Cancel ------------------------------------------------------------------------------------


def token_for(client, reservation):
    return hidden(lookup(client, reservation.number), "token")


def test_cancel_asks_first_then_cancels_and_frees_the_place(client, single, scene):
    token = token_for(client, single)
    ask = client.post("/en/lookup/cancel/", {"token": token})
    assert ask.status_code == 200
    assert "Cancel this booking?" in ask.content.decode()
    assert Reservation.objects.get(pk=single.pk).is_live

    done = client.post("/en/lookup/cancel/", {"token": token, "confirm": "yes"})
    assert done.status_code == 200
    assert "Your booking has been cancelled" in done.content.decode()
    single.refresh_from_db()
    assert not single.is_live
    assert single.cancelled_by_kind == Reservation.CancelledBy.RESIDENT
    assert Slot.objects.get(pk=scene.lung_hall.pk).booked == 0


def test_cancelling_twice_is_harmless(client, single, scene):
    token = token_for(client, single)
    client.post("/lookup/cancel/", {"token": token, "confirm": "yes"})
    again = client.post("/lookup/cancel/", {"token": token, "confirm": "yes"})
    assert again.status_code == 200
    assert Slot.objects.get(pk=scene.lung_hall.pk).booked == 0


def test_cancel_with_a_forged_or_missing_token_changes_nothing(client, single):
    forged = signing.dumps({"n": single.number}, salt="not-the-right-salt")
    for token in ("", "garbage", forged, sign_manage_token(single.number) + "x"):
        response = client.post("/lookup/cancel/", {"token": token, "confirm": "yes"})
        assert response.status_code == 403
    assert Reservation.objects.get(pk=single.pk).is_live


def test_cancel_token_expires_after_a_day(client, single, monkeypatch):
    token = token_for(client, single)
    later = signing.time.time() + 25 * 60 * 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.post("/lookup/cancel/", {"token": token, "confirm": "yes"})
    assert response.status_code == 403
    assert Reservation.objects.get(pk=single.pk).is_live


def test_cancelled_booking_is_shown_as_cancelled_without_buttons(client, single):
    services.reservation_cancel(reservation=single)
    response = lookup(client, single.number, prefix="/en")
    text = response.content.decode()
    assert "Cancelled" in text
    assert "/lookup/cancel/" not in text and "/lookup/move/" not in text


def test_a_started_screening_cannot_be_cancelled_online(client, single):
    token = sign_manage_token(single.number)
    Slot.objects.filter(pk=single.items.get().slot_id).update(
        starts_at=timezone.now() - timedelta(minutes=5),
        opens_at=timezone.now() - timedelta(days=3),
        closes_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(minutes=25),
    )
    response = client.post("/lookup/cancel/", {"token": token, "confirm": "yes"})
    assert response.status_code == 409
    assert Reservation.objects.get(pk=single.pk).is_live


# --- Move ------------------------------------------------------------------------------------


def test_move_a_single_screening_to_another_free_time(client, single, scene):
    token = token_for(client, single)
    page = client.post("/lookup/move/", {"token": token})
    assert page.status_code == 200
    key = f"{scene.day.isoformat()}_{scene.centre.pk}"
    assert f'value="{key}"' in page.content.decode()
    times = client.post("/lookup/move/times/", {"token": token, "choice": key})
    assert times.status_code == 200
    moved = confirm_move(client, token, key, {scene.lung: scene.lung_slot})
    assert moved.status_code == 200
    assert "Your booking has been moved" in moved.content.decode()
    assert single.items.get().slot_id == scene.lung_slot.pk
    assert Slot.objects.get(pk=scene.lung_hall.pk).booked == 0
    assert Slot.objects.get(pk=scene.lung_slot.pk).booked == 1


def test_move_a_set_keeps_both_screenings_on_one_day(client, pair, scene):
    token = token_for(client, pair)
    key = f"{(scene.day + timedelta(days=7)).isoformat()}_{scene.centre.pk}"
    page = client.post("/lookup/move/", {"token": token})
    assert f'value="{key}"' in page.content.decode()
    # The civic hall has lung only: it cannot take the set.
    assert f'_{scene.hall.pk}"' not in page.content.decode()
    moved = confirm_move(
        client,
        token,
        key,
        {scene.lung: scene.lung_later, scene.stomach: scene.stomach_later},
        prefix="",
    )
    assert moved.status_code == 200
    assert {i.slot_id for i in pair.items.all()} == {scene.lung_later.pk, scene.stomach_later.pk}


def test_move_to_a_time_taken_meanwhile_keeps_the_old_booking(client, single, scene):
    token = token_for(client, single)
    key = f"{scene.day.isoformat()}_{scene.centre.pk}"
    times = client.post("/lookup/move/times/", {"token": token, "choice": key})
    assert times.status_code == 200
    Slot.objects.filter(pk=scene.lung_slot.pk).update(booked=10)
    response = confirm_move(client, token, key, {scene.lung: scene.lung_slot})
    assert response.status_code in (400, 409)
    text = response.content.decode()
    assert "no free place any more" in text or "just been taken" in text
    assert single.items.get().slot_id == scene.lung_hall.pk
    assert Slot.objects.get(pk=scene.lung_hall.pk).booked == 1


def test_move_to_the_same_time_is_refused_politely(client, pair, scene):
    token = token_for(client, pair)
    key = f"{scene.day.isoformat()}_{scene.centre.pk}"
    Scene.slot(scene.lung, scene.centre, scene.day, 10, 0)  # makes the day an option
    response = confirm_move(
        client, token, key, {scene.lung: scene.lung_slot, scene.stomach: scene.stomach_slot}
    )
    assert response.status_code == 400
    assert "already have" in response.content.decode()


@pytest.mark.parametrize("choice", ["", "nonsense", "2020-01-01_1", "9999-99-99_x", "x" * 5000])
def test_move_to_an_unknown_day_is_400(client, single, choice):
    token = token_for(client, single)
    response = client.post("/lookup/move/times/", {"token": token, "choice": choice})
    assert response.status_code == 400
    assert single.items.get().slot_id == single.items.get().slot_id


def test_move_slot_of_another_screening_is_refused(client, single, scene):
    token = token_for(client, single)
    key = f"{scene.day.isoformat()}_{scene.centre.pk}"
    response = confirm_move(client, token, key, {scene.lung: scene.stomach_slot}, prefix="")
    assert response.status_code == 400
    assert single.items.get().slot_id == scene.lung_hall.pk


def test_cancelled_booking_cannot_be_moved(client, single, scene):
    token = token_for(client, single)
    services.reservation_cancel(reservation=single)
    response = client.post("/lookup/move/", {"token": token})
    assert response.status_code == 409


def test_last_free_day_taken_meanwhile_still_shows_the_message_where_the_summary_links(
    client, single, scene
):
    token = token_for(client, single)
    key = f"{scene.day.isoformat()}_{scene.centre.pk}"
    # Every other lung time fills up while the resident is choosing.
    Slot.objects.filter(screening_type=scene.lung).exclude(pk=scene.lung_hall.pk).update(booked=10)
    response = client.post("/en/lookup/move/times/", {"token": token, "choice": key})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There are no other free places" in html
    summary_links = re.findall(r'<li><a href="#([^"]+)">', html)
    assert summary_links == ["form-errors"]
    target = re.search(r'<div id="form-errors"[^>]*>(.*?)</div>\s*</div>', html, re.S)
    assert target and "no free place any more" in target.group(1)


def test_move_with_forged_token_is_403(client, single):
    assert client.post("/lookup/move/", {"token": "forged"}).status_code == 403
    assert client.post("/lookup/move/times/", {"token": "forged"}).status_code == 403
    assert client.post("/lookup/booking/", {"token": "forged"}).status_code == 403


def test_back_to_my_booking_shows_it_again(client, single):
    token = token_for(client, single)
    response = client.post("/lookup/booking/", {"token": token})
    assert response.status_code == 200
    assert single.display_number in response.content.decode()


def test_losing_a_race_while_moving_keeps_the_old_booking_and_says_so(
    client, single, scene, monkeypatch
):
    token = token_for(client, single)
    key = f"{scene.day.isoformat()}_{scene.centre.pk}"

    def someone_was_faster(*, reservation, new_slots, **kwargs):
        raise services.SlotFull(new_slots[0], [])

    monkeypatch.setattr(services, "reservation_move", someone_was_faster)
    response = confirm_move(client, token, key, {scene.lung: scene.lung_slot})
    assert response.status_code == 409
    assert "just been taken" in response.content.decode()
    assert single.items.get().slot_id == scene.lung_hall.pk

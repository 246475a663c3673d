"""After the booking: email optional on the web, the done page and its printable slip, and
how the done page is found again (a short-lived cookie of the booking browser, never a
token in the address)."""

import re
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from reservations import notifications, services
from reservations.models import Notification, Reservation
from reservations.tokens import DONE_COOKIE, DONE_MAX_AGE, DONE_SALT
from tests.reservations.test_views import (
    PERSON,
    Scene,
    book,
    hidden,
    start,
    submit_details,
)

pytestmark = pytest.mark.django_db

NO_EMAIL = {"email": "", "email_confirm": ""}


@pytest.fixture
def scene():
    return Scene()


def book_without_email(client, slot, prefix=""):
    """The whole web booking with both email boxes left empty; the done page."""
    response = submit_details(client, slot, prefix, **NO_EMAIL)
    assert response.status_code == 200, response.content.decode()[:3000]
    state = hidden(response, "state")
    if 'action="' + prefix + '/book/extras/"' in response.content.decode():
        response = client.post(f"{prefix}/book/extras/", {"state": state})
        state = hidden(response, "state")
    confirmed = client.post(f"{prefix}/book/confirm/", {"state": state})
    assert confirmed.status_code == 303
    return client.get(confirmed["Location"])


def text_of(response):
    return response.content.decode()


# --- 1. Email optional on the web ---------------------------------------------------------


def test_details_form_says_email_is_optional(client, scene):
    page = text_of(client.get(f"/book/{scene.lung_hall.pk}/"))
    label = re.search(r'<label class="label" for="id_email">(.*?)</label>', page, re.S)
    assert label and "任意" in label.group(1)
    assert 'id="id_email"' in page and "required" not in re.search(
        r"<input[^>]*id=\"id_email\"[^>]*>", page
    ).group(0)


def test_web_booking_without_email_is_made_and_queues_no_mail(client, scene, settings):
    settings.HEALTH_CENTRE_COPY_EMAIL = ""
    done = book_without_email(client, scene.lung_hall)
    assert done.status_code == 200
    reservation = Reservation.objects.get()
    assert reservation.citizen.email == ""
    assert not Notification.objects.exists(), "no outbox row for a booking without email"

    # Changes and cancellations have no mail either, and no reminder is ever queued.
    services.reservation_move(reservation=reservation, new_slots=[scene.lung_later])
    services.slot_times_changed(slot=scene.lung_later)
    later = timezone.now() + timedelta(days=30)
    Reservation.objects.filter(pk=reservation.pk).update(changed_at=timezone.now() - timedelta(2))
    assert notifications.queue_reminders(now=scene.lung_later.starts_at - timedelta(days=1)) == 0
    services.reservation_cancel(reservation=reservation)
    assert not Notification.objects.exists()
    assert notifications.send_due(now=later).sent == 0


def test_without_email_the_health_centre_copy_still_goes_to_the_health_centre(
    client, scene, settings
):
    settings.HEALTH_CENTRE_COPY_EMAIL = "hoken@city.example.jp"
    book_without_email(client, scene.lung_hall)
    kinds = list(Notification.objects.values_list("kind", flat=True))
    assert kinds == [Notification.Kind.HEALTH_CENTRE_COPY]


def test_done_page_without_email_says_no_mail_will_come_keep_the_number_and_we_may_phone(
    client, scene
):
    done = text_of(book_without_email(client, scene.lung_hall))
    number = Reservation.objects.get().display_number
    notice = done[done.index('id="no-email"') :].split("</div>")[0]
    assert "メールは届きません" in notice
    assert "予約番号" in notice and "印刷" in notice
    assert "電話" in notice and "新座市保健センター" in notice
    assert 'class="reservation-number"' in done
    assert all(group in done for group in number.split("-"))
    assert 'href="/book/done/print/"' in done


def test_done_page_without_email_in_english(client, scene):
    done = text_of(book_without_email(client, scene.lung_hall, prefix="/en"))
    assert "no mail will come from us" in done
    assert "may phone you" in done


def test_done_page_with_email_says_a_confirmation_follows_and_no_such_notice(client, scene):
    done = text_of(book(client, scene.lung_hall))
    assert 'id="no-email"' not in done
    assert "確認メール" in done or "メールでもお送りします" in done or "メール" in done


@pytest.mark.parametrize(
    "email,confirm,field",
    [
        ("hanako@example.jp", "hanako@example.com", "email_confirm"),
        ("hanako@example.jp", "", "email_confirm"),
        ("", "hanako@example.jp", "email"),
    ],
)
def test_an_email_given_on_the_web_must_still_be_typed_the_same_twice(
    client, scene, email, confirm, field
):
    response = submit_details(client, scene.lung_hall, email=email, email_confirm=confirm)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Reservation.objects.exists()


# --- 5. The printout ----------------------------------------------------------------------


def test_done_page_prints_name_venue_fee_number_and_the_health_centres_phone(client, scene):
    done = text_of(book(client, scene.lung_hall))
    number = Reservation.objects.get().display_number
    for needed in ("山田 花子", "新座市民会館", "500", "048-481-2211", "受診票"):
        assert needed in done, needed
    assert all(group in done for group in number.split("-"))


def test_print_page_holds_everything_needed_on_the_day(client, scene):
    book(client, scene.lung_slot, extras=[scene.stomach_slot])
    reservation = Reservation.objects.get()
    response = client.get("/book/done/print/")
    assert response.status_code == 200
    page = text_of(response)
    venue = scene.centre
    for needed in (
        "山田 花子",  # name
        "肺がん検診",
        "胃がん検診",  # screenings
        f"{scene.day.month}月{scene.day.day}日",  # date
        "9:00",
        "9:30",  # times
        venue.name,
        venue.address,  # venue
        "受診票",  # what to bring
        "前日の夜9時以降は食事をしないでください",  # stomach's own instructions
        "048-481-2211",  # the health centre's phone
        "/lookup/",
    ):
        assert needed in page, needed
    fee = scene.lung.fee + scene.stomach.fee
    assert f"{fee:,}円" in page
    assert all(group in page for group in reservation.display_number.split("-"))
    for private in ("ヤマダ", "048-481-0000", "hanako@example.jp", "352-0001"):
        assert private not in page, private
    assert "<script" not in page
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_print_page_in_english(client, scene):
    book(client, scene.lung_hall, prefix="/en")
    page = text_of(client.get("/en/book/done/print/"))
    assert "Screening booking slip" in page and "Niiza Civic Hall" in page
    assert "048-481-2211" in page


def test_print_link_works_without_javascript_and_print_styles_hide_the_rest(
    client, scene, settings
):
    done = text_of(book(client, scene.lung_hall))
    assert re.search(r'<a [^>]*href="/book/done/print/"[^>]*>印刷', done)
    assert "<script" not in done
    slip = text_of(client.get("/book/done/print/"))
    assert "header-nav" not in slip, "the slip carries no navigation"
    stylesheet = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text()
    print_rules = stylesheet[stylesheet.index("@media print") :]
    assert ".no-print" in print_rules and "@page" in print_rules


def test_print_page_of_a_cancelled_booking_says_so(client, scene):
    book(client, scene.lung_hall)
    services.reservation_cancel(reservation=Reservation.objects.get())
    page = text_of(client.get("/book/done/print/"))
    assert "この予約は取り消されています" in page or "取り消" in page
    assert "受診票" not in page


def test_done_page_of_a_booking_cancelled_since_shows_no_day_details(client, scene):
    book(client, scene.lung_hall)
    services.reservation_cancel(reservation=Reservation.objects.get())
    page = text_of(client.get("/book/done/"))
    assert "取り消されました" in page or "取り消" in page
    for gone in ("予約した検診", "持ち物", "来られなくなったとき", "山田"):
        assert gone not in page, gone
    assert "048-481-2211" in page


# --- 15. Nothing secret in the done page's address ----------------------------------------


def test_done_address_holds_nothing_and_the_browser_gets_a_short_lived_httponly_cookie(
    client, scene
):
    response = submit_details(client, scene.lung_hall)
    confirmed = client.post("/book/confirm/", {"state": hidden(response, "state")})
    assert confirmed.status_code == 303
    assert confirmed["Location"] == "/book/done/"
    cookie = confirmed.cookies[DONE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == DONE_MAX_AGE <= 2 * 60 * 60
    assert cookie["path"] == "/"
    reservation = Reservation.objects.get()
    # The booking's random form token, signed: neither its number nor its id.
    assert cookie.value.split(":")[0] == reservation.form_token


def test_done_page_is_safe_to_reload_in_the_browser_that_booked(client, scene):
    done = book(client, scene.lung_hall)
    assert done.status_code == 200
    again = client.get("/book/done/")
    assert again.status_code == 200 and again.content == done.content
    assert Reservation.objects.count() == 1


def test_done_page_shows_nothing_to_another_browser(client, scene):
    book(client, scene.lung_hall)
    number = Reservation.objects.get().number
    stranger = Client()
    for path in ("/book/done/", "/book/done/print/", "/en/book/done/"):
        response = stranger.get(path)
        assert response.status_code == 404, path
        page = text_of(response)
        assert number[:4] not in page and "山田" not in page
        assert "予約番号と生年月日" in page or "reservation number and date of birth" in page


def test_done_cookie_is_useless_after_its_hour(client, scene):
    real_time = signing.time.time
    with mock.patch.object(signing.time, "time", lambda: real_time() - DONE_MAX_AGE - 60):
        book(client, scene.lung_hall)
    response = client.get("/book/done/")
    assert response.status_code == 404
    assert Reservation.objects.get().number[:4] not in text_of(response)


def test_forged_or_foreign_done_cookie_shows_nothing(client, scene):
    book(client, scene.lung_hall)
    reservation = Reservation.objects.get()
    form_token = reservation.form_token
    forged = Client()
    forged.cookies[DONE_COOKIE] = form_token  # unsigned
    assert forged.get("/book/done/").status_code == 404
    # A value signed for another purpose (the old done-address salt) is no cookie either.
    old = signing.get_cookie_signer(salt=DONE_COOKIE + "reservations.done").sign(form_token)
    forged.cookies[DONE_COOKIE] = old
    assert forged.get("/book/done/").status_code == 404
    genuine = signing.get_cookie_signer(salt=DONE_COOKIE + DONE_SALT).sign(form_token)
    forged.cookies[DONE_COOKIE] = genuine
    assert forged.get("/book/done/").status_code == 200  # the check is the signature


def test_old_done_addresses_give_a_clear_page_and_no_booking(client, scene):
    book(client, scene.lung_hall)
    reservation = Reservation.objects.get()
    # The token the old /book/done/<token>/ address carried, as an access log keeps it.
    old_token = signing.dumps({"t": reservation.form_token}, salt="reservations.done")
    for path in (f"/book/done/{old_token}/", f"/en/book/done/{old_token}/", "/book/done/x/"):
        response = Client().get(path)
        assert response.status_code == 404, path
        page = text_of(response)
        assert reservation.number[:4] not in page
        assert "有効期限" in page or "expired" in page
        assert "048-481-2211" in page


def test_the_done_cookie_is_set_by_the_booking_post_only(client, scene):
    token = start(client, scene.lung_hall)
    details = client.post(f"/book/{scene.lung_hall.pk}/", {**PERSON, "form_token": token})
    assert DONE_COOKIE not in details.cookies
    for path in ("/", "/screenings/lung/"):
        assert not client.get(path).cookies
    book(client, scene.lung_slot)
    for path in ("/", "/en/", "/screenings/lung/"):
        response = client.get(path)
        assert not response.cookies, path
        assert "public" in response["Cache-Control"]


def test_confirm_page_says_before_booking_that_no_mail_will_be_sent(client, scene):
    confirm = text_of(submit_details(client, scene.lung_hall, **NO_EMAIL))
    assert "なし（メールは届きません）" in confirm
    assert not Reservation.objects.exists()

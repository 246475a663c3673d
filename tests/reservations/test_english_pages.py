"""English pages and mail speak one language and write dates one way (issue #11, item 3).

Each English page is parsed: Japanese script may appear only inside an element marked
lang="ja" (a name the resident typed, an address, a venue without an English name, the
example in a hint), every date is of the one English family ("Thursday 3 December 2026",
"Thu 3 Dec", "31 March 2027", "December 2026"), and the city and health centre are named
in English where CITY_NAME_EN / HEALTH_CENTRE_NAME_EN are configured.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from reservations import mail as mail_text
from reservations.models import Notification, Reservation, Slot
from tests.reservations.english_pages import (
    ENGLISH_DATE,
    dates_of_another_style,
    parse,
    unmarked_japanese,
    visible_text,
)
from tests.reservations.test_views import (
    PERSON,
    Scene,
    add_screening,
    book,
    hidden,
    submit_details,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return Scene()


CITY_EN = "Niiza City"
CENTRE_EN = "Niiza City Health Centre"


@pytest.fixture
def english_names(settings):
    settings.CITY_NAME_EN = CITY_EN
    settings.HEALTH_CENTRE_NAME_EN = CENTRE_EN


def too_young(client, scene):
    """Born in 平成10 (1998): too young for the lung screening (40 or over)."""
    response = submit_details(
        client, scene.lung_slot, "/en", birth_date_era="H", birth_date_year="10"
    )
    assert response.status_code == 400
    return response


def english_pages(client, scene):
    """(name, response) for each kind of English page a resident meets."""
    pages = [
        ("top", client.get("/en/")),
        ("availability", client.get("/en/screenings/lung/")),
        ("details form", client.get(f"/en/book/{scene.lung_slot.pk}/")),
        (
            "details with errors",
            submit_details(
                client,
                scene.lung_slot,
                "/en",
                furigana="abc",
                postal_code="111-1111",
                birth_date_era="H",
                birth_date_year="40",
            ),
        ),
        ("too young", too_young(client, scene)),
    ]
    offer = submit_details(client, scene.lung_slot, "/en")
    extras = add_screening(client, offer, "/en")
    confirm = client.post(
        "/en/book/extras/",
        {"state": hidden(extras, "state"), f"extra_{scene.stomach.pk}": scene.stomach_slot.pk},
    )
    pages += [("confirm with an offer", offer), ("extras", extras), ("confirm", confirm)]
    booked = client.post("/en/book/confirm/", {"state": hidden(confirm, "state")})
    pages.append(("done", client.get(booked["Location"])))
    pages.append(("lookup", client.get("/en/lookup/")))
    found = client.post(
        "/en/lookup/",
        {
            "number": Reservation.objects.get().display_number,
            "birth_date_era": PERSON["birth_date_era"],
            "birth_date_year": PERSON["birth_date_year"],
            "birth_date_month": PERSON["birth_date_month"],
            "birth_date_day": PERSON["birth_date_day"],
        },
    )
    token = hidden(found, "token")
    pages += [
        ("booking found", found),
        ("move", client.post("/en/lookup/move/", {"token": token})),
        ("cancel?", client.post("/en/lookup/cancel/", {"token": token})),
    ]
    Slot.objects.filter(pk=scene.lung_hall.pk).update(opens_at=timezone.now() + timedelta(days=2))
    pages.append(("refusal: not open yet", client.get(f"/en/book/{scene.lung_hall.pk}/")))
    pages.append(("refusal: bad request", client.post("/en/book/extras/", {"state": "x"})))
    return pages


def test_english_pages_have_no_unmarked_japanese_and_one_date_style(client, scene, english_names):
    for name, response in english_pages(client, scene):
        html = response.content.decode()
        page = parse(html)
        assert page.root_lang == "en", name
        assert unmarked_japanese(html) == [], name
        assert dates_of_another_style(visible_text(html)) == [], name
        assert CITY_EN in page.title, name
        # The header and footer name them in English, never in Japanese.
        assert f'{CITY_EN} <span class="site-name__service">' in html, name
        assert f"Call {CENTRE_EN}:" in html, name
        assert '<span lang="ja">新座市</span>' not in html, name
        assert "新座市保健センター" not in html, name


def test_english_dates_are_of_the_one_family(client, scene, english_names):
    fiscal_year_end = date(scene.day.year + (scene.day.month >= 4), 3, 31)
    top = visible_text(client.get("/en/").content.decode())
    # Who a screening is for: the day of the year's end as on every other page.
    assert f"on 31 March {fiscal_year_end.year}" in top
    assert f"March 31, {fiscal_year_end.year}" not in top

    young = visible_text(too_young(client, scene).content.decode())
    assert f"31 March {fiscal_year_end.year}" in young

    opens = timezone.localtime(timezone.now() + timedelta(days=2)).replace(
        minute=0, second=0, microsecond=0
    )
    Slot.objects.filter(pk=scene.lung_hall.pk).update(opens_at=opens)
    refused = visible_text(client.get(f"/en/book/{scene.lung_hall.pk}/").content.decode())
    assert f"{opens:%A} {opens.day} {opens:%B %Y} {opens.hour}:00" in refused

    confirm = visible_text(
        client.post(
            "/en/book/extras/",
            {"state": hidden(submit_details(client, scene.lung_slot, "/en"), "state")},
        ).content.decode()
    )
    day = scene.day
    assert f"{day:%A} {day.day} {day:%B %Y}" in confirm
    assert "1 May 1960" in confirm  # the date of birth
    for text in (top, young, refused, confirm):
        assert ENGLISH_DATE.search(text)


def test_without_english_names_the_japanese_ones_are_marked_and_left_out_of_the_title(
    client, scene
):
    for name, response in english_pages(client, scene):
        html = response.content.decode()
        page = parse(html)
        assert unmarked_japanese(html) == [], name
        assert '<span lang="ja">新座市</span>' in html, name  # the header
        assert '<span lang="ja">新座市保健センター</span>' in html, name  # the footer
        assert "新座市" not in page.title, name


def test_japanese_labels_and_hints_are_marked_on_english_pages(client, scene):
    text = client.get(f"/en/book/{scene.lung_slot.pk}/").content.decode()
    assert 'Full name (<span lang="ja">氏名</span>)' in text
    assert 'Name in katakana (<span lang="ja">フリガナ</span>)' in text
    assert 'for example <span lang="ja">山田 花子</span>.' in text
    assert '<span lang="ja">新座市野火止1-2-3</span>.' in text
    assert ">Showa</option>" in text and "昭和" not in text  # an option cannot be marked
    japanese = client.get(f"/book/{scene.lung_slot.pk}/").content.decode()
    assert '<span lang="ja">' not in japanese and ">昭和</option>" in japanese


def _mail(kind_language, scene, client):
    book(client, scene.lung_slot, prefix="/en" if kind_language == "en" else "")
    notification = Notification.objects.filter(
        reservation=Reservation.objects.latest("pk"), kind=Notification.Kind.CONFIRMATION
    ).get()
    return mail_text.build_message(notification)


def test_english_mail_carries_its_language_and_the_english_names(client, scene, english_names):
    message = _mail("en", scene, client)
    assert message.extra_headers["Content-Language"] == "en"
    assert CITY_EN in message.subject and "新座市" not in message.subject
    html = message.alternatives[0][0]
    assert parse(html).root_lang == "en"
    assert unmarked_japanese(html) == []
    assert CITY_EN in parse(html).title
    for part in (message.body, html):
        assert CENTRE_EN in part and "新座市保健センター" not in part
        assert dates_of_another_style(visible_text(part)) == []
        assert f"{scene.day:%A} {scene.day.day} {scene.day:%B %Y}" in part
    # The plain text has no lang="ja": only the venue's address (a postal address) is Japanese.
    japanese_lines = [
        line.strip()
        for line in message.body.splitlines()
        if any("\u3040" <= ch <= "\u9fff" for ch in line)
    ]
    assert japanese_lines == [scene.centre.address]


def test_japanese_mail_says_it_is_japanese(client, scene, english_names):
    message = _mail("ja", scene, client)
    assert message.extra_headers["Content-Language"] == "ja"
    assert "新座市保健センター" in message.body and CENTRE_EN not in message.body

"""The reception roster (受付名簿): who may open it, what it shows, what the trail records."""

from datetime import date

import pytest

from audit.models import AuditEvent
from tests.reception.conftest import book

pytestmark = pytest.mark.django_db


def url(venue, day, suffix=""):
    return f"/staff/reception/roster/{venue.pk}/{day.isoformat()}/{suffix}"


def test_roster_groups_bookings_by_time_with_set_bookings_together(reception, today_day):
    setb = book(
        [today_day["lung9"], today_day["stomach930"]],
        name="佐藤 一郎",
        furigana="サトウ イチロウ",
        birth_date=date(1950, 4, 1),
        sex="M",
    )
    later = book([today_day["lung10"]], name="鈴木 花子", furigana="スズキ ハナコ")

    response = reception.get(url(today_day["venue"], today_day["day"]))

    assert response.status_code == 200
    groups = response.context["groups"]
    assert [[r.reservation.pk for r in g.rows] for g in groups] == [[setb.pk], [later.pk]]
    assert [e.item.screening_type.code for e in groups[0].rows[0].items] == ["lung", "stomach"]
    page = response.content.decode()
    for shown in ("佐藤 一郎", "サトウ イチロウ", setb.display_number, "胃がん検診", "鈴木 花子"):
        assert shown in page, shown
    assert f'id="booking-{setb.pk}"' in page
    assert "Check in" in page or "受付" in page


def test_opening_the_roster_is_audited_with_venue_and_day_not_names(reception, today_day):
    book([today_day["lung9"]], name="佐藤 一郎", furigana="サトウ イチロウ")

    reception.get(url(today_day["venue"], today_day["day"]))
    reception.get(url(today_day["venue"], today_day["day"], "print/"))

    viewed = AuditEvent.objects.get(action="reception.roster.viewed")
    printed = AuditEvent.objects.get(action="reception.roster.printed")
    for event in (viewed, printed):
        assert event.details == {
            "venue_id": today_day["venue"].pk,
            "day": today_day["day"].isoformat(),
            "bookings": 1,
        }
        assert "佐藤" not in str(event.details)


def test_print_layout_has_one_section_per_time_and_a_running_head(reception, today_day):
    book([today_day["lung9"]], furigana="ア イ")
    book([today_day["lung10"]], furigana="カ キ")

    page = reception.get(url(today_day["venue"], today_day["day"], "print/")).content.decode()

    assert page.count('class="roster-page"') == 2
    assert page.count('class="roster-running-head"') == 2
    assert "reception/roster.css" in page


def test_a_day_that_is_no_date_is_404(reception, today_day):
    assert (
        reception.get(f"/staff/reception/roster/{today_day['venue'].pk}/2026-13-45/").status_code
        == 404
    )
    assert (
        reception.get(
            url(today_day["venue"], today_day["day"]).replace(
                f"/{today_day['venue'].pk}/", "/999999/"
            )
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "path",
    [
        "/staff/reception/",
        "/staff/reception/call-off/",
        "ROSTER",
        "PRINT",
        "CALL_LIST",
    ],
)
def test_pages_refuse_other_roles_and_a_missing_second_factor(
    client, administrator, today_day, path
):
    venue, day = today_day["venue"], today_day["day"].isoformat()
    path = {
        "ROSTER": f"/staff/reception/roster/{venue.pk}/{day}/",
        "PRINT": f"/staff/reception/roster/{venue.pk}/{day}/print/",
        "CALL_LIST": f"/staff/reception/call-off/{venue.pk}/{day}/call-list/",
    }.get(path, path)

    assert administrator.get(path).status_code == 403
    administrator.logout()
    assert client.get(path).status_code == 302  # to the login page
    assert not AuditEvent.objects.filter(action__startswith="reception.roster").exists()


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/staff/reception/"),
        ("get", "ROSTER"),
        ("get", "ROSTER/print/"),
        ("get", "/staff/reception/season/"),
        ("get", "/staff/reception/season.csv"),
        ("get", "/staff/reception/call-off/"),
        ("post", "/staff/reception/call-off/"),
        ("post", "/staff/reception/attendance/1/"),
    ],
)
def test_unverified_staff_are_sent_to_the_second_factor(unverified, today_day, method, path):
    roster = f"/staff/reception/roster/{today_day['venue'].pk}/{today_day['day'].isoformat()}"
    path = path.replace("ROSTER", roster)
    if not path.endswith("/") and "." not in path:
        path += "/"
    response = getattr(unverified, method)(path)
    assert response.status_code == 302 and "/staff/verify/" in response["Location"]


def test_the_index_form_leads_to_the_roster(reception, today_day):
    response = reception.get(
        "/staff/reception/",
        {"venue": today_day["venue"].pk, "day": today_day["day"].isoformat()},
    )
    assert response.status_code == 302
    assert response["Location"] == url(today_day["venue"], today_day["day"])
    assert reception.get("/staff/reception/").status_code == 200


def test_the_roster_shows_the_fee_that_applies_with_its_reason(reception, today_day):
    from reservations.models import ScreeningType

    ScreeningType.objects.filter(code="lung").update(free_from_age=70)
    book([today_day["lung9"]], birth_date=date(1950, 5, 1), furigana="ア ア")
    book([today_day["lung10"]], birth_date=date(1970, 5, 1), furigana="イ イ")

    response = reception.get(url(today_day["venue"], today_day["day"]))

    fees = [[e.fee for e in row.items] for g in response.context["groups"] for row in g.rows]
    assert [[(f.amount, f.reason_code) for f in row] for row in fees] == [
        [(0, "age_exempt")],
        [(500, "standard")],
    ]
    assert "年齢により無料" in response.content.decode()


def test_the_roster_shows_a_fee_class_fee_without_the_class_label(reception, today_day):
    from reservations.models import Reservation
    from vouchers.models import FeeClass

    FeeClass.objects.create(code="B", label="生活保護世帯", amount=0)
    reservation = book([today_day["stomach930"]], name="佐藤 一郎", furigana="サトウ イチロウ")
    Reservation.objects.filter(pk=reservation.pk).update(fee_class="B")

    for suffix in ("", "print/"):
        page = reception.get(url(today_day["venue"], today_day["day"], suffix)).content.decode()
        assert "費用区分" in page  # why it is free ...
        assert "生活保護世帯" not in page  # ... but not the household's circumstances

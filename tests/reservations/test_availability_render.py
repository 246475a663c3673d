"""The availability page's cheap render (issue 12, item 2): only the month shown is read,
a bounded number of queries whatever the season's size, and the table laid out once in
Python (reservations.display.availability_rows) says exactly what the template said."""

from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reservations import display, queries
from reservations.models import Slot
from reservations.queries import AvailabilityDay, SlotView
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, local_dt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uncached(settings):
    settings.PUBLIC_CACHE_SECONDS = 0


def first_of_next_months(count):
    today = timezone.localdate()
    year, month = today.year, today.month
    days = []
    for _ in range(count):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        days.append(date(year, month, 1))
    return days


def season(months, per_month, venues):
    """`per_month` slots a month at each of `venues`, on weekdays from the 3rd, for
    `months` months from next month on."""
    lung = ScreeningTypeFactory()
    slots = []
    for first in first_of_next_months(months):
        for venue in venues:
            for n in range(per_month):
                starts = local_dt(first + timedelta(days=2 + n // 8), 9 + n % 8)
                slots.append(
                    Slot(
                        venue=venue,
                        screening_type=lung,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=30),
                        capacity=10,
                        opens_at=timezone.now() - timedelta(days=1),
                        closes_at=starts - timedelta(days=1),
                    )
                )
    Slot.objects.bulk_create(slots)
    return lung


@pytest.mark.parametrize(("months", "per_month"), [(1, 2), (6, 40)])
def test_availability_makes_a_bounded_number_of_queries_whatever_the_slots(
    client, django_assert_max_num_queries, months, per_month
):
    season(months, per_month, [VenueFactory(), VenueFactory()])
    # The three of the page itself, the lottery rounds announced for the screening, and
    # whether a round holds any time now (only then: which of the month's, shown as not
    # open first-come yet).
    with django_assert_max_num_queries(5):
        response = client.get("/screenings/lung/")
    assert response.status_code == 200
    assert response.content.decode().count('<li class="slot ') == 2 * per_month


def test_availability_reads_only_the_slots_of_the_month_shown(client):
    season(4, 10, [VenueFactory()])
    built = []
    real = queries.SlotView

    def counting(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    with mock.patch.object(queries, "SlotView", side_effect=counting):
        response = client.get("/screenings/lung/")
    assert response.status_code == 200
    assert len(built) == 10  # the first month's, not the season's 40


def test_the_filter_still_offers_every_month_and_venue_of_the_season(client):
    hall, centre = VenueFactory(name="市民会館"), VenueFactory(name="保健センター")
    season(3, 2, [hall, centre])
    text = client.get("/screenings/lung/").content.decode()
    for first in first_of_next_months(3):
        assert f'<option value="{first.year}-{first.month:02d}"' in text
    assert f'<option value="{hall.pk}"' in text and f'<option value="{centre.pk}"' in text


def test_a_slot_just_after_local_midnight_belongs_to_its_local_month(client):
    """00:30 on the 1st in Japan is still the previous month in UTC."""
    first, second = first_of_next_months(2)
    lung = ScreeningTypeFactory()
    venue = VenueFactory()
    early = SlotFactory(screening_type=lung, venue=venue, starts_at=local_dt(second, 0, 30))
    SlotFactory(screening_type=lung, venue=venue, starts_at=local_dt(first + timedelta(days=3)))
    index = queries.availability_index(lung)
    assert index.months == (f"{first:%Y-%m}", f"{second:%Y-%m}")
    assert [s.id for s in queries.month_slots(lung, f"{second:%Y-%m}")] == [early.pk]
    text = client.get(f"/screenings/lung/?month={second:%Y-%m}").content.decode()
    assert f"/book/{early.pk}/" in text


def test_the_default_month_is_the_first_with_a_place_to_book(client):
    first, second = first_of_next_months(2)
    lung = ScreeningTypeFactory()
    venue = VenueFactory()
    SlotFactory(screening_type=lung, venue=venue, starts_at=local_dt(first + timedelta(days=3)))
    Slot.objects.update(booked=10)
    free = SlotFactory(screening_type=lung, venue=venue, starts_at=local_dt(second))
    assert queries.availability_index(lung).default_month == f"{second:%Y-%m}"
    assert f"/book/{free.pk}/" in client.get("/screenings/lung/").content.decode()
    Slot.objects.update(booked=10)
    assert queries.availability_index(lung).default_month == f"{first:%Y-%m}"


# --- display.availability_rows ----------------------------------------------------------

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.get_fixed_timezone(540))
DAY = date(2026, 12, 10)


def view(pk, hour, *, booked=0, window="open", opens=None):
    return SlotView(pk, 1, local_dt(DAY, hour), 10, booked, window, opens)


class Hall:
    name = "会場<1>"
    name_en = "Hall & Co"


@pytest.mark.parametrize(
    ("language", "few", "full", "waiting", "opens", "closed"),
    [
        (
            "en",
            "2 places left",
            "full",
            "waiting list",
            "booking opens Wed 2 Dec",
            "booking closed",
        ),
        ("ja", "残り2人", "満員", "キャンセル待ち", "12月2日（水） 受付開始", "受付終了"),
    ],
)
def test_availability_rows_say_what_the_template_said(language, few, full, waiting, opens, closed):
    slots = [
        view(1, 9),  # ○ 10 places
        view(2, 10, booked=8),  # △ 2 places
        view(3, 11, booked=10),  # × full
        view(4, 12, window="not_open", opens=NOW + timedelta(days=1)),
        view(5, 13, window="closed"),
    ]
    with translation.override(language):
        rows = display.availability_rows(
            [AvailabilityDay(DAY, [slots, []])],
            [Hall(), Hall()],
            NOW,
            lambda pk: f"/b/{pk}/",
            lambda pk: reverse("waitlist:join", args=[pk]),
        )
        ten = display.places_text(10)
        date_text = display.short_date_text(DAY)
        join = reverse("waitlist:join", args=[3])
    [row] = rows
    assert row["date"] == date_text
    label = "Hall & Co" if language == "en" else "会場<1>"
    assert [cell["label"] for cell in row["cells"]] == [label, label]  # escaped by the template
    assert row["cells"][1]["slots"] == ""
    assert row["cells"][0]["slots"] == (
        '<ul class="slots">'
        '<li class="slot slot--open"><a href="/b/1/"><span class="slot__time">9:00</span> '
        f'<span class="mark" aria-hidden="true">○</span> {ten}</a></li>'
        '<li class="slot slot--open"><a href="/b/2/"><span class="slot__time">10:00</span> '
        f'<span class="mark" aria-hidden="true">△</span> {few}</a></li>'
        '<li class="slot slot--full"><span class="slot__time">11:00</span> '
        f'<span class="mark" aria-hidden="true">×</span> {full} <a href="{join}">{waiting}</a></li>'
        f'<li class="slot slot--not_open"><span class="slot__time">12:00</span> {opens}</li>'
        f'<li class="slot slot--closed"><span class="slot__time">13:00</span> {closed}</li>'
        "</ul>"
    )


def test_availability_rows_escape_what_they_show():
    with mock.patch.object(display, "places_text", return_value="<b>5</b>"):
        rows = display.availability_rows(
            [AvailabilityDay(DAY, [[view(1, 9)]])],
            [Hall()],
            NOW,
            lambda pk: '/b/"x"/',
            lambda pk: f"/w/{pk}/",
        )
    html = rows[0]["cells"][0]["slots"]
    assert "&lt;b&gt;5&lt;/b&gt;" in html and 'href="/b/&quot;x&quot;/"' in html
    assert "<b>" not in html


# --- What the cheaper pages still read (issue 12, item 2) --------------------------------


def test_month_slots_read_the_booking_window_to_the_second_on_the_safe_side():
    """The times come as whole seconds: a slot opening half a second from now is not open
    yet, one that closed half a second ago is closed, and the dates shown are local."""
    lung = ScreeningTypeFactory()
    venue = VenueFactory()
    now = timezone.now().replace(microsecond=250_000)
    day = first_of_next_months(1)[0] + timedelta(days=2)
    soon = now + timedelta(milliseconds=500)
    opening = SlotFactory(screening_type=lung, venue=venue, starts_at=local_dt(day, 9, 30))
    closed = SlotFactory(screening_type=lung, venue=venue, starts_at=local_dt(day, 10))
    later = SlotFactory(screening_type=lung, venue=venue, starts_at=local_dt(day, 0, 15))
    Slot.objects.filter(pk=opening.pk).update(opens_at=soon)
    Slot.objects.filter(pk=closed.pk).update(closes_at=now - timedelta(milliseconds=500))
    Slot.objects.filter(pk=later.pk).update(opens_at=local_dt(day - timedelta(days=1), 0, 5))

    views = {v.id: v for v in queries.month_slots(lung, f"{day:%Y-%m}", now=now)}

    assert views[opening.pk].window == "not_open"
    assert views[opening.pk].opens_at == soon.replace(microsecond=0)
    assert views[closed.pk].window == "closed" and views[closed.pk].opens_at is None
    assert views[later.pk].window == "not_open"
    # 00:05 and 00:15 in Japan are the previous day in UTC: the local day is kept.
    assert timezone.localtime(views[later.pk].opens_at).date() == day - timedelta(days=1)
    assert (views[later.pk].local_date, views[later.pk].starts_at) == (day, later.starts_at)
    assert [v.id for v in views.values()] == [later.pk, opening.pk, closed.pk]  # time order


def test_the_availability_page_makes_five_queries_with_any_filter(
    client, django_assert_num_queries
):
    hall, centre = VenueFactory(), VenueFactory()
    season(2, 8, [hall, centre])
    month = f"{first_of_next_months(2)[1]:%Y-%m}"
    for query in ("", f"?month={month}", f"?month={month}&venue={hall.pk}", "?month="):
        # The screening, the filter's months and venues, the slots shown, whether a lottery
        # round holds any time (none here, so not which), the rounds announced for the
        # screening ({% lottery_notice %}).
        with django_assert_num_queries(5):
            response = client.get(f"/en/screenings/lung/{query}")
        assert response.status_code == 200


def test_the_confirm_step_makes_three_queries(client, django_assert_num_queries):
    """The slot; the person's bookings and purged history of the screening, in one UNION;
    the other screenings on that day (none here)."""
    from tests.reservations.test_views import PERSON, Scene, start

    scene = Scene()
    token = start(client, scene.lung_hall)
    with django_assert_num_queries(3):
        response = client.post(f"/book/{scene.lung_hall.pk}/", {**PERSON, "form_token": token})
    assert response.status_code == 200
    assert 'name="state"' in response.content.decode()

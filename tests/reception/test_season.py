"""The season at a glance: counts, charts with tables, a CSV without personal data."""

import csv
import io
from datetime import date

import pytest

from audit.context import AuditContext
from reception import services
from reservations.models import fiscal_year_of
from tests.reception.conftest import book

pytestmark = pytest.mark.django_db


def test_the_page_shows_each_chart_with_its_table(reception, today_day):
    reservation = book([today_day["lung9"], today_day["stomach930"]], birth_date=date(1955, 5, 1))
    services.attendance_mark(
        item=reservation.items.first(),
        status="absent",
        user=None,
        audit_context=AuditContext.system(),
    )

    response = reception.get("/staff/reception/season/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg class="chart" role="img"') == page.count("<table>")
    figures = response.context["figures"]
    lung = next(r for r in figures.fill_by_screening if r.label == "肺がん検診")
    assert (lung.value, lung.total) == (1, 20)
    assert [r.value for r in figures.outcomes if r.label == "欠席"] == [1]
    bands = dict(figures.age_sex)["肺がん検診"]
    assert [r.value for r in bands if r.label == "70歳以上 女"] == [1]


def test_the_csv_holds_figures_and_no_personal_data(reception, today_day):
    book([today_day["lung9"]], name="佐藤 一郎", furigana="サトウ イチロウ")
    year = fiscal_year_of(today_day["day"])

    response = reception.get(f"/staff/reception/season.csv?year={year}")

    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["区分", "項目", "件数", "母数", "割合(%)"]
    assert "佐藤" not in text and "サトウ" not in text
    assert any(row[0] == "申込経路" for row in rows)


@pytest.mark.parametrize("path", ["/staff/reception/season/", "/staff/reception/season.csv"])
def test_the_season_pages_need_the_health_centre_role(client, administrator, path):
    assert administrator.get(path).status_code == 403
    administrator.logout()
    assert client.get(path).status_code == 302

"""Fee exemptions as data: free from an age on, and the 無料クーポン for turning an age."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from reservations import fees, services
from reservations.fees import fee_for
from reservations.mail import build_message
from reservations.models import Notification, ScreeningType
from tests.factories import SlotFactory, details, local_dt

DAY = date(2026, 10, 1)  # FY2026: 年度末年齢 is the age on 1 April 2027


def screening(**values):
    return ScreeningType(fee=1000, free_from_age=70, free_coupon_age=40, **values)


@pytest.mark.parametrize(
    "birth_date, expected",
    [
        (date(1987, 4, 1), fees.Fee(0, fees.FREE_COUPON)),  # 40 in FY2026 (年度末年齢)
        (date(1986, 4, 2), fees.Fee(0, fees.FREE_COUPON)),
        (date(1986, 4, 1), fees.Fee(1000, fees.STANDARD)),  # 41
        (date(1987, 4, 2), fees.Fee(1000, fees.STANDARD)),  # 39
        (date(1957, 4, 1), fees.Fee(0, fees.AGE_EXEMPT)),  # 70 by the fiscal year's end
        (date(1957, 4, 2), fees.Fee(1000, fees.STANDARD)),  # 69
        (date(1970, 5, 1), fees.Fee(1000, fees.STANDARD)),
    ],
)
def test_fee_for_applies_the_exemption_by_fiscal_year_end_age(birth_date, expected):
    assert fee_for(screening(), birth_date, DAY) == expected


def test_no_exemption_fields_means_the_fee():
    plain = ScreeningType(fee=500)
    assert fee_for(plain, date(1940, 1, 1), DAY) == fees.Fee(500, fees.STANDARD)
    assert fee_for(ScreeningType(fee=0, free_from_age=70), date(1940, 1, 1), DAY).reason_code == (
        fees.STANDARD
    )


@pytest.mark.django_db
def test_the_mail_and_the_export_show_the_fee_that_applies():
    from exports import csvfile
    from exports.services import _live_bookings

    day = timezone.localdate() + timedelta(days=14)
    slot = SlotFactory(starts_at=local_dt(day, 9))
    ScreeningType.objects.filter(pk=slot.screening_type_id).update(free_from_age=40)
    slot.screening_type.refresh_from_db()
    services.reservation_create(slots=[slot], details=details(birth_date=date(1950, 5, 1)))

    message = build_message(Notification.objects.get(kind="confirmation"))
    assert "無料" in message.body and "500" not in message.body.split("■ 費用")[1][:80]

    record, change = next(_live_bookings(day, day))
    row, _flagged = csvfile.csv_row(record, change=change, encoding="cp932")
    assert row[csvfile.KEYS.index("fee")] == "0"
    assert row[csvfile.KEYS.index("fee_reason")] == "年齢免除"

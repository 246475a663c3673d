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


FREE_CLASS = fees.FeeClassRule(code="1", label="生活保護世帯", amount=0)


@pytest.mark.parametrize(
    ("rule", "birth_date", "expected"),
    [
        # A class with an amount: that amount, whatever the age exemptions say.
        (FREE_CLASS, date(1970, 5, 1), fees.Fee(0, fees.FEE_CLASS, "生活保護世帯")),
        (FREE_CLASS, date(1957, 4, 1), fees.Fee(0, fees.FEE_CLASS, "生活保護世帯")),
        (
            fees.FeeClassRule("2", "減額", 300),
            date(1957, 4, 1),
            fees.Fee(300, fees.FEE_CLASS, "減額"),
        ),
        # A class without an amount, or none (an unknown code): the usual rules.
        (fees.FeeClassRule("3", "一般", None), date(1957, 4, 1), fees.Fee(0, fees.AGE_EXEMPT)),
        (fees.FeeClassRule("3", "一般", None), date(1970, 5, 1), fees.Fee(1000, fees.STANDARD)),
        (None, date(1987, 4, 1), fees.Fee(0, fees.FREE_COUPON)),
    ],
)
def test_fee_for_applies_a_fee_class_amount_instead_of_the_usual_rules(rule, birth_date, expected):
    assert fee_for(screening(), birth_date, DAY, fee_class=rule) == expected


def test_a_fee_class_puts_no_price_on_a_free_screening():
    costly = fees.FeeClassRule("9", "市外", 2000)
    assert fee_for(ScreeningType(fee=0), date(1970, 5, 1), DAY, fee_class=costly) == fees.Fee(
        0, fees.STANDARD
    )


def test_only_a_fee_that_falls_to_nothing_is_an_exemption():
    assert fees.Fee(0, fees.FEE_CLASS, "生活保護世帯").is_exempt
    assert fees.Fee(0, fees.AGE_EXEMPT).is_exempt
    assert not fees.Fee(300, fees.FEE_CLASS, "減額").is_exempt
    assert not fees.Fee(500, fees.STANDARD).is_exempt
    assert set(fees.EXPORT_LABELS) == {
        fees.STANDARD,
        fees.AGE_EXEMPT,
        fees.FREE_COUPON,
        fees.FEE_CLASS,
    }
    assert fees.EXPORT_LABELS[fees.FEE_CLASS] == "費用区分"


def test_the_fee_text_names_the_class_on_pages_but_not_in_mail():
    from django.utils import translation

    from reservations.display import fee_text

    fee = fees.Fee(0, fees.FEE_CLASS, "生活保護世帯")
    assert fee_text(fee) == "無料（費用区分「生活保護世帯」による）"
    assert fee_text(fee, name_fee_class=False) == "無料（費用区分による）"
    assert fee_text(fees.Fee(300, fees.FEE_CLASS, "減額")) == "300円（費用区分「減額」による）"
    with translation.override("en"):
        assert fee_text(fee) == "Free of charge (your fee class: 生活保護世帯)"


@pytest.mark.django_db
def test_the_export_without_fee_classes_given_keeps_the_usual_rules():
    from exports import csvfile
    from exports.services import _live_bookings

    day = timezone.localdate() + timedelta(days=14)
    slot = SlotFactory(starts_at=local_dt(day, 9))
    services.reservation_create(slots=[slot], details=details(), fee_class="1")

    record, change = next(_live_bookings(day, day))
    plain, _flagged = csvfile.csv_row(record, change=change, encoding="cp932")
    classed, _flagged = csvfile.csv_row(
        record, change=change, encoding="cp932", fee_classes={"1": FREE_CLASS}
    )
    at = csvfile.KEYS.index("fee")
    assert (plain[at], classed[at]) == ("500", "0")
    assert classed[csvfile.KEYS.index("fee_reason")] == "費用区分"

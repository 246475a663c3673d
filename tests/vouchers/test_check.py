"""voucher_check: the readable refusals and the match."""

from datetime import date

import pytest
from django.utils import timezone

from vouchers import refusals
from vouchers.services import VoucherRefused, voucher_check

from .conftest import list_file


def check(number, birth, screening):
    return voucher_check(
        number=number, birth_date=birth, screening_type=screening, now=timezone.now()
    )


def test_no_list_yet_is_refused_as_no_list(screenings):
    with pytest.raises(VoucherRefused) as refused:
        check("0001", date(1970, 5, 1), screenings["lung"])
    assert refused.value.code == refusals.NO_LIST


@pytest.mark.parametrize(
    ("number", "birth", "code", "expected"),
    [
        ("0009", date(1970, 5, 1), "lung", refusals.NOT_ON_LIST),
        ("not a number!", date(1970, 5, 1), "lung", refusals.NOT_ON_LIST),
        ("0001", date(1970, 5, 2), "lung", refusals.BIRTH_MISMATCH),
        ("0001", date(1970, 5, 1), "stomach", refusals.SCREENING_NOT_ALLOWED),
    ],
)
def test_a_voucher_that_does_not_fit_is_refused_with_its_reason(
    screenings, import_list, number, birth, code, expected
):
    import_list(list_file("0001,X,1970-05-01,2,51 52,A"))
    with pytest.raises(VoucherRefused) as refused:
        check(number, birth, screenings[code])
    assert refused.value.code == expected
    assert str(refusals.PAGES[expected].title)


def test_a_voucher_on_the_list_gives_its_screenings_and_fee_class(screenings, import_list):
    voucher_list = import_list(list_file("0001,X,1970-05-01,2,51 52,A"))
    match = check("０００１", date(1970, 5, 1), screenings["breast"])
    assert match.number == "0001"
    assert match.screenings == ("lung", "breast")
    assert (match.fee_class, match.sex, match.list_id) == ("A", "F", voucher_list.pk)


def test_every_refusal_has_japanese_words(settings):
    from django.utils import translation

    with translation.override("ja"):
        for code in refusals.CODES:
            title = str(refusals.PAGES[code].title)
            assert title and not title.isascii(), code

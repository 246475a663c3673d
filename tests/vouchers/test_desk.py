"""The phone desk books a 受診券 screening with the number the caller reads out."""

import pytest

from reservations.models import Reservation, ScreeningType
from tests.factories import SlotFactory
from tests.helpers import login_staff
from tests.staff.test_desk import book

from .conftest import list_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, staff_user):
    return login_staff(client, staff_user)


@pytest.fixture
def voucher_slot(screenings, import_list):
    # The desk's caller: 佐藤 一郎, born 昭和40年4月10日, a man.
    import_list(list_file("00077777,佐藤 一郎,1965-04-10,1,51,C"))
    lung = ScreeningType.objects.get(code="lung")
    lung.voucher_required = True
    lung.save()
    return SlotFactory(screening_type=lung)


def test_the_desk_form_asks_for_the_number_of_a_voucher_screening(desk, voucher_slot):
    page = desk.get("/staff/desk/book/", {"slot": voucher_slot.pk})
    assert 'name="voucher_number"' in page.content.decode()


def test_the_desk_books_with_a_voucher_on_the_list(desk, voucher_slot):
    response = book(desk, [voucher_slot], voucher_number="0007-7777")
    assert response.status_code in (302, 303), response.content.decode()[:500]
    reservation = Reservation.objects.get()
    assert (reservation.voucher_number, reservation.fee_class) == ("00077777", "C")


@pytest.mark.parametrize(
    ("number", "words"), [("", "受診券番号を入力"), ("00012345", "名簿にありません")]
)
def test_the_desk_is_told_why_a_voucher_is_refused(desk, voucher_slot, number, words):
    response = book(desk, [voucher_slot], voucher_number=number)
    assert response.status_code == 409
    assert words in response.content.decode()
    assert not Reservation.objects.exists()

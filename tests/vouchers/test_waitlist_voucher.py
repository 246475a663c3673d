"""The waiting list of a screening in 受診券 mode: the ticket first, checked again before an
offer and at its confirmation; the booking carries its number and fee class."""

import pytest
from django.core.cache import cache

from audit.models import AuditEvent
from reservations import services as booking
from reservations.models import Reservation, ScreeningType
from tests.factories import SlotFactory
from tests.helpers import login_staff
from tests.reservations.test_views import PERSON
from tests.waitlist.helpers import check_invariants, fill
from tests.waitlist.test_views import DOB
from vouchers.models import FeeClass, VoucherList
from waitlist.models import Offer, WaitlistEntry

from .conftest import list_file

pytestmark = pytest.mark.django_db

# PERSON: born 1 May 1960, a woman; on the list with fee class B.
ON_LIST = "00012345,新座 花子,1960-05-01,2,51,B"


@pytest.fixture
def desk(client, staff_user):
    return login_staff(client, staff_user)


@pytest.fixture
def full_slot(screenings, import_list):
    cache.clear()
    slot = SlotFactory(capacity=1, screening_type=screenings["lung"])
    slot.bookings = fill(slot)  # booked while the screening was still open
    ScreeningType.objects.filter(code="lung").update(voucher_required=True)
    slot.refresh_from_db()
    import_list(list_file(ON_LIST))
    return slot


def joined(client, slot, number="0001-2345", **extra):
    data = {**PERSON, "accept": "slot", "voucher-number": number, **extra}
    return client.post(f"/waitlist/join/{slot.pk}/", data)


def test_the_join_page_asks_for_the_ticket_first(client, full_slot):
    page = client.get(f"/waitlist/join/{full_slot.pk}/").content.decode()
    assert 'name="voucher-number"' in page
    assert page.index('name="voucher-number"') < page.index('name="accept"')


def test_a_ticket_on_the_list_joins_and_its_confirmed_offer_books_with_it(client, full_slot):
    response = joined(client, full_slot)
    assert response.status_code == 200
    entry = WaitlistEntry.objects.get()
    assert entry.voucher_number == "00012345"
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    offer = Offer.objects.get()
    FeeClass.objects.create(code="B", label="生活保護世帯", amount=0)
    done = client.post(f"/waitlist/offer/{offer.token}/", {**DOB, "answer": "confirm"})
    assert done.status_code == 200
    reservation = Reservation.objects.get(channel="waitlist")
    assert (reservation.voucher_number, reservation.fee_class) == ("00012345", "B")
    assert "無料（費用区分" in done.content.decode()  # the fee the list's class gives
    check_invariants()


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"number": "99999999"}, 404, "市の対象者名簿にありません"),
        ({"birth_date_day": "2"}, 404, "生年月日が受診券と一致しません"),
        ({"number": ""}, 400, "受診券に印刷されている番号を入力してください"),
        ({"sex": "M"}, 409, "性別が受診券と一致しません"),
    ],
)
def test_a_ticket_not_on_the_list_is_refused_on_the_form_and_nothing_is_stored(
    client, full_slot, changes, status, words
):
    number = changes.pop("number", "0001-2345")
    response = joined(client, full_slot, number=number, **changes)
    assert response.status_code == status
    assert words in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_wrong_guesses_are_rate_limited(client, full_slot, settings):
    settings.LOOKUP_MAX_FAILURES_PER_CLIENT = 2
    for _ in range(2):
        assert joined(client, full_slot, number="99999999").status_code == 404
    response = joined(client, full_slot)  # even the right one, for a while
    assert response.status_code == 429
    assert not WaitlistEntry.objects.exists()


def test_an_entry_whose_ticket_left_the_list_is_closed_instead_of_offered(
    client, full_slot, import_list
):
    joined(client, full_slot)
    import_list(list_file("00099999,別人,1970-01-01,1,51,"))  # the city's new list
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    entry = WaitlistEntry.objects.get()
    assert entry.status == "closed" and entry.closed_reason == "voucher_not_on_list"
    assert not Offer.objects.exists()
    check_invariants()


def test_a_ticket_taken_off_the_list_after_the_offer_is_refused_at_confirmation(
    client, full_slot, import_list
):
    joined(client, full_slot)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    offer = Offer.objects.get()
    import_list(list_file("00012345,新座 花子,1960-05-01,2,52,B"))  # now breast only
    response = client.post(f"/waitlist/offer/{offer.token}/", {**DOB, "answer": "confirm"})
    assert response.status_code == 409
    assert "この検診は含まれていません" in response.content.decode()
    assert not Reservation.objects.filter(channel="waitlist").exists()
    assert WaitlistEntry.objects.get().status == "closed"
    check_invariants()


def test_the_desk_adds_a_caller_with_the_number_they_read_out(desk, full_slot):
    data = {**PERSON, "email": "", "email_confirm": "", "accept": "slot"}
    url = f"/staff/waitlist/slots/{full_slot.pk}/add/"
    missing = desk.post(url, data)
    assert missing.status_code == 409
    assert "受診券番号" in missing.content.decode()
    wrong = desk.post(url, {**data, "voucher_number": "99999999"})
    assert wrong.status_code == 409 and "名簿にありません" in wrong.content.decode()
    assert not WaitlistEntry.objects.exists()
    assert desk.post(url, {**data, "voucher_number": "0001 2345"}).status_code == 302
    assert WaitlistEntry.objects.get().voucher_number == "00012345"
    assert AuditEvent.objects.filter(action="waitlist.entry.added").exists()


def test_before_any_list_is_loaded_a_freed_place_is_offered_to_no_one_and_no_one_is_closed(
    client, full_slot
):
    joined(client, full_slot)
    VoucherList.objects.all().delete()  # as if nothing had been imported yet
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    assert WaitlistEntry.objects.get().status == "waiting"
    assert not Offer.objects.exists()
    check_invariants()


def test_the_list_cannot_be_deleted_in_admin(screenings):
    from django.contrib.admin.sites import site

    from vouchers.models import VoucherList as Model

    assert site._registry[Model].has_delete_permission(None) is False

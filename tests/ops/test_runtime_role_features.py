"""The second wave's write paths work as the least-privileged runtime role: a lottery
round from application to draw, verification and result mail; waiting-list offers made,
expired and confirmed; the city's 受診券 list replaced; check-in and calling a session
off; a family booked together. (tests/ops/test_runtime_role.py has the first wave's.)

Each body runs logged in as the runtime role (conftest.as_runtime_role): the data is made
by the real services and commands under that role, as the app and the scheduler would.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.context import AuditContext
from core.roles import HEALTH_CENTRE
from lottery.models import Application, Round
from reception import services as reception
from reservations import services as booking
from reservations.group import GroupContact, reservation_create_group
from reservations.models import Reservation
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt
from tests.helpers import make_staff
from tests.lottery.helpers import apply, make_round
from vouchers import services as vouchers
from waitlist import services as waitlist
from waitlist.models import Offer

pytestmark = pytest.mark.postgres


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _slots(*, capacity=2, day_offset=14, hours=(9, 10)):
    venue = VenueFactory()
    lung = ScreeningTypeFactory(code="lung")
    day = timezone.localdate() + timedelta(days=day_offset)
    return [
        SlotFactory(
            venue=venue, screening_type=lung, starts_at=local_dt(day, hour, 0), capacity=capacity
        )
        for hour in hours
    ]


def _person(n):
    return details(furigana=f"シケン {'アイウエオカキクケコ'[n]}", email=f"p{n}@example.jp")


def test_a_lottery_round_is_drawn_verified_and_mailed_as_the_runtime_role(
    as_runtime_role, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    slots = _slots(capacity=1)
    round_ = make_round(slots)
    for n in range(3):
        apply(round_, [slots[0], slots[1]], n=n, person=_person(n))
    now = timezone.now()
    Round.objects.filter(pk=round_.pk).update(
        opens_at=now - timedelta(hours=2),
        closes_at=now - timedelta(minutes=2),
        draw_at=now - timedelta(minutes=1),
    )

    _run("lottery_draw", "--due")
    _run("lottery_verify", str(round_.pk))
    _run("send_lottery_mail")

    assert Application.objects.filter(result="won").count() == 2
    assert Reservation.objects.filter(channel=Reservation.Channel.LOTTERY).count() == 2


def test_waiting_list_offers_are_made_expired_and_confirmed_as_the_runtime_role(
    as_runtime_role,
):
    (slot,) = _slots(capacity=1, hours=(9,))
    taken = booking.reservation_create(slots=[slot], details=_person(0)).reservation
    slot.refresh_from_db()  # full now
    first = waitlist.entry_join(
        screening_type=slot.screening_type, details=_person(1), slots=[slot]
    )
    second = waitlist.entry_join(
        screening_type=slot.screening_type, details=_person(2), slots=[slot]
    )

    booking.reservation_cancel(reservation=taken)  # the freed place is offered at once
    offer = Offer.objects.get(entry=first)
    now = timezone.now()
    Offer.objects.filter(pk=offer.pk).update(
        created_at=now - timedelta(hours=2), expires_at=now - timedelta(minutes=1)
    )
    _run("expire_waitlist_offers")  # passes the place to the next in line

    passed = Offer.objects.get(entry=second)
    reservation = waitlist.offer_confirm(offer=passed)
    assert reservation.channel == Reservation.Channel.WAITLIST
    slot.refresh_from_db()
    assert (slot.booked, slot.held) == (1, 0)


def test_the_city_list_is_replaced_as_the_runtime_role(as_runtime_role):
    ScreeningTypeFactory(code="lung")
    context = AuditContext(actor=make_staff("hoken", roles=[HEALTH_CENTRE]))
    header = "受診券番号,氏名,生年月日,性別,受診可能検診,費用区分\r\n"
    for number in ("0001", "0002"):
        data = (header + f"{number},試験 太郎,1960-04-01,男,lung,\r\n").encode("cp932")
        _parsed, pending = vouchers.voucher_list_stage(data=data, audit_context=context)
        assert pending is not None
        vouchers.voucher_list_replace(
            pending_id=pending.pk, file_sha256=pending.file_sha256, audit_context=context
        )


def test_check_in_and_calling_a_session_off_work_as_the_runtime_role(as_runtime_role):
    first, second = _slots(day_offset=3, hours=(9, 10))
    on_the_day = first.starts_at - timedelta(minutes=30)
    staff = make_staff("uketsuke", roles=[HEALTH_CENTRE])
    context = AuditContext(actor=staff)
    reservation = booking.reservation_create(slots=[first], details=_person(0)).reservation
    booking.reservation_create(slots=[second], details=_person(1))

    item = reservation.items.get()
    reception.attendance_mark(
        item=item, status="attended", user=staff, audit_context=context, now=on_the_day
    )
    reception.attendance_undo(item=item, audit_context=context, now=on_the_day)
    result = reception.call_off(
        venue=first.venue, day=first.local_date, user=staff, audit_context=context
    )

    assert result.cancelled == 2
    assert not Reservation.objects.filter(status=Reservation.Status.CONFIRMED).exists()


def test_a_family_is_booked_together_as_the_runtime_role(as_runtime_role):
    (slot,) = _slots(capacity=3, hours=(9,))

    result = reservation_create_group(
        slots=[slot],
        people=[_person(0), _person(1)],
        contact=GroupContact(name="山田 一郎", phone="048-481-0000", email="ichiro@example.jp"),
    )

    assert len(result.reservations) == 2
    slot.refresh_from_db()
    assert slot.booked == 2

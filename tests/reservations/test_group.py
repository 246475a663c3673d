"""Booking for the family: every person of a group gets their own booking, or nobody does."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from reservations import services
from reservations.group import (
    GroupContact,
    GroupDoesNotFit,
    GroupNotEligible,
    GroupTooLarge,
    SamePersonTwice,
    reservation_create_group,
)
from reservations.models import Notification, Reservation, ReservationGroup, Slot
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt

pytestmark = pytest.mark.django_db

CONTACT = GroupContact(name="山田 一郎", phone="090-1234-5678", email="ichiro@example.jp")


def father():
    return details(name="山田 太郎", furigana="ヤマダ タロウ", birth_date=date(1950, 6, 1), sex="M")


def mother():
    return details(name="山田 花子", furigana="ヤマダ ハナコ", birth_date=date(1952, 8, 3))


def aunt():
    return details(name="鈴木 京子", furigana="スズキ キョウコ", birth_date=date(1955, 2, 9))


def session(capacities, *, screening=None, venue=None, day=None):
    """Slots of one screening at one venue on one day, 30 minutes apart from 9:00."""
    screening = screening or ScreeningTypeFactory()
    venue = venue or VenueFactory()
    day = day or timezone.localdate() + timedelta(days=14)
    return [
        SlotFactory(
            screening_type=screening,
            venue=venue,
            starts_at=local_dt(day, 9 + (i // 2), 30 * (i % 2)),
            capacity=capacity,
        )
        for i, capacity in enumerate(capacities)
    ]


def book(slots, people, **kwargs):
    return reservation_create_group(slots=slots, people=people, contact=CONTACT, **kwargs)


def test_each_person_gets_their_own_reservation_and_number_at_the_chosen_time():
    (slot,) = session([5])
    result = book([slot], [father(), mother()])
    slot.refresh_from_db()
    assert slot.booked == 2
    numbers = {r.number for r in result.reservations}
    assert len(numbers) == 2
    assert [r.citizen.name for r in result.reservations] == ["山田 太郎", "山田 花子"]
    assert [r.group_position for r in result.reservations] == [0, 1]
    assert result.group.first_number == result.reservations[0].number
    assert result.group.contact_name == "山田 一郎"


def test_one_confirmation_mail_goes_to_the_contact_for_the_whole_group():
    (slot,) = session([5])
    result = book([slot], [father(), mother(), aunt()])
    mails = Notification.objects.filter(reservation__group=result.group)
    assert [(m.kind, m.reservation_id) for m in mails] == [
        (Notification.Kind.GROUP_CONFIRMATION, result.reservations[0].pk)
    ]


def test_without_a_contact_address_no_mail_is_queued():
    (slot,) = session([5])
    result = reservation_create_group(
        slots=[slot], people=[father()], contact=GroupContact(name="山田 一郎", phone="0484812211")
    )
    assert not Notification.objects.filter(reservation__group=result.group).exists()


def test_group_spills_into_the_nearest_times_of_the_session_when_one_time_is_too_small():
    first, second, third = session([1, 1, 5])
    result = book([first], [father(), mother(), aunt()])
    times = [r.items.get().slot_id for r in result.reservations]
    assert times == [first.pk, second.pk, third.pk]
    assert [Slot.objects.get(pk=s.pk).booked for s in (first, second, third)] == [1, 1, 1]


def test_nearest_time_is_preferred_on_both_sides_of_the_chosen_one():
    _early, chosen, late, _later = session([5, 1, 5, 5])
    result = book([chosen], [father(), mother()])
    assert [r.items.get().slot_id for r in result.reservations] == [chosen.pk, late.pk]


def test_group_that_does_not_fit_books_nobody_and_offers_sessions_that_fit():
    screening = ScreeningTypeFactory()
    venue = VenueFactory()
    slots = session([1, 1], screening=screening, venue=venue)
    later_day = timezone.localdate() + timedelta(days=21)
    (roomy,) = session([3], screening=screening, venue=venue, day=later_day)
    session([2], screening=screening, venue=VenueFactory(), day=later_day)  # too small
    with pytest.raises(GroupDoesNotFit) as refused:
        book([slots[0]], [father(), mother(), aunt()])
    assert [s.slots for s in refused.value.alternatives] == [[roomy]]
    assert Reservation.objects.count() == 0 and ReservationGroup.objects.count() == 0
    assert sum(Slot.objects.values_list("booked", flat=True)) == 0


def test_the_same_person_twice_in_a_group_is_refused_by_name():
    (slot,) = session([5])
    with pytest.raises(SamePersonTwice) as refused:
        book(
            [slot],
            [
                father(),
                mother(),
                details(
                    name="山田 太郎 (2)",
                    furigana="やまだ たろう",
                    birth_date=date(1950, 6, 1),
                    sex="M",
                ),
            ],
        )
    assert refused.value.position == 2
    assert Reservation.objects.count() == 0


def test_each_refused_person_is_named_with_their_reasons_and_nobody_is_booked():
    breast = ScreeningTypeFactory(code="breast", name="乳がん検診", name_en="Breast", sex="F")
    (slot,) = session([5], screening=breast)
    young = details(name="山田 さくら", furigana="ヤマダ サクラ", birth_date=date(2000, 1, 1))
    with pytest.raises(GroupNotEligible) as refused:
        book([slot], [father(), mother(), young])
    assert [(r.position, r.name, [x.code for x in r.reasons]) for r in refused.value.refusals] == [
        (0, "山田 太郎", ["wrong_sex"]),
        (2, "山田 さくら", ["too_young"]),
    ]
    assert Reservation.objects.count() == 0


def test_a_person_already_booked_alone_cannot_be_booked_again_in_a_group():
    (slot,) = session([5])
    services.reservation_create(slots=[slot], details=mother())
    with pytest.raises(GroupNotEligible) as refused:
        book([slot], [father(), mother()])
    assert [(r.name, r.reasons[0].code) for r in refused.value.refusals] == [
        ("山田 花子", "already_booked")
    ]


def test_a_person_booked_in_one_group_cannot_be_booked_in_another():
    (slot,) = session([5])
    book([slot], [father(), mother()])
    with pytest.raises(GroupNotEligible):
        book([slot], [aunt(), father()])
    assert Reservation.objects.count() == 2


def test_interval_rule_holds_across_fiscal_years_for_each_person():
    breast = ScreeningTypeFactory(
        code="breast", name="乳がん検診", name_en="Breast", sex="F", interval_years=2
    )
    venue = VenueFactory()
    # The last days of one fiscal year and the first of the next: both open now.
    this_year = timezone.localdate().year + (1 if timezone.localdate().month >= 4 else 0)
    march = SlotFactory(
        screening_type=breast, venue=venue, starts_at=local_dt(date(this_year, 3, 20))
    )
    april = SlotFactory(
        screening_type=breast, venue=venue, starts_at=local_dt(date(this_year, 4, 10))
    )
    services.reservation_create(slots=[march], details=mother())
    with pytest.raises(GroupNotEligible) as refused:
        book([april], [aunt(), mother()])
    assert [(r.name, [x.code for x in r.reasons]) for r in refused.value.refusals] == [
        ("山田 花子", ["interval"])
    ]


def test_each_person_may_take_their_own_screenings_at_the_session():
    lung, colon = session([5]), None
    colon_type = ScreeningTypeFactory(
        code="colon", name="大腸がん検診", name_en="Colon", min_age=40
    )
    (colon,) = session([5], screening=colon_type, venue=lung[0].venue, day=lung[0].local_date)
    result = book(
        [lung[0], colon],
        [father(), mother()],
        wanted=[[lung[0].screening_type_id, colon_type.pk], [colon_type.pk]],
    )
    held = [
        sorted(r.items.values_list("screening_type_id", flat=True)) for r in result.reservations
    ]
    assert held == [sorted([lung[0].screening_type_id, colon_type.pk]), [colon_type.pk]]


def test_more_people_than_the_setting_allows_are_refused(settings):
    settings.GROUP_MAX_PEOPLE = 2
    (slot,) = session([5])
    with pytest.raises(GroupTooLarge):
        book([slot], [father(), mother(), aunt()])


def test_a_replayed_submit_returns_the_first_group():
    (slot,) = session([5])
    first = book([slot], [father(), mother()], form_token="t" * 32)
    again = book([slot], [father(), mother()], form_token="t" * 32)
    assert again.created is False and again.group.pk == first.group.pk
    assert Slot.objects.get(pk=slot.pk).booked == 2


def test_each_member_can_cancel_theirs_alone():
    (slot,) = session([5])
    result = book([slot], [father(), mother()])
    services.reservation_cancel(reservation=result.reservations[1])
    assert Reservation.objects.get(pk=result.reservations[0].pk).is_live
    assert Slot.objects.get(pk=slot.pk).booked == 1


def test_single_booking_is_unchanged_and_belongs_to_no_group():
    (slot,) = session([5])
    reservation = services.reservation_create(slots=[slot], details=mother()).reservation
    assert reservation.group is None and reservation.group_position is None
    assert Notification.objects.filter(reservation=reservation).count() == 1


def test_the_contact_details_are_purged_with_the_last_member():
    from reservations import retention

    (slot,) = session([5])
    result = book([slot], [father(), mother()])
    retention.reservations_purge(now=slot.starts_at + timedelta(days=400))
    assert not Reservation.objects.exists()
    assert not ReservationGroup.objects.filter(pk=result.group.pk).exists()

"""Joining, offering in line order, skipping the ineligible, answering and expiring."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from reservations import services as booking
from reservations.errors import AlreadyBooked, NotEligible
from reservations.models import Reservation, Slot
from tests.factories import SlotFactory, VenueFactory, local_dt
from tests.waitlist.helpers import check_invariants, fill, join, resident
from waitlist import housekeeping, services
from waitlist.errors import AlreadyWaiting, EntryClosed, InvalidChoice, OfferNotOpen, PlacesFree
from waitlist.models import Offer, WaitlistEntry, WaitlistMail

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_slot():
    slot = SlotFactory(capacity=2)
    bookings = fill(slot)
    slot.refresh_from_db()
    slot.bookings = bookings
    return slot


def test_joining_a_full_slot_gives_a_twelve_digit_entry_number_and_a_mail(full_slot):
    entry = join(full_slot, 1)
    assert entry.status == WaitlistEntry.Status.WAITING
    assert len(entry.number) == 12 and entry.number.isdigit()
    assert list(entry.slots.all()) == [full_slot]
    assert WaitlistMail.objects.filter(entry=entry, kind="joined").count() == 1


def test_joining_a_slot_with_free_places_is_refused():
    slot = SlotFactory(capacity=2)
    with pytest.raises(PlacesFree):
        join(slot, 1)
    assert not WaitlistEntry.objects.exists()


def test_one_live_entry_per_person_screening_and_year(full_slot):
    join(full_slot, 1)
    with pytest.raises(AlreadyWaiting):
        join(full_slot, 1)
    assert WaitlistEntry.objects.count() == 1


def test_the_database_refuses_a_second_live_entry(full_slot):
    first = join(full_slot, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntry.objects.create(
            number="000000000001",
            screening_type=first.screening_type,
            fiscal_year=first.fiscal_year,
            person_key=first.person_key,
            name="x",
            furigana="x",
            birth_date=first.birth_date,
            sex="F",
            postal_code="3520001",
            address="x",
            phone="0",
        )


def test_someone_already_booked_cannot_join(full_slot):
    booked = full_slot.bookings[0].citizen
    details = resident(1000)  # the first booker
    assert details.furigana == booked.furigana
    with pytest.raises(AlreadyBooked):
        services.entry_join(
            screening_type=full_slot.screening_type, details=details, slots=[full_slot]
        )


def test_an_ineligible_person_cannot_join(full_slot):
    with pytest.raises(NotEligible) as refused:
        services.entry_join(
            screening_type=full_slot.screening_type,
            details=resident(1, birth_date=date(2000, 1, 1)),
            slots=[full_slot],
        )
    assert refused.value.reasons[0].code == "too_young"


def test_a_choice_of_another_screening_or_no_dates_is_refused(full_slot):
    other = SlotFactory(screening_type__code="stomach")
    with pytest.raises(InvalidChoice):
        services.entry_join(
            screening_type=full_slot.screening_type, details=resident(1), slots=[other]
        )
    with pytest.raises(InvalidChoice):
        services.entry_join(screening_type=full_slot.screening_type, details=resident(1))


def test_a_cancellation_offers_the_place_to_the_first_in_line_and_holds_it(full_slot):
    first, second = join(full_slot, 1), join(full_slot, 2)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    full_slot.refresh_from_db()
    assert (full_slot.booked, full_slot.held, full_slot.remaining) == (1, 1, 0)
    offer = Offer.objects.get()
    assert offer.entry == first and offer.status == Offer.Status.OPEN
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "offered" and second.status == "waiting"
    assert WaitlistMail.objects.filter(entry=first, kind="offer", offer=offer).exists()
    check_invariants()


def test_a_held_place_cannot_be_booked_first_come(full_slot):
    join(full_slot, 1)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    with pytest.raises(booking.SlotFull):
        booking.reservation_create(slots=[Slot.objects.get()], details=resident(77))
    check_invariants()


def test_the_database_refuses_booked_plus_held_over_capacity(full_slot):
    from django.db.models import F

    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=full_slot.pk).update(held=F("held") + 1)


def test_a_date_range_entry_accepts_slots_at_its_venue_only(full_slot):
    day = full_slot.local_date
    other_venue = SlotFactory(
        screening_type=full_slot.screening_type,
        venue=VenueFactory(),
        starts_at=full_slot.starts_at + timedelta(hours=1),
        capacity=1,
    )
    fill(other_venue, start=2000)
    at_venue = services.entry_join(
        screening_type=full_slot.screening_type,
        details=resident(1),
        venue=other_venue.venue,
        first_date=day,
        last_date=day,
    )
    anywhere = services.entry_join(
        screening_type=full_slot.screening_type,
        details=resident(2),
        first_date=day - timedelta(days=1),
        last_date=day + timedelta(days=1),
    )
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    assert Offer.objects.get().entry == anywhere
    at_venue.refresh_from_db()
    assert at_venue.status == "waiting"


def test_an_entry_booked_elsewhere_meanwhile_is_skipped_and_closed_with_its_reason(full_slot):
    first, second = join(full_slot, 1), join(full_slot, 2)
    elsewhere = SlotFactory(
        screening_type=full_slot.screening_type, starts_at=full_slot.starts_at + timedelta(days=1)
    )
    booking.reservation_create(slots=[elsewhere], details=resident(1))
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    first.refresh_from_db()
    assert first.status == "closed" and first.closed_reason == "already_booked"
    assert WaitlistMail.objects.filter(entry=first, kind="closed").exists()
    assert Offer.objects.get().entry == second
    check_invariants()


def test_confirming_books_through_the_booking_service_with_channel_waitlist(full_slot):
    entry = join(full_slot, 1)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    offer = Offer.objects.get()
    reservation = services.offer_confirm(offer=offer)
    assert reservation.channel == Reservation.Channel.WAITLIST
    assert reservation.notifications.filter(kind="confirmation").exists()
    full_slot.refresh_from_db()
    assert (full_slot.booked, full_slot.held) == (2, 0)
    entry.refresh_from_db()
    offer.refresh_from_db()
    assert entry.status == "booked" and offer.status == "confirmed"
    assert offer.reservation == reservation
    with pytest.raises(OfferNotOpen):
        services.offer_confirm(offer=offer)
    check_invariants()


def test_confirming_after_booking_elsewhere_closes_the_entry_and_passes_the_place_on(full_slot):
    join(full_slot, 1)
    second = join(full_slot, 2)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    offer = Offer.objects.get()
    elsewhere = SlotFactory(
        screening_type=full_slot.screening_type, starts_at=full_slot.starts_at + timedelta(days=1)
    )
    booking.reservation_create(slots=[elsewhere], details=resident(1))
    with pytest.raises(AlreadyBooked):
        services.offer_confirm(offer=offer)
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert Offer.objects.get(status="open").entry == second
    check_invariants()


def test_declining_frees_the_hold_for_the_next_in_line(full_slot):
    first, second = join(full_slot, 1), join(full_slot, 2)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    services.offer_decline(offer=Offer.objects.get())
    first.refresh_from_db()
    assert first.status == "declined" and first.closed_at is not None
    assert Offer.objects.get(status="open").entry == second
    full_slot.refresh_from_db()
    assert full_slot.held == 1
    check_invariants()


def test_declining_with_nobody_left_gives_the_place_back_to_everyone(full_slot):
    join(full_slot, 1)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    services.offer_decline(offer=Offer.objects.get())
    full_slot.refresh_from_db()
    assert (full_slot.held, full_slot.remaining) == (0, 1)
    check_invariants()


def test_leaving_withdraws_an_open_offer_and_passes_it_on(full_slot):
    first, second = join(full_slot, 1), join(full_slot, 2)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    services.entry_leave(entry=first)
    assert Offer.objects.get(status="open").entry == second
    with pytest.raises(EntryClosed):
        services.entry_leave(entry=first)
    check_invariants()


def test_expiry_passes_the_place_on_once_and_is_idempotent(full_slot):
    first, second = join(full_slot, 1), join(full_slot, 2)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    offer = Offer.objects.get()
    later = offer.expires_at + timedelta(seconds=1)
    assert services.offers_expire(now=later) == 1
    assert services.offers_expire(now=later) == 0
    first.refresh_from_db()
    assert first.status == "expired"
    assert Offer.objects.get(status="open").entry == second
    check_invariants()


def test_an_expired_offer_cannot_be_confirmed(full_slot):
    join(full_slot, 1)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    offer = Offer.objects.get()
    with pytest.raises(OfferNotOpen):
        services.offer_confirm(offer=offer, now=offer.expires_at)


def test_an_offer_lasts_the_setting_but_never_past_the_booking_close(settings):
    settings.WAITLIST_OFFER_HOURS = 24
    now = timezone.now()
    far = SlotFactory(starts_at=local_dt(timezone.localdate() + timedelta(days=30)))
    assert services.offer_expiry(far, now) == now + timedelta(hours=24)
    soon = SlotFactory(starts_at=now + timedelta(hours=30), closes_at=now + timedelta(hours=8))
    assert services.offer_expiry(soon, now) == now + timedelta(hours=2)
    closing = SlotFactory(
        starts_at=now + timedelta(hours=30), closes_at=now + timedelta(minutes=30)
    )
    assert services.offer_expiry(closing, now) == closing.closes_at


def test_raising_capacity_offers_the_new_places_in_order(full_slot):
    first, second, third = (join(full_slot, n) for n in (1, 2, 3))
    assert booking.slot_set_capacity(slot=full_slot, capacity=4)
    assert set(Offer.objects.values_list("entry", flat=True)) == {first.pk, second.pk}
    third.refresh_from_db()
    assert third.status == "waiting"
    check_invariants()


def test_capacity_cannot_drop_below_booked_plus_held(full_slot):
    join(full_slot, 1)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    assert not booking.slot_set_capacity(slot=full_slot, capacity=1)
    assert booking.slot_set_capacity(slot=full_slot, capacity=2)


def test_a_move_away_offers_the_place_it_left(full_slot):
    entry = join(full_slot, 1)
    other = SlotFactory(
        screening_type=full_slot.screening_type,
        venue=full_slot.venue,
        starts_at=full_slot.starts_at + timedelta(hours=2),
    )
    booking.reservation_move(reservation=full_slot.bookings[0], new_slots=[other])
    assert Offer.objects.get().entry == entry


def test_the_command_expires_and_sends(full_slot, mailoutbox, capsys):
    join(full_slot, 1)
    join(full_slot, 2)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    Offer.objects.update(
        created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(days=1)
    )
    call_command("expire_waitlist_offers")
    assert "1 expired" in capsys.readouterr().out
    subjects = [m.subject for m in mailoutbox]
    assert len(subjects) == 4  # two joined, two offers (the first expired, then the second)
    offer_mail = [m for m in mailoutbox if "/waitlist/offer/" in m.body]
    assert len(offer_mail) == 2
    # Like every mail here, they name no one.
    assert not any(resident(n).name in m.body for m in mailoutbox for n in (1, 2))
    assert WaitlistMail.objects.filter(status="pending").count() == 0


def test_an_entry_whose_times_have_passed_is_closed_and_the_person_may_join_again(full_slot):
    entry = join(full_slot, 1)
    ranged = services.entry_join(
        screening_type=full_slot.screening_type,
        details=resident(2),
        first_date=full_slot.local_date,
        last_date=full_slot.local_date,
    )
    assert housekeeping.entries_close_stale() == 0
    after_close = full_slot.closes_at + timedelta(minutes=1)
    assert housekeeping.entries_close_stale(now=after_close) == 2
    entry.refresh_from_db()
    ranged.refresh_from_db()
    assert entry.closed_reason == ranged.closed_reason == "window_closed"
    later = SlotFactory(
        screening_type=full_slot.screening_type,
        starts_at=full_slot.starts_at + timedelta(days=3),
        capacity=1,
    )
    fill(later, start=5000)
    later.refresh_from_db()
    assert join(later, 1).status == "waiting"  # not refused as already waiting


def test_a_stale_live_entry_does_not_block_joining_for_other_times(full_slot):
    join(full_slot, 1)
    later = SlotFactory(
        screening_type=full_slot.screening_type,
        starts_at=full_slot.starts_at + timedelta(days=3),
        capacity=1,
    )
    fill(later, start=5000)
    with pytest.raises(AlreadyWaiting):
        join(later, 1)
    assert join(later, 1, now=full_slot.closes_at + timedelta(minutes=1)).status == "waiting"


def test_entries_are_purged_after_the_retention_period(full_slot, settings):
    settings.RESERVATION_RETENTION_DAYS = 90
    entry = join(full_slot, 1)
    services.entry_leave(entry=entry)
    assert housekeeping.entries_purge() == 0
    assert housekeeping.entries_purge(now=timezone.now() + timedelta(days=91)) == 1
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", ["空きが出ました", "までに、予約するかお断りするかをお選びください"]),
        ("en", ["A place is free for you", "Please confirm or decline by"]),
    ],
)
def test_the_offer_mail_is_in_the_residents_language_with_the_link(
    full_slot, mailoutbox, settings, language, words
):
    settings.SITE_URL = "https://kenshin.example.jp"
    join(full_slot, 1, language=language)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    call_command("expire_waitlist_offers")
    offer = Offer.objects.get()
    [message] = [m for m in mailoutbox if offer.token in m.body]
    prefix = "/en" if language == "en" else ""
    assert f"https://kenshin.example.jp{prefix}/waitlist/offer/{offer.token}/" in message.body
    assert words[0] in message.subject
    assert words[1] in message.body
    assert message.to == [resident(1).email]
    [(html, mimetype)] = message.alternatives  # the same words as HTML, as booking mails
    assert mimetype == "text/html"
    assert f'<html lang="{language}">' in html
    assert f'href="https://kenshin.example.jp{prefix}/waitlist/offer/{offer.token}/"' in html
    assert words[1] in html


def test_the_lottery_may_add_losers_to_slots_with_places_left_which_are_offered_at_once():
    slot = SlotFactory(capacity=2)
    first = services.entry_join(
        screening_type=slot.screening_type,
        details=resident(1),
        slots=[slot],
        channel=WaitlistEntry.Channel.LOTTERY,
    )
    first.refresh_from_db()
    assert first.status == "offered"
    assert Offer.objects.get().entry == first
    slot.refresh_from_db()
    assert (slot.held, slot.remaining) == (1, 1)
    check_invariants()


def test_a_screening_that_needs_a_ticket_is_joined_only_with_one(full_slot):
    from reservations.models import ScreeningType

    ScreeningType.objects.filter(pk=full_slot.screening_type_id).update(voucher_required=True)
    full_slot.refresh_from_db()
    with pytest.raises(NotEligible) as refused:
        join(full_slot, 1)
    assert refused.value.reasons[0].code == "voucher_missing"
    assert not WaitlistEntry.objects.exists()


def test_calling_a_session_off_withdraws_its_offers_and_keeps_the_entry_in_line(full_slot):
    from audit.context import AuditContext
    from reception import services as reception

    entry = join(full_slot, 1)
    booking.reservation_cancel(reservation=full_slot.bookings[0])
    offer = Offer.objects.get(entry=entry)

    reception.call_off(
        venue=full_slot.venue,
        day=full_slot.local_date,
        user=None,
        audit_context=AuditContext(),
    )

    offer.refresh_from_db()
    entry.refresh_from_db()
    full_slot.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert entry.status == WaitlistEntry.Status.WAITING
    assert (full_slot.booked, full_slot.held) == (0, 0)
    check_invariants()


def test_a_cancellation_nobody_waits_for_asks_the_waiting_list_one_query():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    slot = SlotFactory(capacity=2)
    reservation = booking.reservation_create(slots=[slot], details=resident(1)).reservation
    with CaptureQueriesContext(connection) as queries:
        booking.reservation_cancel(reservation=reservation)
    touching = [q for q in queries if "waitlist_" in q["sql"] or "lottery_" in q["sql"]]
    assert len(touching) == 1  # "does anyone wait for this screening?": no
    slot.refresh_from_db()
    assert slot.booked == 0

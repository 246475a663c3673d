"""Applying, changing, withdrawing, drawing once, holding slots, and verifying a draw."""

import csv
import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from lottery import services
from lottery.errors import (
    AlreadyApplied,
    AlreadyDrawn,
    DrawTooEarly,
    InvalidPreferences,
    NotChangeable,
    RoundNotOpen,
    SlotsTaken,
)
from lottery.models import Application, LotteryNotification, Round, RoundSlot
from lottery.publication import places_csv, results_csv, verify_round
from lottery.seed import open_seed
from reservations import services as booking
from reservations.errors import AlreadyBooked, HeldForLottery, NotEligible
from reservations.models import Reservation
from tests.factories import SlotFactory
from tests.lottery.helpers import apply, close, make_round, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def slots():
    first = SlotFactory(capacity=2)
    second = SlotFactory(
        venue=first.venue,
        screening_type=first.screening_type,
        starts_at=first.starts_at + timedelta(hours=1),
        capacity=2,
    )
    return first, second


def test_seed_is_encrypted_and_matches_its_commitment(slots):
    round_ = make_round(slots)
    seed = open_seed(bytes(round_.seed_ciphertext), round_.commitment)
    assert len(seed) == 32
    assert hashlib.sha256(seed).hexdigest() == round_.commitment
    assert seed not in bytes(round_.seed_ciphertext)


def test_a_slot_belongs_to_one_undrawn_round(slots):
    make_round(slots)
    with pytest.raises(SlotsTaken):
        make_round(slots)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoundSlot.objects.create(round=Round.objects.first(), slot=slots[0])


def test_application_gets_a_twelve_digit_number_and_a_mail(slots):
    round_ = make_round(slots)
    application = apply(round_, [slots[0], slots[1]])
    assert len(application.number) == 12 and application.number.isdigit()
    assert list(application.preferences.values_list("rank", flat=True)) == [1, 2]
    assert LotteryNotification.objects.filter(application=application, kind="received").exists()


def test_no_mail_without_email(slots):
    round_ = make_round(slots)
    application = apply(round_, [slots[0]], person=person(1, email=""))
    assert not application.notifications.exists()


def test_second_live_application_for_the_same_screening_is_refused(slots):
    round_ = make_round(slots)
    apply(round_, [slots[0]])
    with pytest.raises(AlreadyApplied):
        apply(round_, [slots[1]])


def test_withdrawn_person_may_apply_again(slots):
    round_ = make_round(slots)
    first = apply(round_, [slots[0]])
    services.application_withdraw(application=first)
    assert apply(round_, [slots[1]]).is_live


def test_existing_booking_of_the_screening_refuses_with_the_reason(slots):
    other = SlotFactory(screening_type=slots[0].screening_type, starts_at=slots[0].starts_at)
    booking.reservation_create(slots=[other], details=person(0))
    round_ = make_round(slots)
    with pytest.raises(AlreadyBooked):
        apply(round_, [slots[0]])


def test_ineligible_person_is_refused_with_readable_reasons(slots):
    round_ = make_round(slots)
    with pytest.raises(NotEligible) as refused:
        apply(
            round_,
            [slots[0]],
            person=person(2, birth_date=timezone.localdate() - timedelta(days=365 * 20)),
        )
    assert refused.value.reasons[0].code == "too_young"


def test_more_than_three_or_repeated_preferences_are_refused(slots):
    round_ = make_round(slots)
    with pytest.raises(InvalidPreferences):
        apply(round_, [slots[0], slots[0]])
    with pytest.raises(InvalidPreferences):
        apply(round_, [slots[0], slots[1], slots[0], slots[1]])


def test_set_application_must_be_one_session():
    lung = SlotFactory()
    stomach = SlotFactory(
        venue=lung.venue,
        screening_type__code="stomach",
        screening_type__min_age=40,
        starts_at=lung.starts_at + timedelta(days=1),
    )
    round_ = make_round([lung, stomach])
    with pytest.raises(InvalidPreferences):
        apply(round_, [[lung, stomach]])


def test_applying_outside_the_window_is_refused(slots):
    round_ = make_round(slots, opens_in=timedelta(hours=1), closes_in=timedelta(hours=2))
    with pytest.raises(RoundNotOpen):
        apply(round_, [slots[0]])


def test_change_and_withdraw_only_until_close(slots):
    round_ = make_round(slots)
    application = apply(round_, [slots[0]])
    services.application_change(
        application=application,
        preferences=[services.PreferenceChoice(slot_ids=(slots[1].pk,))],
        waitlist_consent=True,
    )
    assert application.preferences.get().slots.get() == slots[1]
    assert application.waitlist_consent
    close(round_)
    with pytest.raises(NotChangeable):
        services.application_withdraw(application=application)


def test_round_slots_refuse_first_come_booking_during_the_window(slots):
    make_round(slots)
    with pytest.raises(HeldForLottery) as refused:
        booking.reservation_create(slots=[slots[0]], details=person(5))
    assert refused.value.reasons[0].code == "held_for_lottery"
    assert not Reservation.objects.exists()


def test_slots_open_first_come_after_the_round(slots):
    make_round(
        slots,
        opens_in=timedelta(days=-3),
        closes_in=timedelta(days=-2),
        first_come_at=timezone.now() - timedelta(hours=1),
    )
    assert booking.reservation_create(slots=[slots[0]], details=person(5)).created


def _drawn_round(slots, people=6):
    round_ = make_round(slots)
    for n in range(people):
        apply(
            round_,
            [slots[0], slots[1]],
            n=n,
            person=person(n, email="" if n == 0 else f"p{n}@example.jp"),
        )
    close(round_)
    summary = services.round_draw(round_id=round_.pk)
    round_.refresh_from_db()
    return round_, summary


def test_draw_books_winners_through_the_booking_service(slots):
    round_, summary = _drawn_round(slots)
    assert (summary.winners, summary.lost, summary.places) == (4, 2, 4)
    for slot in slots:
        slot.refresh_from_db()
        assert slot.booked == slot.capacity
    won = Application.objects.filter(result="won")
    assert all(a.reservation.channel == Reservation.Channel.LOTTERY for a in won)
    assert (
        round_.published_seed
        and hashlib.sha256(bytes.fromhex(round_.published_seed)).hexdigest() == round_.commitment
    )
    assert LotteryNotification.objects.filter(kind__in=["won", "lost"]).count() == 5
    event = AuditEvent.objects.get(action="lottery.round.drawn")
    assert event.details["winners"] == 4 and event.details["seed"] == round_.published_seed


def test_second_draw_is_refused(slots):
    round_, _ = _drawn_round(slots)
    with pytest.raises(AlreadyDrawn):
        services.round_draw(round_id=round_.pk)
    with pytest.raises(CommandError):
        call_command("lottery_draw", str(round_.pk))
    assert Reservation.objects.count() == 4
    assert AuditEvent.objects.filter(action="lottery.round.draw_refused").exists()


def test_draw_before_close_is_refused(slots):
    round_ = make_round(slots)
    with pytest.raises(DrawTooEarly):
        services.round_draw(round_id=round_.pk)


def test_drawn_round_frees_its_slots_for_another_round(slots):
    _drawn_round(slots)
    assert make_round(slots).round_slots.count() == 2


def test_published_list_verifies_and_a_tampered_one_does_not(slots):
    round_, _ = _drawn_round(slots)
    assert verify_round(round_) == []
    call_command("lottery_verify", str(round_.pk))
    Application.objects.filter(result="lost").update(result="won", won_rank=1)
    with pytest.raises(CommandError):
        call_command("lottery_verify", str(round_.pk))


def test_independent_reimplementation_reproduces_the_published_allocation(slots):
    """A few lines written from docs/lottery.md alone, sharing no code with the app."""
    round_, _ = _drawn_round(slots)
    seed = bytes.fromhex(round_.published_seed)
    free = {
        int(r["slot_id"]): int(r["places"]) for r in csv.DictReader(io.StringIO(places_csv(round_)))
    }
    rows = [r for r in csv.DictReader(io.StringIO(results_csv(round_))) if r["result"] != "void"]
    rows.sort(key=lambda r: hashlib.sha256(seed + r["application_number"].encode("ascii")).digest())
    for row in rows:
        got = ("lost", "", "")
        for rank in (1, 2, 3):
            text = row[f"preference_{rank}"]
            if not text:
                continue
            groups = [[int(s) for s in g.split()] for g in text.split("+")]
            picks = [next((s for s in g if free[s] > 0), None) for g in groups]
            if None not in picks:
                for s in picks:
                    free[s] -= 1
                got = ("won", str(rank), " ".join(map(str, picks)))
                break
        assert (row["result"], row["won_preference"], row["won_slots"]) == got


def test_day_preference_wins_any_time_that_day(slots):
    round_ = make_round(slots)
    day = services.PreferenceChoice(venue_id=slots[0].venue_id, day=slots[0].local_date)
    for n in range(3):
        services.application_create(
            round_=round_,
            details=person(n),
            screening_ids=[slots[0].screening_type_id],
            preferences=[day],
        )
    close(round_)
    assert services.round_draw(round_id=round_.pk).winners == 3


def test_outbox_mails_are_sent_once_in_the_application_language(slots, mailoutbox):
    from lottery.mail import send_pending

    round_ = make_round(slots)
    apply(round_, [slots[0]], n=1, language="en")
    assert send_pending() == (1, 0)
    assert send_pending() == (0, 0)
    assert len(mailoutbox) == 1
    assert "application" in mailoutbox[0].subject.lower()
    # Like every mail here, it names no one (tests.lottery.helpers.person: 試験 1).
    assert "試験" not in mailoutbox[0].body
    # The booking mails' shape: an HTML part with the same words, its language, one id.
    message = mailoutbox[0]
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and '<html lang="en">' in html and "試験" not in html
    assert "Application number" in html
    assert message.extra_headers["Content-Language"] == "en"
    assert message.extra_headers["Message-ID"].startswith("<kenshin.lottery.")


def test_draw_due_draws_rounds_whose_draw_time_has_passed(slots):
    round_ = make_round(slots)
    apply(round_, [slots[0]])
    call_command("lottery_draw", "--due")
    round_.refresh_from_db()
    assert round_.drawn_at is None
    close(round_)
    call_command("lottery_draw", "--due")
    round_.refresh_from_db()
    assert round_.drawn_at is not None


def test_set_application_is_won_or_lost_whole_at_the_draw():
    lung = SlotFactory(capacity=2)
    stomach = SlotFactory(
        venue=lung.venue,
        screening_type__code="stomach",
        screening_type__min_age=40,
        starts_at=lung.starts_at + timedelta(minutes=30),
        capacity=1,
    )
    round_ = make_round([lung, stomach])
    for n in range(2):
        apply(round_, [[lung, stomach]], n=n)
    close(round_)
    summary = services.round_draw(round_id=round_.pk)
    assert (summary.winners, summary.lost) == (1, 1)
    lung.refresh_from_db()
    stomach.refresh_from_db()
    assert (lung.booked, stomach.booked) == (1, 1)
    winner = Application.objects.get(result="won")
    assert sorted(winner.reservation.items.values_list("slot_id", flat=True)) == sorted(
        [lung.pk, stomach.pk]
    )


def test_losers_who_agreed_join_the_waiting_list_in_draw_order_and_get_a_freed_place(
    slots, django_capture_on_commit_callbacks
):
    from waitlist.models import Offer, WaitlistEntry
    from waitlist.services import offer_confirm

    round_ = make_round(slots)
    for n in range(6):
        apply(round_, [slots[0], slots[1]], n=n, waitlist_consent=n != 5)
    close(round_)
    with django_capture_on_commit_callbacks(execute=True):
        summary = services.round_draw(round_id=round_.pk)
    assert (summary.winners, summary.lost) == (4, 2)
    losers = list(Application.objects.filter(result="lost").order_by("draw_position"))
    consenting = [a.person_key for a in losers if a.waitlist_consent]
    entries = list(WaitlistEntry.objects.order_by("pk"))
    assert [e.person_key for e in entries] == consenting
    assert {e.channel for e in entries} == {"lottery"}
    assert set(entries[0].slots.all()) == set(slots)

    # A winner cancels before first-come opens: the first loser in draw order is offered
    # the place, and can take it although the round still holds its slots.
    winner = Application.objects.filter(result="won").first()
    with django_capture_on_commit_callbacks(execute=True):
        booking.reservation_cancel(reservation=winner.reservation)
    offer = Offer.objects.get()
    assert offer.entry == entries[0]
    reservation = offer_confirm(offer=offer)
    assert reservation.channel == Reservation.Channel.WAITLIST


def test_an_application_booked_elsewhere_before_the_draw_is_void_and_takes_no_place(slots):
    round_ = make_round(slots)
    apply(round_, [slots[0]], n=1)
    other = SlotFactory(screening_type=slots[0].screening_type)
    booking.reservation_create(slots=[other], details=person(1))
    close(round_)
    summary = services.round_draw(round_id=round_.pk)
    assert (summary.void, summary.winners) == (1, 0)
    assert verify_round(Round.objects.get(pk=round_.pk)) == []


def test_purge_erases_details_of_drawn_rounds_past_retention_and_keeps_the_list(slots, settings):
    from lottery.retention import applications_erase

    round_, _ = _drawn_round(slots)
    Application.objects.filter(round=round_).update(voucher_number="00012345")
    before = results_csv(round_)
    assert applications_erase() == 0  # the screenings are still to come
    later = timezone.now() + timedelta(days=settings.RESERVATION_RETENTION_DAYS + 30)
    assert applications_erase(now=later) == 6
    assert not Application.objects.exclude(name="").exists()
    assert not Application.objects.exclude(voucher_number="").exists()
    assert results_csv(round_) == before
    assert applications_erase(now=later) == 0
    assert AuditEvent.objects.filter(action="lottery.application.erased").count() == 1


def test_lottery_verify_checks_downloaded_files(slots, tmp_path):
    round_, _ = _drawn_round(slots)
    results, places = tmp_path / "results.csv", tmp_path / "places.csv"
    results.write_text(results_csv(round_), "utf-8")
    places.write_text(places_csv(round_), "utf-8")
    call_command("lottery_verify", str(round_.pk), "--results", results, "--places", places)
    places.write_text(places_csv(round_).replace(",2\r\n", ",1\r\n", 1), "utf-8")
    with pytest.raises(CommandError):
        call_command("lottery_verify", str(round_.pk), "--results", results, "--places", places)


def test_a_seed_does_not_open_under_another_key(slots, settings):
    from cryptography.exceptions import InvalidTag

    round_ = make_round(slots)
    settings.LOTTERY_SEED_KEY = "11" * 32
    with pytest.raises(InvalidTag):
        open_seed(bytes(round_.seed_ciphertext), round_.commitment)


def test_a_called_off_session_in_a_round_gives_no_place_and_the_draw_still_runs(slots):
    from reservations.models import Slot

    round_ = make_round(slots)
    for n in range(3):
        apply(round_, [slots[0], slots[1]], n=n)
    close(round_)
    Slot.objects.filter(pk=slots[0].pk).update(called_off_at=timezone.now())

    summary = services.round_draw(round_id=round_.pk)

    assert (summary.winners, summary.lost) == (2, 1)
    assert not Reservation.objects.filter(items__slot=slots[0]).exists()
    round_.refresh_from_db()
    assert verify_round(round_) == []


def test_the_availability_page_shows_a_rounds_times_as_not_open_until_first_come(client, slots):
    from django.urls import reverse

    round_ = make_round(slots)
    elsewhere = SlotFactory(screening_type=slots[0].screening_type, starts_at=slots[0].starts_at)
    page = client.get(
        f"/screenings/{slots[0].screening_type.code}/",
        {"month": timezone.localtime(slots[0].starts_at).strftime("%Y-%m")},
    ).content.decode()

    assert reverse("reservations:book", args=[slots[0].pk]) not in page
    assert reverse("reservations:book", args=[slots[1].pk]) not in page
    assert reverse("reservations:book", args=[elsewhere.pk]) in page  # not in the round
    assert round_.first_come_at > timezone.now()


def test_the_waiting_list_offers_nothing_on_a_rounds_slot_before_its_draw(slots):
    from waitlist import services as waitlist
    from waitlist.models import Offer, WaitlistEntry

    make_round(slots)
    # The desk may add a caller for a time with places; before the draw they are the
    # round's to give, so no offer is made (and so no booking around the draw).
    waitlist.entry_join(
        screening_type=slots[0].screening_type,
        details=person(9),
        slots=[slots[0]],
        channel=WaitlistEntry.Channel.PHONE,
    )
    assert not Offer.objects.exists()


def test_an_smtp_outage_delays_the_mails_and_loses_none(slots, settings, mailoutbox):
    from datetime import timedelta

    from lottery.mail import send_pending
    from lottery.models import LotteryNotification
    from tests.reservations.test_cache_down import closed_port

    round_ = make_round(slots)
    apply(round_, [slots[0]], n=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    now = timezone.now()
    assert send_pending(now=now) == (0, 1)
    row = LotteryNotification.objects.get()
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at > now
    assert "ConnectionRefused" in row.last_error
    assert send_pending(now=now) == (0, 0)  # not again before its delay

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_pending(now=now + timedelta(hours=1)) == (1, 0)
    row.refresh_from_db()
    assert row.status == "sent" and len(mailoutbox) == 1


def test_a_mail_that_keeps_failing_is_given_up_after_the_attempts_allowed(slots, settings):
    from datetime import timedelta

    from lottery.mail import send_pending
    from lottery.models import LotteryNotification
    from tests.reservations.test_cache_down import closed_port

    round_ = make_round(slots)
    apply(round_, [slots[0]], n=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.MAIL_MAX_ATTEMPTS = 2
    later = timezone.now()
    for _ in range(3):
        later += timedelta(days=1)
        send_pending(now=later)
    assert LotteryNotification.objects.get().status == "failed"

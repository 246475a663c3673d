"""The lottery for staff: desk entry through the same service, statistics, call list,
the admin's round form and draw action."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from lottery import services
from lottery.models import Application, Round
from tests.factories import SlotFactory
from tests.helpers import login_staff, make_staff, make_superuser
from tests.lottery.helpers import apply, close, make_round, person
from tests.lottery.test_views import DETAILS

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client):
    return login_staff(client, make_staff("desk", roles=("health_centre",)))


@pytest.fixture
def admin_user_client(client):
    return login_staff(client, make_superuser())


@pytest.fixture
def round_and_slot():
    slot = SlotFactory(capacity=1)
    return make_round([slot]), slot


def test_desk_enters_an_application_audited(desk, round_and_slot):
    round_, slot = round_and_slot
    url = f"/staff/lottery/{round_.pk}/apply/"
    response = desk.post(
        url, {**DETAILS, "form_token": "t" * 32, "preference_1": f"slot:{slot.pk}"}
    )
    assert response.status_code == 200
    application = Application.objects.get()
    assert application.channel == "phone"
    assert application.display_number in response.content.decode()
    assert AuditEvent.objects.filter(action="lottery.application.entered_by_phone").exists()


def test_desk_is_told_why_a_second_application_is_refused(desk, round_and_slot):
    round_, slot = round_and_slot
    url = f"/staff/lottery/{round_.pk}/apply/"
    desk.post(url, {**DETAILS, "form_token": "a" * 32, "preference_1": f"slot:{slot.pk}"})
    response = desk.post(
        url, {**DETAILS, "form_token": "b" * 32, "preference_1": f"slot:{slot.pk}"}
    )
    assert response.status_code == 409
    assert Application.objects.count() == 1


def test_statistics_and_audited_call_list(desk, round_and_slot):
    round_, slot = round_and_slot
    apply(round_, [slot], n=1, person=person(1, email=""))
    apply(round_, [slot], n=2, person=person(2, email=""))
    close(round_)
    services.round_draw(round_id=round_.pk)
    body = desk.get(f"/staff/lottery/{round_.pk}/").content.decode()
    assert "<dd>1</dd>" in body  # one winner, one lost
    response = desk.get(f"/staff/lottery/{round_.pk}/call-list/")
    assert response.status_code == 200
    assert "試験 1" in response.content.decode()
    assert AuditEvent.objects.filter(action="lottery.call_list.viewed").exists()


def test_staff_pages_need_a_signed_in_verified_user(client, round_and_slot):
    round_, _ = round_and_slot
    assert client.get(f"/staff/lottery/{round_.pk}/call-list/").status_code == 302


def test_admin_creates_a_round_with_its_slots_and_commitment(admin_user_client):
    slot = SlotFactory()
    now = timezone.localtime()
    fmt = lambda t: {"0": t.strftime("%Y-%m-%d"), "1": t.strftime("%H:%M:%S")}  # noqa: E731
    data = {"name": "抽選", "name_en": "Lottery", "screening_types": [slot.screening_type_id]}
    for field, moment in {
        "opens_at": now,
        "closes_at": now + timedelta(days=1),
        "draw_at": now + timedelta(days=1),
        "first_come_at": now + timedelta(days=2),
    }.items():
        data.update({f"{field}_{k}": v for k, v in fmt(moment).items()})
    response = admin_user_client.post("/admin/lottery/round/add/", data)
    assert response.status_code == 302, re.findall(
        r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode()
    )
    round_ = Round.objects.get()
    assert len(round_.commitment) == 64
    assert list(round_.round_slots.values_list("slot_id", flat=True)) == [slot.pk]
    # A second round over the same slot is refused with a message.
    response = admin_user_client.post("/admin/lottery/round/add/", data)
    assert response.status_code == 200
    assert Round.objects.count() == 1


def test_admin_action_draws_once(admin_user_client):
    slot = SlotFactory()
    round_ = make_round([slot])
    apply(round_, [slot])
    close(round_)
    for _ in range(2):
        admin_user_client.post(
            "/admin/lottery/round/", {"action": "draw_rounds", "_selected_action": [round_.pk]}
        )
    round_.refresh_from_db()
    assert round_.drawn_at is not None
    assert AuditEvent.objects.filter(action="lottery.round.drawn").count() == 1
    assert AuditEvent.objects.filter(action="lottery.round.draw_refused").count() == 1


def test_the_desk_finds_a_callers_application_and_withdraws_it(desk, round_and_slot):
    from lottery.models import Application

    round_, slot = round_and_slot
    application = apply(round_, [slot], n=1, person=person(1))
    by_number = desk.post("/staff/lottery/find/", {"number": application.display_number})
    assert by_number.status_code == 200 and application.name in by_number.content.decode()
    holder = person(1)
    by_person = desk.post(
        "/staff/lottery/find/",
        {"furigana": holder.furigana, "birth_date": holder.birth_date.isoformat()},
    )
    assert by_person.status_code == 200
    assert application.display_number in by_person.content.decode()
    event = AuditEvent.objects.filter(action="lottery.applications.searched").latest("pk")
    assert event.details["application_ids"] == [application.pk]
    assert holder.furigana not in str(event.details)

    withdrawn = desk.post(f"/staff/lottery/applications/{application.pk}/withdraw/", follow=True)
    assert "取り下げました" in withdrawn.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert AuditEvent.objects.filter(action="lottery.application.withdrawn_by_phone").exists()
    again = desk.post(f"/staff/lottery/applications/{application.pk}/withdraw/", follow=True)
    assert "もう取り下げられません" in again.content.decode()


def test_the_desk_search_refuses_bad_input_and_says_when_nothing_matches(desk):
    assert desk.post("/staff/lottery/find/", {}).status_code == 400
    assert desk.post("/staff/lottery/find/", {"number": "1" * 5000}).status_code == 400
    missing = desk.post("/staff/lottery/find/", {"number": "1234 5678 9012"})
    assert missing.status_code == 404 and "一致する申込がありません" in missing.content.decode()
    assert desk.get("/staff/lottery/find/").status_code == 405


def test_the_rounds_page_offers_the_search_only_to_the_phone_desk(client, desk):
    assert 'action="/staff/lottery/find/"' in desk.get("/staff/lottery/").content.decode()
    client.logout()
    other = login_staff(client, make_staff("kanri", roles=("administrator",)))
    page = other.get("/staff/lottery/")
    assert page.status_code == 200
    assert 'action="/staff/lottery/find/"' not in page.content.decode()


def test_the_administrator_sees_failed_lottery_mails_and_queues_them_again(client, round_and_slot):
    from lottery.models import LotteryNotification

    round_, slot = round_and_slot
    application = apply(round_, [slot], n=1, person=person(1))
    LotteryNotification.objects.update(status="failed", attempts=8, last_error="SMTPError")
    administrator = login_staff(client, make_staff("kanri", roles=("administrator",)))
    listing = administrator.get("/admin/lottery/lotterynotification/?status=failed")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert application.display_number in page and application.name not in page
    row = LotteryNotification.objects.get()
    done = administrator.post(
        "/admin/lottery/lotterynotification/",
        {"action": "retry_failed", "_selected_action": [row.pk]},
        follow=True,
    )
    assert done.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
    assert (
        administrator.get(f"/admin/lottery/lotterynotification/{row.pk}/delete/").status_code == 403
    )

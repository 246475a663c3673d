"""Signing in: a password alone never opens a staff page; the second factor does."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.test import override_settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from core.roles import ADMINISTRATOR, HEALTH_CENTRE
from tests.helpers import login_staff, make_staff
from tests.staff.conftest import PASSWORD, totp_code

pytestmark = pytest.mark.django_db

LOGIN = "/staff/login/"
VERIFY = "/staff/verify/"
ENROL = "/staff/enrol/"


def password_step(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def actions():
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- Refusals -----------------------------------------------------------------------------------


def test_password_only_session_is_sent_to_verification_from_every_staff_page(
    client, health_centre_user
):
    response = password_step(client, "hoken")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    for path in ["/staff/", "/staff/desk/", "/staff/exports/", "/staff/audit/"]:
        page = client.get(path)
        assert page.status_code == 302, path
        assert page["Location"].startswith(VERIFY), path


def test_admin_refuses_a_password_only_session_even_for_a_superuser(client):
    user = make_staff("root", roles=[ADMINISTRATOR])
    user.is_superuser = True
    user.save()
    login_staff(client, user, verified=False)
    for path in ["/admin/", "/admin/reservations/slot/", "/admin/auth/user/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(VERIFY), path
    assert not client.get("/admin/", follow=True).context["user"].is_verified()


def test_admin_login_page_sends_people_to_the_staff_login(client):
    response = client.get("/admin/login/?next=/admin/reservations/slot/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "next=/admin/reservations/slot/" in response["Location"].replace("%2F", "/")


def test_anonymous_visitor_is_sent_to_login_from_staff_and_admin(client):
    for path in ["/staff/", "/staff/desk/", "/admin/", "/staff/backup-codes/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert LOGIN in response["Location"], path


def test_wrong_password_and_unknown_username_get_the_same_answer(client, health_centre_user):
    def cleaned(response):
        text = response.content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text).replace(
            "nobody-here", "hoken"
        )

    wrong = password_step(client, "hoken", "wrong password entirely")
    unknown = password_step(client, "nobody-here", "wrong password entirely")
    assert wrong.status_code == unknown.status_code == 200
    assert cleaned(wrong) == cleaned(unknown)
    assert "_auth_user_id" not in client.session


def test_right_password_of_a_non_staff_user_gets_the_same_refusal(client):
    User.objects.create_user("resident", password=PASSWORD)
    response = password_step(client, "resident")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="resident").failures_since_start == 1


def test_failed_logins_are_audited_without_the_typed_username(client, health_centre_user):
    password_step(client, "hoken", "not the password")
    password_step(client, "my-secret-password-typed-in-the-wrong-box", "x")
    events = AuditEvent.objects.filter(action="staff.login.failed")
    assert events.count() == 2
    for event in events:
        assert event.actor_id is None
        assert "my-secret" not in str(event.details)
        assert "hoken" not in str(event.details)
        assert len(event.details["username_fingerprint"]) == 16


def test_wrong_code_is_refused_and_counted(client, health_centre_user):
    password_step(client, "hoken")
    response = client.post(VERIFY, {"token": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert not client.get("/staff/").wsgi_request.user.is_verified()
    # Counted by axes against the same username + client as a wrong password.
    assert AccessAttempt.objects.get(username="hoken").failures_since_start == 1
    assert "staff.second_factor.failed" in actions()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_after_the_limit_of_wrong_passwords(client, health_centre_user):
    for _ in range(2):
        assert password_step(client, "hoken", "wrong wrong wrong").status_code == 200
    locked = password_step(client, "hoken", "wrong wrong wrong")
    assert locked.status_code == 429
    assert "staff/lockout.html" in [t.name for t in locked.templates]
    # Now even the right password is refused, for a while.
    again = password_step(client, "hoken")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "staff.login.locked_out" in actions()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_also_for_a_username_that_does_not_exist(client):
    responses = [password_step(client, "ghost", "wrong wrong wrong") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_codes_count_towards_the_same_lockout_and_end_the_session(client, health_centre_user):
    assert password_step(client, "hoken", "one wrong password").status_code == 200
    password_step(client, "hoken")  # right password: must not wipe the failure count
    assert client.post(VERIFY, {"token": "000000"}).status_code == 200
    locked = client.post(VERIFY, {"token": "111111"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session  # the half-signed-in session is gone
    # Logging in again with the right password does not reset the count.
    assert password_step(client, "hoken").status_code == 429


def test_lockout_page_says_what_happened_and_whom_to_call(client, health_centre_user, settings):
    settings.STAFF_HELP_CONTACT = "情報システム課 内線 1234"
    settings.AXES_FAILURE_LIMIT = 1
    response = password_step(client, "hoken", "wrong wrong wrong")
    text = response.content.decode()
    assert response.status_code == 429
    assert "情報システム課 内線 1234" in text
    assert "15" in text  # minutes to wait
    assert "hoken" not in text.replace('name="username"', "")


def test_logout_is_post_only_and_ends_the_session_on_the_server(client, health_centre_user):
    from django.contrib.sessions.models import Session

    login_staff(client, health_centre_user)
    assert client.get("/staff/").status_code == 200
    key = client.session.session_key
    assert client.get("/staff/logout/").status_code == 405
    response = client.post("/staff/logout/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/staff/").status_code == 302
    assert "staff.logout" in actions()


def test_admin_logout_also_ends_the_session(client, administrator_user):
    login_staff(client, administrator_user)
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout/")
    assert client.get("/admin/").status_code == 302


# --- The happy path ------------------------------------------------------------------------------


def test_enrol_verify_and_reach_the_pages_of_the_role(client):
    user = User.objects.create_user("newcomer", password=PASSWORD, is_staff=True)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name=HEALTH_CENTRE))

    # Password: a new session key, then enrolment because there is no device yet.
    client.get(LOGIN)
    anonymous_key = client.cookies.get("sessionid")
    response = password_step(client, "newcomer", next="/staff/desk/")
    assert response["Location"].startswith(ENROL)
    after_password = client.session.session_key
    assert anonymous_key is None or anonymous_key.value != after_password

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html  # QR code rendered on the server
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert page.context["secret"].replace(" ", "") in html.replace(" ", "")
    # Reloading keeps the same secret (the phone may already have scanned it).
    assert client.get(ENROL).context["secret"] == page.context["secret"]

    # A wrong code does not confirm anything.
    client.post(ENROL, {"token": "123456" if totp_code(device) != "123456" else "654321"})
    device.refresh_from_db()
    assert not device.confirmed

    import time

    time.sleep(1.1)  # django-otp's throttle after one failure
    done = client.post(ENROL, {"token": totp_code(device), "next": "/staff/desk/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10
    assert all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.session.session_key != after_password  # rotated on verification

    # Verified: the role's pages open, the other role's do not.
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/desk/").status_code == 200
    assert client.get("/admin/").status_code == 403
    assert {"staff.login.password_accepted", "staff.second_factor.enrolled"} <= set(actions())

    # Codes are shown once: nothing shows them again.
    assert codes[0] not in client.get("/staff/backup-codes/").content.decode()

    # Next time: password, then a code from the app.
    client.post("/staff/logout/")
    response = password_step(client, "newcomer")
    assert response["Location"].startswith(VERIFY)
    verified = client.post(VERIFY, {"token": totp_code(device, steps_ahead=1)})
    assert verified.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert "staff.login.succeeded" in actions()


def test_verification_rotates_the_session_key_and_clears_failures(client, health_centre_user):
    password_step(client, "hoken", "first a wrong password")
    password_step(client, "hoken")
    before = client.session.session_key
    device = TOTPDevice.objects.get(user=health_centre_user)
    response = client.post(VERIFY, {"token": totp_code(device), "next": "/staff/desk/"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/desk/"
    assert client.session.session_key != before
    assert not AccessAttempt.objects.filter(username="hoken").exists()


def test_a_backup_code_works_once(client, health_centre_user):
    device = StaticDevice.objects.create(user=health_centre_user, name="backup", confirmed=True)
    device.token_set.create(token="abcd2345")
    password_step(client, "hoken")
    assert client.post(VERIFY, {"token": "ABCD-2345"}).status_code == 302
    assert client.get("/staff/").status_code == 200
    assert not StaticToken.objects.filter(token="abcd2345").exists()
    assert "staff.second_factor.backup_code_used" in actions()
    client.post("/staff/logout/")
    password_step(client, "hoken")
    assert client.post(VERIFY, {"token": "abcd2345"}).status_code == 200  # used up


def test_next_cannot_send_people_off_site(client, health_centre_user):
    password_step(client, "hoken", next="https://evil.example/staff/")
    device = TOTPDevice.objects.get(user=health_centre_user)
    response = client.post(VERIFY, {"token": totp_code(device), "next": "//evil.example/"})
    assert response["Location"] == "/staff/"


def test_new_backup_codes_replace_the_old_ones(client, health_centre_user):
    login_staff(client, health_centre_user)
    first = client.post("/staff/backup-codes/").context["codes"]
    second = client.post("/staff/backup-codes/").context["codes"]
    assert set(first).isdisjoint(second)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert stored == {c.replace("-", "") for c in second}


def test_a_session_that_enrolled_cannot_enrol_again_after_a_reset(client):
    """The permission to enrol without a second factor ends with the enrolment."""
    from staff import services

    user = User.objects.create_user("newcomer", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=HEALTH_CENTRE))
    password_step(client, "newcomer")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(ENROL, {"token": totp_code(device)}).status_code == 200

    services.reset_second_factor(user)  # an administrator, elsewhere

    response = client.get(ENROL)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not TOTPDevice.objects.filter(user=user).exists()

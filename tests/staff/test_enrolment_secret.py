"""Issue #11: the enrolment secret belongs to one session; a used code is "already used"."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from core.roles import HEALTH_CENTRE
from tests.staff.conftest import PASSWORD, totp_code

pytestmark = pytest.mark.django_db

LOGIN = "/staff/login/"
VERIFY = "/staff/verify/"
ENROL = "/staff/enrol/"


def sign_in_with_password(client, username):
    return client.post(LOGIN, {"username": username, "password": PASSWORD})


def test_a_secret_seen_by_another_session_is_useless_after_the_user_enrols():
    user = User.objects.create_user("newcomer", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=HEALTH_CENTRE))
    attacker, owner = Client(), Client()

    # Someone with the password opens the enrolment page first and keeps the secret.
    sign_in_with_password(attacker, "newcomer")
    attacker_secret = attacker.get(ENROL).context["secret"]
    attacker_device = TOTPDevice.objects.get(user=user, confirmed=False)
    attacker_copy = TOTPDevice(
        user=user, key=attacker_device.key, step=attacker_device.step, t0=attacker_device.t0
    )

    # The real user then enrols from their own session: a secret of their own.
    sign_in_with_password(owner, "newcomer")
    owner_secret = owner.get(ENROL).context["secret"]
    assert owner_secret != attacker_secret
    assert owner.get(ENROL).context["secret"] == owner_secret  # a reload keeps it
    owner_device = (
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=attacker_device.pk).get()
    )
    assert owner.post(ENROL, {"token": totp_code(owner_device)}).status_code == 200
    # Enrolling removed every unconfirmed device: only the owner's, confirmed, is left.
    assert list(TOTPDevice.objects.filter(user=user).values_list("pk", "confirmed")) == [
        (owner_device.pk, True)
    ]

    # The attacker's codes open nothing: neither at a new login nor in the old session.
    assert attacker.post(ENROL, {"token": totp_code(attacker_copy)}).status_code == 302
    second = Client()
    sign_in_with_password(second, "newcomer")
    refused = second.post(VERIFY, {"token": totp_code(attacker_copy)})
    assert refused.status_code == 200
    assert not second.get("/staff/").wsgi_request.user.is_verified()
    assert not attacker.get("/staff/").wsgi_request.user.is_verified()


def test_a_code_used_twice_is_already_used_not_wrong_and_not_counted(client, settings):
    from tests.helpers import make_staff

    settings.LANGUAGE_CODE = "en"
    user = make_staff("hoken", roles=[HEALTH_CENTRE])
    device = TOTPDevice.objects.get(user=user)
    code = totp_code(device)
    sign_in_with_password(client, "hoken")
    assert client.post(VERIFY, {"token": code}).status_code == 302
    client.post("/staff/logout/")

    sign_in_with_password(client, "hoken")
    again = client.post(VERIFY, {"token": code}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200
    errors = again.context["form"].errors["token"]
    assert any("already been used" in e for e in errors), errors
    assert not any("not correct" in e for e in errors)
    assert not client.get("/staff/").wsgi_request.user.is_verified()
    # Not counted towards the lockout: it is the right code, from the phone.
    assert not AccessAttempt.objects.filter(username="hoken").exists()
    event = AuditEvent.objects.filter(action="staff.second_factor.failed").get()
    assert event.details["replayed"] is True


def test_a_replayed_code_is_said_in_japanese(client, settings):
    from tests.helpers import make_staff

    user = make_staff("hoken", roles=[HEALTH_CENTRE])
    device = TOTPDevice.objects.get(user=user)
    code = totp_code(device)
    sign_in_with_password(client, "hoken")
    client.post(VERIFY, {"token": code})
    client.post("/staff/logout/")
    sign_in_with_password(client, "hoken")
    again = client.post(VERIFY, {"token": code}, HTTP_ACCEPT_LANGUAGE="ja")
    assert "このコードはすでに使われました" in again.content.decode()

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import ADMINISTRATOR, HEALTH_CENTRE
from tests.helpers import login_staff, make_staff

PASSWORD = "correct horse battery staple 42"


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the phone would show now (or `steps_ahead` × 30 s from now).

    django-otp refuses a code whose time step was already used (replay), and accepts one
    step of clock drift: a test that signs in twice within 30 s uses the next step.
    """
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def health_centre_user(db):
    return make_staff("hoken", roles=[HEALTH_CENTRE])


@pytest.fixture
def administrator_user(db):
    return make_staff("kanri", roles=[ADMINISTRATOR])


@pytest.fixture
def desk(client, health_centre_user):
    """A client signed in as health-centre staff, second factor verified."""
    return login_staff(client, health_centre_user)


@pytest.fixture
def admin_client_verified(client, administrator_user):
    return login_staff(client, administrator_user)

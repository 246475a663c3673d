import pytest

from tests.helpers import login_staff, make_staff


@pytest.fixture
def administrator(db):
    return make_staff("admin1", roles=["administrator"])


@pytest.fixture
def admin_client(client, administrator):
    """A browser session of an administrator: password and second factor verified."""
    return login_staff(client, administrator)


@pytest.fixture
def superuser_client(client, db):
    user = make_staff("root", roles=["administrator"])
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return login_staff(client, user)

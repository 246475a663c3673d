from tests.staff.conftest import desk, health_centre_user  # noqa: F401 - fixtures

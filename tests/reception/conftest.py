from datetime import timedelta

import pytest
from django.utils import timezone

from core.roles import ADMINISTRATOR, HEALTH_CENTRE
from reservations import services
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt
from tests.helpers import login_staff, make_staff


@pytest.fixture
def reception(client, db):
    """A client signed in as health-centre staff, second factor verified."""
    return login_staff(client, make_staff("hoken", roles=[HEALTH_CENTRE]))


@pytest.fixture
def administrator(client, db):
    return login_staff(client, make_staff("kanri", roles=[ADMINISTRATOR]))


@pytest.fixture
def unverified(client, db):
    return login_staff(client, make_staff("hoken2", roles=[HEALTH_CENTRE]), verified=False)


def book(slots, *, now=None, **person):
    """A web booking made `now` (default: two days before the first slot)."""
    now = now or min(s.starts_at for s in slots) - timedelta(days=2)
    return services.reservation_create(slots=slots, details=details(**person), now=now).reservation


@pytest.fixture
def today_day():
    """Today's screenings at one venue: lung at 9:00 and 10:00, stomach at 9:30."""
    day = timezone.localdate()
    venue = VenueFactory(name="新座市保健センター")
    lung = ScreeningTypeFactory()
    stomach = ScreeningTypeFactory(code="stomach", name="胃がん検診", name_en="Stomach", fee=1000)
    opens = local_dt(day, 9) - timedelta(days=10)

    def slot(screening, hour, minute=0):
        starts = local_dt(day, hour, minute)
        return SlotFactory(
            venue=venue,
            screening_type=screening,
            starts_at=starts,
            opens_at=opens,
            closes_at=starts - timedelta(days=1),
        )

    return {
        "day": day,
        "venue": venue,
        "lung9": slot(lung, 9),
        "stomach930": slot(stomach, 9, 30),
        "lung10": slot(lung, 10),
    }

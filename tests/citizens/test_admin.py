import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.roles import ADMINISTRATOR
from reservations import services
from tests.factories import SlotFactory, details
from tests.helpers import login_staff, make_superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    return login_staff(client, make_superuser("admin-c", roles=[ADMINISTRATOR]))


def test_there_is_no_list_of_residents_to_filter_by_personal_data(admin_client):
    services.reservation_create(slots=[SlotFactory()], details=details())
    before = AuditEvent.objects.count()
    url = reverse("admin:citizens_citizen_changelist")
    response = admin_client.get(url, {"furigana": "ヤマダ ハナコ", "birth_date": "1970-05-01"})
    assert response.status_code == 404
    assert "ヤマダ" not in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_one_residents_details_open_from_the_reservation_and_are_audited(admin_client):
    reservation = services.reservation_create(slots=[SlotFactory()], details=details()).reservation
    url = reverse("admin:citizens_citizen_change", args=[reservation.citizen_id])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "ヤマダ" in response.content.decode()
    assert AuditEvent.objects.filter(action="citizens.citizen.viewed").count() == 1

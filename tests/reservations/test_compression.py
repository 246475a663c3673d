"""gzip for the public pages only (reservations.compression): never a page with a secret."""

import gzip

import pytest

from tests.reservations.test_views import PERSON, hidden, scene  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/en/", "/screenings/lung/", "/en/screenings/lung/?month="])
def test_public_pages_are_gzipped_when_the_browser_accepts_it(client, scene, path):  # noqa: F811
    plain = client.get(path)
    packed = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert "public" in packed["Cache-Control"] and not packed.cookies
    assert gzip.decompress(packed.content).decode() == plain.content.decode()


def test_booking_steps_with_a_csrf_token_are_never_gzipped(client, scene):  # noqa: F811
    form = client.get(f"/book/{scene.lung_slot.pk}/", HTTP_ACCEPT_ENCODING="gzip")
    assert form.status_code == 200 and "csrfmiddlewaretoken" in form.content.decode()
    assert "Content-Encoding" not in form
    data = {**PERSON, "form_token": hidden(form, "form_token")}
    step = client.post(f"/book/{scene.lung_slot.pk}/", data, HTTP_ACCEPT_ENCODING="gzip")
    assert step.status_code == 200 and "Content-Encoding" not in step


def test_lookup_page_is_not_gzipped(client, scene):  # noqa: F811
    response = client.get("/lookup/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and "Content-Encoding" not in response


def test_compression_can_be_left_to_the_proxy(client, scene, settings):  # noqa: F811
    settings.COMPRESS_PUBLIC_PAGES = False
    response = client.get("/screenings/lung/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and "Content-Encoding" not in response

"""/staff/exports/: who may see, download and confirm batches, and what each leaves behind."""

import ipaddress
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import audit
from audit.models import AuditEvent
from core.roles import ADMINISTRATOR, HEALTH_CENTRE
from exports import services
from exports.models import Batch
from tests.exports.conftest import book
from tests.helpers import login_staff, make_staff

pytestmark = pytest.mark.django_db

PERSONAL = ("山田", "ヤマダ", "1970-05-01", "野火止", "048-481-0000", "hanako@example.jp")


@pytest.fixture
def batch(export_settings, clock, lung_slots):
    book([lung_slots[0]], at=clock)
    return services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch


@pytest.fixture
def nurse():
    return make_staff("nurse", roles=[HEALTH_CENTRE])


@pytest.fixture
def nurse_client(client, nurse):
    return login_staff(client, nurse)


def _download(client, batch):
    return client.post(reverse("exports:download", args=[batch.pk]))


def _drain(response) -> bytes:
    """Read a streamed download to the end; the test client then closes the file.

    (Calling response.close() directly would fire request_finished outside the test
    client's care and close the test's database connection on PostgreSQL.)
    """
    return b"".join(response.streaming_content)


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _assert_no_personal_data(event):
    text = str(event.details)
    assert not any(value in text for value in PERSONAL)


# --- Refusals -----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login_and_get_no_file(client, batch):
    response = _download(client, batch)

    assert response.status_code == 302 and "login" in response["Location"]
    assert not _events("exports.batch.downloaded")
    batch.refresh_from_db()
    assert batch.status == Batch.Status.READY


def test_a_password_without_the_second_factor_gets_no_file(client, batch, nurse):
    login_staff(client, nurse, verified=False)

    response = _download(client, batch)

    assert response.status_code == 302
    assert "/staff/verify/" in response["Location"] or "login" in response["Location"]
    assert not _events("exports.batch.downloaded")


def test_the_list_needs_the_second_factor_too(client, batch, nurse):
    login_staff(client, nurse, verified=False)

    response = client.get(reverse("exports:list"))

    assert response.status_code == 302


def test_an_administrator_without_the_health_centre_role_is_refused(client, batch):
    login_staff(client, make_staff("admin1", roles=[ADMINISTRATOR]))

    assert client.get(reverse("exports:list")).status_code == 403
    assert _download(client, batch).status_code == 403
    assert client.post(reverse("exports:confirm", args=[batch.pk])).status_code == 403
    assert not _events("exports.batch.downloaded")


def test_outside_the_staff_networks_the_pages_do_not_exist(settings, nurse_client, batch):
    settings.STAFF_ALLOWED_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]

    response = nurse_client.post(
        reverse("exports:download", args=[batch.pk]), REMOTE_ADDR="192.0.2.10"
    )

    assert response.status_code == 404
    assert not _events("exports.batch.downloaded")
    # The same request from inside the allow-list works.
    inside = nurse_client.post(
        reverse("exports:download", args=[batch.pk]), REMOTE_ADDR="10.20.3.4"
    )
    assert inside.status_code == 200
    _drain(inside)


def test_download_by_get_is_refused_with_405(nurse_client, batch):
    response = nurse_client.get(reverse("exports:download", args=[batch.pk]))

    assert response.status_code == 405
    assert not _events("exports.batch.downloaded")


def test_download_without_the_csrf_token_is_refused(nurse, batch):
    client = login_staff(Client(enforce_csrf_checks=True), nurse)

    response = _download(client, batch)

    assert response.status_code == 403
    assert not _events("exports.batch.downloaded")


def test_an_unknown_batch_is_404(nurse_client, batch):
    assert nurse_client.post(reverse("exports:download", args=[batch.pk + 99])).status_code == 404
    assert nurse_client.get(reverse("exports:confirm", args=[batch.pk + 99])).status_code == 404


# --- Download ----------------------------------------------------------------------------------


def test_download_sends_the_stored_file_as_an_attachment_that_is_not_cached(
    nurse_client, batch, export_storage_dir
):
    response = _download(nurse_client, batch)
    body = _drain(response)

    assert response.status_code == 200
    assert body == (export_storage_dir / batch.stored_name).read_bytes()
    assert response["Content-Disposition"] == f'attachment; filename="{batch.download_filename}"'
    assert batch.download_filename.startswith(f"kenshin-batch-{batch.pk}-delta-")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"].startswith("application/pkcs7-mime")


def test_each_download_is_audited_and_recorded_on_the_batch(nurse_client, nurse, batch):
    _drain(_download(nurse_client, batch))
    _drain(_download(nurse_client, batch))

    events = _events("exports.batch.downloaded")
    assert len(events) == 2
    assert all(e.actor_id == nurse.pk and e.outcome == "success" for e in events)
    assert all(e.target_id == str(batch.pk) for e in events)
    assert events[0].details["rows"] == 1 and events[1].details["download"] == 2
    _assert_no_personal_data(events[0])
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DOWNLOADED
    assert batch.first_downloaded_by == nurse and batch.last_downloaded_by == nurse
    assert batch.download_count == 2
    assert batch.first_downloaded_at <= batch.last_downloaded_at


def test_when_the_audit_record_cannot_be_written_the_download_is_refused(
    nurse_client, batch, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)

    response = _download(nurse_client, batch)

    assert response.status_code == 503
    assert not getattr(response, "streaming", False)
    assert b"\x30\x82" not in response.content  # no DER envelope in the body
    batch.refresh_from_db()
    assert batch.status == Batch.Status.READY and batch.download_count == 0


def test_a_file_changed_on_disk_is_not_handed_out(nurse_client, batch, export_storage_dir):
    path = export_storage_dir / batch.stored_name
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")

    response = _download(nurse_client, batch)

    assert response.status_code == 409
    (event,) = _events("exports.batch.downloaded")
    assert event.outcome == "failed" and event.details["reason"] == "sha256 mismatch"
    batch.refresh_from_db()
    assert batch.status == Batch.Status.READY


# --- Import confirmed, discard --------------------------------------------------------------


def test_confirming_the_import_deletes_the_file_and_keeps_the_record(
    nurse_client, nurse, batch, export_storage_dir
):
    _drain(_download(nurse_client, batch))
    page = nurse_client.get(reverse("exports:confirm", args=[batch.pk]))
    assert page.status_code == 200 and batch.plaintext_sha256 in page.content.decode()

    response = nurse_client.post(reverse("exports:confirm", args=[batch.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("exports:list")
    assert not (export_storage_dir / batch.stored_name).exists()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CONFIRMED
    assert batch.confirmed_by == nurse and batch.deleted_by == nurse
    assert batch.deleted_at is not None and batch.confirmed_at == batch.deleted_at
    assert batch.plaintext_sha256 and batch.row_count == 1  # metadata kept
    (event,) = _events("exports.batch.import_confirmed")
    assert event.actor_id == nurse.pk and event.target_id == str(batch.pk)
    assert event.details["status_before"] == "downloaded"
    _assert_no_personal_data(event)


def test_the_list_shows_who_confirmed_and_when_the_file_was_deleted(nurse_client, batch):
    _drain(_download(nurse_client, batch))
    nurse_client.post(reverse("exports:confirm", args=[batch.pk]))
    batch.refresh_from_db()

    page = nurse_client.get(reverse("exports:list")).content.decode()

    deleted = timezone.localtime(batch.deleted_at).strftime("%Y-%m-%d %H:%M:%S")
    assert deleted in page
    assert "nurse" in page
    assert batch.file_sha256 in page and batch.plaintext_sha256 in page
    assert "取込確認済み" in page  # the status, in Japanese


def test_a_batch_cannot_be_confirmed_before_it_was_downloaded(
    nurse_client, batch, export_storage_dir
):
    response = nurse_client.post(reverse("exports:confirm", args=[batch.pk]))

    assert response.status_code == 409
    assert (export_storage_dir / batch.stored_name).exists()
    assert not _events("exports.batch.import_confirmed")


def test_a_confirmed_batch_can_no_longer_be_downloaded_or_confirmed(nurse_client, batch):
    _drain(_download(nurse_client, batch))
    nurse_client.post(reverse("exports:confirm", args=[batch.pk]))

    assert _download(nurse_client, batch).status_code == 410
    assert nurse_client.post(reverse("exports:confirm", args=[batch.pk])).status_code == 410
    assert nurse_client.get(reverse("exports:confirm", args=[batch.pk])).status_code == 410
    assert nurse_client.get(reverse("exports:discard", args=[batch.pk])).status_code == 410
    assert len(_events("exports.batch.downloaded")) == 1


def test_when_the_audit_record_cannot_be_written_nothing_is_deleted(
    nurse_client, batch, export_storage_dir, monkeypatch
):
    _drain(_download(nurse_client, batch))

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)

    response = nurse_client.post(reverse("exports:confirm", args=[batch.pk]))

    assert response.status_code == 503
    assert (export_storage_dir / batch.stored_name).exists()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DOWNLOADED and batch.deleted_at is None


def test_discarding_deletes_an_unwanted_batch_with_a_record(
    nurse_client, nurse, batch, export_storage_dir
):
    response = nurse_client.post(reverse("exports:discard", args=[batch.pk]))

    assert response.status_code == 302
    assert not (export_storage_dir / batch.stored_name).exists()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DELETED and batch.deleted_by == nurse
    assert batch.confirmed_at is None
    (event,) = _events("exports.batch.discarded")
    assert event.actor_id == nurse.pk


@pytest.mark.parametrize("name", ["exports:confirm", "exports:discard"])
def test_other_methods_on_the_deletion_pages_are_405(nurse_client, batch, name):
    assert nurse_client.put(reverse(name, args=[batch.pk])).status_code == 405
    assert nurse_client.post(reverse("exports:list")).status_code == 405


# --- The list -----------------------------------------------------------------------------------


def test_the_list_shows_each_batch_with_its_period_counts_size_hash_and_status(
    nurse_client, nurse, batch
):
    _drain(_download(nurse_client, batch))

    response = nurse_client.get(reverse("exports:list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="batch-{batch.pk}"' in page
    assert batch.plaintext_sha256 in page and batch.file_sha256 in page
    assert "ダウンロード済み" in page and "nurse" in page
    assert "新規" in page
    assert timezone.localtime(batch.period_end).strftime("%Y-%m-%d %H:%M") in page
    assert not any(value in page for value in PERSONAL)


def test_an_empty_list_says_so(nurse_client, export_settings):
    response = nurse_client.get(reverse("exports:list"))

    assert response.status_code == 200
    assert "まだバッチはありません" in response.content.decode()


def test_a_bad_page_number_shows_a_page_not_an_error(nurse_client, batch):
    assert nurse_client.get(reverse("exports:list"), {"page": "abc"}).status_code == 200
    assert nurse_client.get(reverse("exports:list"), {"page": "999"}).status_code == 200


@pytest.mark.parametrize(
    "action",
    [
        "exports.batch.created",
        "exports.batch.downloaded",
        "exports.batch.import_confirmed",
        "exports.batch.discarded",
        "exports.batch.expired",
        "reservations.reservation.purged",
    ],
)
def test_each_export_audit_action_has_a_japanese_label_on_the_audit_page(action):
    from django.utils import translation

    from audit.actions import action_label

    with translation.override("ja"):
        label = str(action_label(action))

    assert label and not label.isascii()

"""Without a usable certificate no batch is written — never a plaintext fallback."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from exports import services
from exports.models import Batch
from tests.exports.conftest import book, make_key_pair

pytestmark = pytest.mark.django_db


def _assert_nothing_written(storage_dir):
    assert Batch.objects.count() == 0
    assert not storage_dir.exists() or not any(storage_dir.iterdir())


@pytest.fixture
def booked(export_settings, clock, lung_slots):
    book([lung_slots[0]], at=clock)
    return clock + timedelta(minutes=5)


def test_no_certificate_configured_refuses_the_export(export_settings, export_storage_dir, booked):
    export_settings.EXPORT_RECIPIENT_CERT = ""

    with pytest.raises(services.ExportError, match="EXPORT_RECIPIENT_CERT is not set"):
        services.batch_create_delta(cutoff=booked)

    _assert_nothing_written(export_storage_dir)


def test_the_command_refuses_and_exits_non_zero_without_a_certificate(
    export_settings, export_storage_dir, booked, capsys
):
    export_settings.EXPORT_RECIPIENT_CERT = ""

    with pytest.raises(CommandError, match="export refused: EXPORT_RECIPIENT_CERT is not set"):
        call_command("export_reservations", "--cutoff", booked.isoformat())

    assert capsys.readouterr().out == ""
    _assert_nothing_written(export_storage_dir)


def test_a_missing_certificate_file_refuses_the_export(
    export_settings, export_storage_dir, booked, tmp_path
):
    export_settings.EXPORT_RECIPIENT_CERT = str(tmp_path / "nowhere.crt")

    with pytest.raises(services.ExportError, match="cannot read"):
        services.batch_create_delta(cutoff=booked)

    _assert_nothing_written(export_storage_dir)


def test_a_file_that_is_not_a_certificate_refuses_the_export(
    export_settings, export_storage_dir, booked, tmp_path
):
    junk = tmp_path / "junk.crt"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    export_settings.EXPORT_RECIPIENT_CERT = str(junk)

    with pytest.raises(services.ExportError, match=r"not an X\.509 certificate"):
        services.batch_create_delta(cutoff=booked)

    _assert_nothing_written(export_storage_dir)


def test_a_private_key_given_to_the_server_is_refused(
    export_settings, export_storage_dir, booked, tmp_path, health_centre_keys
):
    both = tmp_path / "both.pem"
    both.write_bytes(health_centre_keys.cert.read_bytes() + health_centre_keys.key.read_bytes())
    export_settings.EXPORT_RECIPIENT_CERT = str(both)

    with pytest.raises(services.ExportError, match="private key"):
        services.batch_create_delta(cutoff=booked)

    _assert_nothing_written(export_storage_dir)


def test_an_rsa_key_shorter_than_2048_bits_is_refused(
    export_settings, export_storage_dir, booked, tmp_path
):
    weak = make_key_pair(tmp_path / "weak", bits=1024)
    export_settings.EXPORT_RECIPIENT_CERT = str(weak.cert)

    with pytest.raises(services.ExportError, match="1024 bits"):
        services.batch_create_delta(cutoff=booked)

    _assert_nothing_written(export_storage_dir)


def test_a_non_rsa_certificate_is_refused(export_settings, export_storage_dir, booked, tmp_path):
    elliptic = make_key_pair(tmp_path / "ec", elliptic=True)
    export_settings.EXPORT_RECIPIENT_CERT = str(elliptic.cert)

    with pytest.raises(services.ExportError, match="not RSA"):
        services.batch_create_delta(cutoff=booked)

    _assert_nothing_written(export_storage_dir)


def test_an_expired_certificate_is_refused(export_settings, export_storage_dir, booked, tmp_path):
    now = datetime.now(UTC)
    old = make_key_pair(
        tmp_path / "old", not_before=now - timedelta(days=400), not_after=now - timedelta(days=1)
    )
    export_settings.EXPORT_RECIPIENT_CERT = str(old.cert)

    with pytest.raises(services.ExportError, match="expired"):
        services.batch_create_delta(cutoff=booked)

    _assert_nothing_written(export_storage_dir)


def test_a_der_certificate_is_accepted(export_settings, booked, tmp_path, health_centre_keys):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der = tmp_path / "hc.der"
    der.write_bytes(
        x509.load_pem_x509_certificate(health_centre_keys.cert.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
    )
    export_settings.EXPORT_RECIPIENT_CERT = str(der)

    assert services.batch_create_delta(cutoff=booked).created

"""Fixtures for export tests: a throwaway health-centre key pair, private storage in a
temporary directory, bookings made through the real booking services, and the real
`openssl cms -decrypt` to open batches.

The private key is generated at test time in a temporary directory and never leaves it;
the server side under test is given the certificate only.
"""

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone

from reservations import services as booking
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, details, local_dt

OPENSSL = shutil.which("openssl")


@dataclass(frozen=True)
class KeyPair:
    cert: Path
    key: Path


def make_key_pair(
    directory: Path,
    *,
    bits: int = 2048,
    elliptic: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    name: str = "hc",
) -> KeyPair:
    """A self-signed certificate and its key, as the health centre would make them."""
    if elliptic:
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test health centre")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return KeyPair(cert=cert_path, key=key_path)


@pytest.fixture(scope="session")
def health_centre_keys(tmp_path_factory) -> KeyPair:
    return make_key_pair(tmp_path_factory.mktemp("health-centre"))


@pytest.fixture
def export_storage_dir(tmp_path) -> Path:
    return tmp_path / "exports"


@pytest.fixture
def export_settings(settings, health_centre_keys, export_storage_dir):
    """The server's side: the certificate only, and a private storage of its own."""
    settings.EXPORT_RECIPIENT_CERT = str(health_centre_keys.cert)
    settings.EXPORT_ENCODING = "cp932"
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(export_storage_dir), "base_url": None},
        },
    }
    return settings


def openssl_decrypt(path: Path, keys: KeyPair, out_dir: Path) -> bytes:
    """What the health centre runs (docs/exports.md), with the real openssl binary."""
    if OPENSSL is None:
        pytest.fail("the openssl binary is needed to open batches (apt-get install openssl)")
    out = out_dir / f"{path.stem}.csv"
    subprocess.run(
        [
            OPENSSL,
            "cms",
            "-decrypt",
            "-inform",
            "DER",
            "-in",
            str(path),
            "-recip",
            str(keys.cert),
            "-inkey",
            str(keys.key),
            "-out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out.read_bytes()


@pytest.fixture
def clock():
    """A base time a few hours ago: bookings are made at clock + minutes, and cut-offs
    fall between them yet safely in the past (the export refuses a cut-off < 1 min old)."""
    return timezone.now() - timedelta(hours=6)


@pytest.fixture
def venue():
    return VenueFactory(name="新座市保健センター")


@pytest.fixture
def lung_slots(venue):
    """Three lung-screening slots on one day, two weeks ahead."""
    lung = ScreeningTypeFactory(code="lung")
    day = timezone.localdate() + timedelta(days=14)
    return [
        SlotFactory(venue=venue, screening_type=lung, starts_at=local_dt(day, hour, 0))
        for hour in (9, 10, 11)
    ]


PEOPLE = [
    ("山田 花子", "ヤマダ ハナコ"),
    ("鈴木 一郎", "スズキ イチロウ"),
    ("佐藤 恵子", "サトウ ケイコ"),
    ("高橋 誠", "タカハシ マコト"),
    ("田中 美咲", "タナカ ミサキ"),
    ("伊藤 健", "イトウ ケン"),
]


def book(slots, *, at, person=0, **overrides):
    """A booking made through the real service, as residents make them."""
    name, furigana = PEOPLE[person]
    values = {"name": name, "furigana": furigana, **overrides}
    return booking.reservation_create(
        slots=list(slots), details=details(**values), now=at
    ).reservation

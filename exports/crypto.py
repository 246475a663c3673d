"""Encrypting a batch to the health centre's certificate (CMS EnvelopedData).

The server holds the health centre's *certificate* only; the private key never leaves the
health centre, so a stolen server or backup cannot read a batch. There is no plaintext
fallback anywhere: a missing,
unreadable, expired or too weak certificate stops the export with a message that says
what to fix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
from django.conf import settings
from django.utils import timezone

MIN_RSA_BITS = 2048


class RecipientCertificateError(Exception):
    """The certificate cannot be used; the message tells the operator what to do."""


@dataclass(frozen=True)
class Recipient:
    certificate: x509.Certificate
    fingerprint: str  # SHA-256 of the DER certificate, hex: shown to staff and recorded


def load_recipient(path: str | None = None, *, now: datetime | None = None) -> Recipient:
    """The health centre's certificate from EXPORT_RECIPIENT_CERT (PEM or DER), checked.

    Raises RecipientCertificateError when it is not configured, unreadable, not an X.509
    certificate, not RSA, shorter than 2048 bits, or outside its validity period.
    """
    path = settings.EXPORT_RECIPIENT_CERT if path is None else path
    if not path:
        raise RecipientCertificateError(
            "EXPORT_RECIPIENT_CERT is not set: no batch is written without the health "
            "centre's certificate (there is no unencrypted fallback). See docs/exports.md."
        )
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RecipientCertificateError(
            f"EXPORT_RECIPIENT_CERT: cannot read {path}: {exc.strerror or exc}"
        ) from None
    if b"-----BEGIN" in data:
        if b"PRIVATE KEY-----" in data:
            # The server must never hold the key that opens a batch.
            raise RecipientCertificateError(
                f"EXPORT_RECIPIENT_CERT: {path} contains a private key. Give the server "
                "the certificate only, and keep the key at the health centre."
            )
        loader = x509.load_pem_x509_certificate
    else:
        loader = x509.load_der_x509_certificate
    try:
        certificate = loader(data)
    except ValueError:
        raise RecipientCertificateError(
            f"EXPORT_RECIPIENT_CERT: {path} is not an X.509 certificate (PEM or DER)."
        ) from None

    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise RecipientCertificateError(
            "EXPORT_RECIPIENT_CERT: the certificate's key is not RSA; CMS key transport "
            "here needs an RSA key of at least 2048 bits."
        )
    if key.key_size < MIN_RSA_BITS:
        raise RecipientCertificateError(
            f"EXPORT_RECIPIENT_CERT: the RSA key has {key.key_size} bits; at least "
            f"{MIN_RSA_BITS} are required."
        )
    now = now or timezone.now()
    if now < certificate.not_valid_before_utc:
        raise RecipientCertificateError(
            "EXPORT_RECIPIENT_CERT: the certificate is not valid yet "
            f"(from {certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC)."
        )
    if now > certificate.not_valid_after_utc:
        raise RecipientCertificateError(
            "EXPORT_RECIPIENT_CERT: the certificate expired on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}. Ask the health centre for a new "
            "key pair and certificate (docs/exports.md)."
        )
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    return Recipient(certificate=certificate, fingerprint=fingerprint)


def encrypt(plaintext: bytes | memoryview, recipient: Recipient) -> bytes:
    """CMS EnvelopedData, AES-256-CBC content encryption, RSA key transport, DER.

    PKCS7Options.Binary: the CSV's bytes are encrypted exactly as they are (S/MIME text
    mode would rewrite line ends, and so the plaintext SHA-256 would no longer match).
    """
    envelope = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(plaintext)  # type: ignore[arg-type]  # any buffer: no copy of the plaintext
        .add_recipient(recipient.certificate)
        .set_content_encryption_algorithm(algorithms.AES256)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    # A DER SEQUENCE always starts 0x30; anything else would mean something went badly
    # wrong, and nothing but an envelope may ever be stored.
    if envelope[:1] != b"\x30":
        raise RuntimeError("PKCS7 envelope builder returned something that is not DER")
    return envelope


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

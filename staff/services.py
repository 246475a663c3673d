"""The second factor: enrolment, verification, backup codes and resets.

Views call these and do the talking (forms, messages, audit records). Everything that
changes a user's devices happens in one transaction, so a user is never left with half an
enrolment (a confirmed authenticator but no backup codes, or the reverse).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import segno
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup codes"


def normalise_token(value: str) -> str:
    """What people type from an app or a printed sheet: full-width digits, spaces, hyphens."""
    value = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in value if ch not in " -\t").lower()[:32]


def confirmed_totp_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_second_factor(user: AbstractBaseUser) -> bool:
    """A confirmed authenticator or at least one unused backup code."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def backup_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def pending_totp_device(user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled; the same secret until it is confirmed.

    Reloading the enrolment page must not change the secret under a phone that has
    already scanned it.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code in a data: URI.

    Rendered on the server (no script) and shown with <img>, which the CSP allows for
    data: URIs; inline SVG would need style attributes the CSP forbids.
    """
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=4)


def secret_for_typing(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for apps that cannot scan."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def format_backup_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def new_backup_codes(user: AbstractBaseUser, *, count: int = BACKUP_CODE_COUNT) -> list[str]:
    """Replace the user's backup codes with `count` fresh ones; return them in clear.

    They are returned once, to be shown once; django-otp keeps each until it is used.
    """
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(count)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def confirm_enrolment(user: AbstractBaseUser, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it; return new backup codes.

    Returns None (and changes nothing but django-otp's throttle) when the code is wrong.
    On success the device is confirmed, any other unconfirmed device is removed and a
    fresh set of backup codes replaces the old one, all in one transaction.
    """
    token = normalise_token(token)
    with transaction.atomic():
        if not (token.isdigit() and verify_token(user, device.persistent_id, token)):
            return None
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        return new_backup_codes(user)


@dataclass(frozen=True)
class Verification:
    device: object | None  # the django-otp device that accepted the code
    method: str  # "totp" or "backup_code"
    throttled: bool = False  # django-otp refused to check: too many recent failures

    @property
    def ok(self) -> bool:
        return self.device is not None


def verify_second_factor(user: AbstractBaseUser, token: str) -> Verification:
    """Check a code against the user's authenticator (6 digits) or backup codes (others).

    Each device is checked under a row lock (django_otp.verify_token), so a backup code
    cannot be used twice by two requests racing, and django-otp's per-device throttle
    applies (1, 2, 4 … seconds after successive failures).
    """
    token = normalise_token(token)
    if token.isdigit() and len(token) == 6:
        method, devices = "totp", TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        method, devices = "backup_code", StaticDevice.objects.filter(user=user, confirmed=True)
    throttled = False
    if not token:
        return Verification(None, method)
    for device in devices.order_by("pk"):
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            return Verification(verified, method)
    return Verification(None, method, throttled)


def reset_second_factor(user: AbstractBaseUser) -> int:
    """Remove every device of `user`; returns how many. They enrol again at next login.

    Sessions verified with a removed device stop being verified at once: django-otp
    re-reads the device on every request.
    """
    with transaction.atomic():
        totp, _ = TOTPDevice.objects.filter(user=user).delete()
        static = StaticDevice.objects.filter(user=user).count()
        StaticDevice.objects.filter(user=user).delete()
    return (totp or 0) + static

"""The second factor: enrolment, verification, backup codes and resets.

Views call these and do the talking (forms, messages, audit records). Everything that
changes a user's devices happens in one transaction, so a user is never left with half an
enrolment (a confirmed authenticator but no backup codes, or the reverse).
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django_otp import verify_token
from django_otp.oath import TOTP
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


def pending_totp_device(user: AbstractBaseUser, device_id: object = None) -> TOTPDevice:
    """The unconfirmed authenticator this enrolment attempt shows; a new one if it has none.

    `device_id` is the one the caller's session was shown before (the view keeps it in the
    session), so reloading the page does not change the secret under a phone that has
    already scanned it. Another session of the same user never gets that device or its
    secret: each attempt has its own, and confirming one removes the others
    (confirm_enrolment), so a secret seen by someone else's session is worthless.
    """
    device = None
    if isinstance(device_id, int):
        device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first()
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

    Returns None (and changes nothing but django-otp's throttle) when the code is wrong, or
    when another session has confirmed an authenticator meanwhile (one per person).
    On success the device is confirmed, every other unconfirmed device of the user (those
    other sessions were shown) is removed and a fresh set of backup codes replaces the old
    one, all in one transaction.
    """
    token = normalise_token(token)
    with transaction.atomic():
        # One enrolment at a time per user: the user's row is the lock.
        get_user_model()._default_manager.select_for_update().filter(pk=user.pk).first()
        if confirmed_totp_device(user) is not None:
            return None
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
    replayed: bool = False  # the right code, but of a time step already used to sign in

    @property
    def ok(self) -> bool:
        return self.device is not None


def verify_second_factor(user: AbstractBaseUser, token: str) -> Verification:
    """Check a code against the user's authenticator (6 digits) or backup codes (others).

    Each device is checked under a row lock (django_otp.verify_token), so a backup code
    cannot be used twice by two requests racing, and django-otp's per-device throttle
    applies (1, 2, 4 … seconds after successive failures).

    django-otp refuses an authenticator code whose time step was already used (replay
    protection). Such a code is reported as `replayed`, not as wrong: it came from the
    phone, and the person only has to wait for the next one.
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
        if method == "totp" and _already_used(device, token):
            return Verification(None, method, replayed=True)
    return Verification(None, method, throttled)


def _already_used(device: TOTPDevice, token: str) -> bool:
    """True if `token` is the device's code for a step within the tolerance it has used."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return bool(totp.verify(int(token), device.tolerance)) and totp.t() <= device.last_t


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

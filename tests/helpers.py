"""Shared test helpers for staff users (used by several apps' tests)."""

from django.contrib.auth.models import Group, User
from django_otp.plugins.otp_totp.models import TOTPDevice


def make_staff(username="staff", *, roles=(), password="correct horse battery staple 42"):
    """A staff user in the given groups, with a confirmed TOTP device."""
    user = User.objects.create_user(username=username, password=password, is_staff=True)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def login_staff(client, user, *, verified=True):
    """Log `user` in; with verified=True also mark the second factor as verified.

    django-otp keeps the verified device in the session under "otp_device_id".
    """
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if verified:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client

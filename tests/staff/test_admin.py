"""Staff accounts in the admin: resetting a lost phone, audited changes, no self-promotion."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from core.roles import ADMINISTRATOR, HEALTH_CENTRE
from tests.helpers import login_staff, make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/auth/user/"


def superuser_client(client):
    root = make_staff("root", roles=[ADMINISTRATOR])
    root.is_superuser = True
    root.save()
    return login_staff(client, root), root


def test_administrator_resets_a_lost_phone_and_the_user_must_enrol_again(
    client, admin_client_verified, health_centre_user
):
    StaticDevice.objects.create(user=health_centre_user, name="backup", confirmed=True)
    response = admin_client_verified.post(
        CHANGELIST, {"action": "reset_second_factor", "_selected_action": [health_centre_user.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=health_centre_user).exists()
    assert not StaticDevice.objects.filter(user=health_centre_user).exists()
    event = AuditEvent.objects.get(action="staff.second_factor.reset")
    assert event.target_id == str(health_centre_user.pk)
    assert event.details == {"devices_removed": 2}

    # Their next login leads to enrolment, not to the pages.
    from django.test import Client

    other = Client()
    other.post(
        "/staff/login/", {"username": "hoken", "password": "correct horse battery staple 42"}
    )
    response = other.get("/staff/")
    assert response.status_code == 302
    assert other.get(response["Location"], follow=True).request["PATH_INFO"] == "/staff/enrol/"


def test_a_reset_ends_the_verified_state_of_open_sessions(client, admin_client_verified):
    from django.test import Client

    victim = make_staff("victim", roles=[HEALTH_CENTRE])
    theirs = login_staff(Client(), victim)
    assert theirs.get("/staff/").status_code == 200
    admin_client_verified.post(
        CHANGELIST, {"action": "reset_second_factor", "_selected_action": [victim.pk]}
    )
    assert theirs.get("/staff/").status_code == 302


def test_health_centre_staff_cannot_reset_anyones_phone(desk, administrator_user):
    response = desk.post(
        CHANGELIST, {"action": "reset_second_factor", "_selected_action": [administrator_user.pk]}
    )
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=administrator_user).exists()


def test_nobody_resets_their_own_phone(admin_client_verified, administrator_user):
    admin_client_verified.post(
        CHANGELIST, {"action": "reset_second_factor", "_selected_action": [administrator_user.pk]}
    )
    assert TOTPDevice.objects.filter(user=administrator_user).exists()


def test_administrator_cannot_edit_accounts_or_promote_anyone(
    admin_client_verified, administrator_user
):
    url = f"{CHANGELIST}{administrator_user.pk}/change/"
    response = admin_client_verified.post(
        url, {"username": "kanri", "is_active": "on", "is_staff": "on", "is_superuser": "on"}
    )
    assert response.status_code == 403
    administrator_user.refresh_from_db()
    assert not administrator_user.is_superuser


def test_group_and_permission_changes_are_audited(client, health_centre_user):
    client, root = superuser_client(client)
    url = f"{CHANGELIST}{health_centre_user.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    admin_group = Group.objects.get(name=ADMINISTRATOR)
    data = {
        "username": "hoken",
        "is_active": "on",
        "is_staff": "on",
        "groups": [admin_group.pk, Group.objects.get(name=HEALTH_CENTRE).pk],
        "user_permissions": [Permission.objects.get(codename="view_slot").pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="staff.user.changed")
    assert event.actor_id == root.pk
    assert event.details["group_ids_added"] == [admin_group.pk]
    assert event.details["permissions_added"] == ["reservations.view_slot"]
    assert "groups" in event.details["changed_fields"]

    group_url = f"/admin/auth/group/{admin_group.pk}/change/"
    keep = list(admin_group.permissions.values_list("pk", flat=True))
    extra = Permission.objects.get(codename="delete_slot")
    response = client.post(group_url, {"name": ADMINISTRATOR, "permissions": [*keep, extra.pk]})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="staff.group.changed")
    assert event.details["permissions_added"] == ["reservations.delete_slot"]


def test_deleting_a_staff_user_is_audited(client, health_centre_user):
    client, _root = superuser_client(client)
    pk = health_centre_user.pk
    client.post(f"{CHANGELIST}{pk}/delete/", {"post": "yes"})
    assert not User.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.get(action="staff.user.deleted").target_id == str(pk)


def test_admin_autocomplete_is_no_unaudited_search_of_residents(admin_client_verified):
    """Django's autocomplete endpoint searches any registered admin's search_fields — here
    reservations by フリガナ — without the audited changelist search, with the name in the
    URL. No admin form uses autocomplete, so it does not exist."""
    from reservations import services as booking
    from tests.factories import SlotFactory, details

    booking.reservation_create(slots=[SlotFactory()], details=details())
    before = AuditEvent.objects.count()

    response = admin_client_verified.get(
        "/admin/autocomplete/",
        {
            "app_label": "reservations",
            "model_name": "notification",
            "field_name": "reservation",
            "term": "ヤマダ",
        },
    )

    assert response.status_code == 404
    assert b"results" not in response.content
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("path", ["/admin/otp_totp/totpdevice/", "/admin/otp_static/staticdevice/"])
def test_second_factor_devices_are_not_edited_in_the_admin(client, health_centre_user, path):
    """django-otp's device admin lets a superuser add backup codes of their choosing to
    someone else's account, or remove their phone, with no audit record. Devices change
    only through enrolment and the audited reset action."""
    admin, _root = superuser_client(client)
    for url in (path, f"{path}add/"):
        assert admin.get(url).status_code == 404, url
    device = TOTPDevice.objects.get(user=health_centre_user)
    if "totp" in path:
        assert admin.get(f"{path}{device.pk}/delete/").status_code == 404
    assert b"otp_" not in admin.get("/admin/").content


def test_an_administrator_cannot_reset_a_superusers_phone(admin_client_verified):
    """Otherwise an administrator who has seen a superuser's password resets the phone and
    enrols their own: a password alone would open the superuser's account."""
    root = make_staff("root", roles=[ADMINISTRATOR])
    root.is_superuser = True
    root.save()

    response = admin_client_verified.post(
        CHANGELIST,
        {"action": "reset_second_factor", "_selected_action": [root.pk]},
        follow=True,
    )

    assert TOTPDevice.objects.filter(user=root).exists()
    assert not AuditEvent.objects.filter(action="staff.second_factor.reset").exists()
    assert "スーパーユーザーの二要素認証" in response.content.decode()


def test_a_superuser_can_reset_another_superusers_phone(client):
    admin, _root = superuser_client(client)
    other = make_staff("root2", roles=[ADMINISTRATOR])
    other.is_superuser = True
    other.save()

    admin.post(CHANGELIST, {"action": "reset_second_factor", "_selected_action": [other.pk]})

    assert not TOTPDevice.objects.filter(user=other).exists()


def test_changing_ones_own_password_in_the_admin_is_audited(admin_client_verified):
    response = admin_client_verified.post(
        "/admin/password_change/",
        {
            "old_password": "correct horse battery staple 42",
            "new_password1": "another long passphrase 7319",
            "new_password2": "another long passphrase 7319",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="staff.user.password_set")
    assert event.actor_username == "kanri" and event.target_id == str(event.actor_id)
    assert event.details == {"via": "own_password_change"}
    # A refused change (wrong old password) changes nothing and records nothing new.
    admin_client_verified.post(
        "/admin/password_change/",
        {"old_password": "wrong", "new_password1": "x" * 20, "new_password2": "x" * 20},
    )
    assert AuditEvent.objects.filter(action="staff.user.password_set").count() == 1


def test_a_session_open_before_a_reset_cannot_enrol_a_new_phone(admin_client_verified):
    """A reset is what an administrator does when a phone, or a session, may be in the
    wrong hands. A session opened before it must not enrol a phone of its own without the
    password being typed again: enrolment is for a session whose password login found no
    second factor (first login, or the first login after a reset)."""
    from django.test import Client

    victim = make_staff("victim", roles=[HEALTH_CENTRE])
    stolen = login_staff(Client(), victim)
    assert stolen.get("/staff/").status_code == 200
    admin_client_verified.post(
        CHANGELIST, {"action": "reset_second_factor", "_selected_action": [victim.pk]}
    )

    response = stolen.get("/staff/enrol/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert not TOTPDevice.objects.filter(user=victim).exists()  # no secret was handed out
    assert stolen.get("/staff/").status_code == 302  # and the session is over
    assert "_auth_user_id" not in stolen.session

    # The person themselves logs in with the password and enrols as usual.
    fresh = Client()
    fresh.post(
        "/staff/login/", {"username": "victim", "password": "correct horse battery staple 42"}
    )
    assert fresh.get("/staff/enrol/").status_code == 200

"""The gate in front of /staff/ and /admin/: network, session lifetime, roles, headers."""

import ipaddress
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory

from audit.models import AuditEvent
from core.client import client_ip
from core.roles import ADMINISTRATOR, HEALTH_CENTRE
from staff.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from staff.network import address_allowed
from tests.helpers import login_staff, make_staff

pytestmark = pytest.mark.django_db


def nets(*cidrs):
    return [ipaddress.ip_network(c) for c in cidrs]


# --- Network allow-list ----------------------------------------------------------------------


def test_outside_the_allowed_networks_staff_and_admin_pages_do_not_exist(client, settings):
    settings.STAFF_ALLOWED_NETWORKS = nets("10.20.0.0/16")
    for path in ["/staff/", "/staff/login/", "/admin/", "/admin/login/", "/staff/exports/"]:
        response = client.get(path, REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 404, path
    # The login form cannot even be posted to from outside.
    assert client.post("/staff/login/", {"username": "x", "password": "y"}).status_code == 404
    # Residents' pages are not affected.
    assert client.get("/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_inside_the_allowed_networks_staff_pages_open(client, settings, health_centre_user):
    settings.STAFF_ALLOWED_NETWORKS = nets("10.20.0.0/16", "2001:db8::/32")
    assert client.get("/staff/login/", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/staff/login/", REMOTE_ADDR="2001:db8::5").status_code == 200
    login_staff(client, health_centre_user)
    assert client.get("/staff/", REMOTE_ADDR="10.20.3.4").status_code == 200
    # The same verified session from outside: 404.
    assert client.get("/staff/", REMOTE_ADDR="198.51.100.1").status_code == 404


def login_page_via_proxies(client, settings, proxies, *, remote, forwarded):
    """/staff/login/ for an office allow-listed as 10.20.0.0/16, behind `proxies` proxies."""
    settings.STAFF_ALLOWED_NETWORKS = nets("10.20.0.0/16")
    settings.TRUSTED_PROXY_COUNT = proxies
    return client.get("/staff/login/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)


def test_forwarded_header_is_ignored_without_trusted_proxies(client, settings):
    response = login_page_via_proxies(
        client, settings, 0, remote="203.0.113.9", forwarded="10.20.3.4"
    )
    assert response.status_code == 404


def test_behind_one_proxy_the_right_most_forwarded_address_counts(client, settings):
    # The client forged a left-most entry; the proxy appended the real address.
    forged = login_page_via_proxies(
        client, settings, 1, remote="192.0.2.1", forwarded="10.20.3.4, 203.0.113.9"
    )
    assert forged.status_code == 404
    real = login_page_via_proxies(
        client, settings, 1, remote="192.0.2.1", forwarded="203.0.113.9, 10.20.3.4"
    )
    assert real.status_code == 200


def test_client_ip_with_two_proxies_and_garbage(settings):
    factory = RequestFactory()
    settings.TRUSTED_PROXY_COUNT = 2
    request = factory.get(
        "/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 10.0.0.7, 192.0.2.2"
    )
    assert client_ip(request) == "10.0.0.7"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(factory.get("/", REMOTE_ADDR="not-an-ip")) is None
    settings.STAFF_ALLOWED_NETWORKS = nets("10.0.0.0/8")
    assert address_allowed(None) is False
    assert address_allowed("::ffff:10.1.2.3") is True
    settings.STAFF_ALLOWED_NETWORKS = []
    assert address_allowed(None) is True


# --- Session lifetime ----------------------------------------------------------------------------


def _age_session(client, *, idle=0, age=0):
    session = client.session
    now = time.time()
    session[SESSION_STARTED] = now - age
    session[SESSION_LAST_SEEN] = now - idle
    session.save()


def _let_time_pass(client, seconds):
    """As if `seconds` went by since the last request: the session's own stamps AND the
    store's expiry move into the past together (the store is what used to end it first)."""
    from django.contrib.sessions.models import Session

    key = client.session.session_key
    expires = Session.objects.get(session_key=key).expire_date
    session = client.session
    session[SESSION_STARTED] -= seconds
    session[SESSION_LAST_SEEN] -= seconds
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=expires - timedelta(seconds=seconds))


def test_idle_staff_session_expires_on_the_server(client, health_centre_user):
    from django.contrib.sessions.models import Session

    login_staff(client, health_centre_user)
    assert client.get("/staff/").status_code == 200
    key = client.session.session_key
    _age_session(client, idle=16 * 60, age=20 * 60)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?expired=idle&next=%2Fstaff%2F"
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/staff/").status_code == 302


def test_idle_timeout_is_audited_and_explained_on_the_login_page(client, health_centre_user):
    login_staff(client, health_centre_user)
    assert client.get("/staff/").status_code == 200
    _let_time_pass(client, 16 * 60)

    response = client.get("/staff/exports/?page=2", follow=True)

    assert response.redirect_chain[0] == (
        "/staff/login/?expired=idle&next=%2Fstaff%2Fexports%2F%3Fpage%3D2",
        302,
    )
    assert 'name="next" value="/staff/exports/?page=2"' in response.content.decode()
    event = AuditEvent.objects.get(action="staff.session.idle_timeout")
    assert event.actor_id == health_centre_user.pk
    assert event.details["idle_minutes"] == 16
    assert "15分間操作がなかったため、ログアウトしました" in response.content.decode()


def test_absolute_timeout_is_audited_and_explained_on_the_login_page(client, health_centre_user):
    login_staff(client, health_centre_user)
    assert client.get("/staff/").status_code == 200
    # Busy all day: a request every ten minutes, for 7 h 50 min.
    for _ in range(8 * 6 - 1):
        _let_time_pass(client, 10 * 60)
        assert client.get("/staff/").status_code == 200
    _let_time_pass(client, 12 * 60)

    response = client.get("/staff/", follow=True)

    assert response.redirect_chain[0] == ("/staff/login/?expired=absolute&next=%2Fstaff%2F", 302)
    event = AuditEvent.objects.get(action="staff.session.absolute_timeout")
    assert event.actor_id == health_centre_user.pk
    assert event.details["session_minutes"] == 8 * 60 + 2
    assert "ログインから8時間たったため、ログアウトしました" in response.content.decode()
    assert not AuditEvent.objects.filter(action="staff.session.idle_timeout").exists()


def test_past_both_limits_the_one_reached_first_is_named(client, health_centre_user):
    login_staff(client, health_centre_user)
    assert client.get("/staff/").status_code == 200
    _let_time_pass(client, 16 * 3600)  # left open in the evening, back the next morning
    response = client.get("/staff/")
    assert response["Location"].startswith("/staff/login/?expired=idle")
    assert AuditEvent.objects.filter(action="staff.session.idle_timeout").count() == 1


def test_the_idle_limit_follows_the_setting_on_the_login_page(client, settings):
    settings.STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    response = client.get("/staff/login/?expired=idle")
    assert "30分間操作がなかったため" in response.content.decode()


def test_activity_keeps_the_session_alive_until_the_absolute_limit(client, health_centre_user):
    login_staff(client, health_centre_user)
    _age_session(client, idle=14 * 60, age=7 * 3600)
    assert client.get("/staff/").status_code == 200
    _age_session(client, idle=60, age=8 * 3600 + 60)
    assert client.get("/staff/").status_code == 302


def test_an_ended_staff_session_leaves_the_store_a_day_after_its_limit(client, health_centre_user):
    login_staff(client, health_centre_user)
    client.get("/staff/")
    # Long enough for the next request to be told why; not kept forever.
    assert 15 * 60 < client.session.get_expiry_age() <= 15 * 60 + 24 * 3600
    _age_session(client, idle=0, age=8 * 3600 - 60)
    client.get("/staff/")
    assert client.session.get_expiry_age() <= 60 + 24 * 3600


def test_residents_pages_get_no_session_cookie_and_no_vary_cookie(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert "Cookie" not in response.get("Vary", "")


# --- Roles -------------------------------------------------------------------------------------


def test_staff_user_without_a_group_sees_nothing(client):
    nobody = make_staff("nobody", roles=[])
    login_staff(client, nobody)
    for path in [
        "/staff/",
        "/staff/desk/",
        "/admin/",
        "/admin/reservations/slot/",
        "/staff/exports/",
    ]:
        assert client.get(path).status_code == 403, path


def test_health_centre_user_cannot_open_slot_admin(desk):
    assert desk.get("/admin/reservations/slot/").status_code == 403
    assert desk.get("/admin/").status_code == 403


def test_administrator_opens_slot_admin_but_not_the_phone_desk(admin_client_verified):
    assert admin_client_verified.get("/admin/reservations/slot/").status_code == 200
    assert admin_client_verified.get("/staff/desk/").status_code == 403
    # /staff/ takes an administrator to the admin.
    response = admin_client_verified.get("/staff/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_administrator_without_health_centre_cannot_download_exports(admin_client_verified):
    assert admin_client_verified.get("/staff/exports/").status_code == 403
    assert admin_client_verified.post("/staff/exports/1/download/").status_code == 403


def test_roles_exist_with_their_admin_permissions():
    administrator = Group.objects.get(name=ADMINISTRATOR)
    codes = set(administrator.permissions.values_list("codename", flat=True))
    assert {"add_slot", "change_slot", "view_slot", "add_venue", "add_screeningtype"} <= codes
    assert {"view_reservation", "change_reservation", "view_citizen", "view_notification"} <= codes
    assert "reset_second_factor" in codes
    assert not codes & {"delete_slot", "delete_reservation", "change_citizen", "change_user"}
    assert not Group.objects.get(name=HEALTH_CENTRE).permissions.exists()
    assert Permission.objects.filter(codename="reset_second_factor").count() == 1


def test_role_pages_show_navigation_for_the_role_and_a_logout_button(desk):
    html = desk.get("/staff/").content.decode()
    assert "/staff/exports/" in html
    assert "/admin/" not in html
    assert 'action="/staff/logout/"' in html
    assert "hoken" in html  # who is signed in


# --- Headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/staff/login/", "/healthz"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_staff_pages_are_never_cached(desk):
    assert "no-store" in desk.get("/staff/")["Cache-Control"]


def test_lockout_and_audit_see_the_same_client_as_the_allow_list(client, settings):
    from axes.models import AccessAttempt

    from audit.models import AuditEvent

    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        "/staff/login/",
        {"username": "someone", "password": "wrong wrong wrong"},
        REMOTE_ADDR="192.0.2.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5",
    )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"
    assert AuditEvent.objects.get(action="staff.login.failed").ip == "203.0.113.5"


# --- The staff 403 page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "url", "needed"),
    [
        ([HEALTH_CENTRE], "/staff/audit/", "管理者"),
        ([HEALTH_CENTRE], "/admin/", "管理者"),
        ([HEALTH_CENTRE], "/admin/reservations/slot/", "管理者"),
        ([ADMINISTRATOR], "/staff/exports/", "保健センター"),
    ],
)
def test_staff_403_names_the_missing_role_in_the_staff_layout(client, settings, roles, url, needed):
    settings.STAFF_HELP_CONTACT = "情報システム課 内線 1234"
    login_staff(client, make_staff("someone", roles=roles))
    response = client.get(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert f"この画面には『{needed}』の権限が必要です" in page
    assert "情報システム課 内線 1234に権限の追加を依頼してください" in page
    assert 'class="staff"' in page  # the staff layout, not the residents' page
    assert "トップページへ戻る" not in page


def test_staff_403_without_any_role_says_so_and_whom_to_ask(client):
    login_staff(client, make_staff("nobody", roles=[]))
    response = client.get("/staff/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "職員の権限がないか" in page
    assert "職員アカウントを管理している管理者" in page


def test_residents_403_stays_the_residents_page():
    from django.core.exceptions import PermissionDenied

    from config.views import permission_denied

    response = permission_denied(RequestFactory().get("/lookup/"), PermissionDenied())
    assert response.status_code == 403
    assert 'class="staff"' not in response.content.decode()

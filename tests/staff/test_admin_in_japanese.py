"""Every admin page an administrator can open reads in Japanese.

The admin is crawled as a verified superuser with Japanese active: the index, every
registered model's list, add and change page, and the text a person reads or hears (text,
titles, alt texts, button labels) must hold no English words beyond the few that Japanese
UI text uses as they are (CSV, MAC, Control …). Data (usernames, codes, English names a
screening type is given) is not UI: it is either made of identifiers or excluded below.
Third-party apps shown in the admin (django-axes) have no Japanese of their own: every
string of theirs must be translated in the project's catalogues.
"""

import re
import shutil
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import axes
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

import audit
from exports.models import Batch
from reservations import services
from tests import factories
from tests.helpers import login_staff, make_superuser
from tests.reservations.test_views_translations import parse_po

pytestmark = pytest.mark.django_db

# Words that Japanese UI text itself contains (Django's own Japanese included).
SAME_IN_JAPANESE = {
    "CSV",
    "MAC",
    "SHA",
    "TOTP",
    "ID",
    "IP",
    "URL",
    "GET",
    "POST",
    "HTTP",
    "Accept",
    "User",
    "Agent",  # ブラウザー（User-Agent）
    "Control",
    "Command",
    "Mac",  # Django: 「Control キーを押したまま…Mac は Command キー」
    "LDAP",  # Django: 「シングルサインオンや LDAP などの他のバックエンド」
    "kenshin",  # the product's name in the site header
    "Web",  # 「Web予約」
}
# Stored data, not UI: the test's usernames, user agent and address; group names, which
# are the role codes the code checks (health_centre, administrator); screening-type codes;
# a reservation's language code; what axes stores for a missing header (<unknown>).
DATA = {"root", "ua", "hanako", "example", "administrator", "lung", "breast", "stomach", "ja"}
DATA |= {"colorectal", "cervical"}  # the types seeded inactive (reservations 0007)
DATA |= {"unknown", "phone"}  # "phone": the device name tests.helpers.make_staff gives
# Django's own gaps, which no catalogue reaches: the rows of its auto-created many-to-many
# tables on a user's or group's delete page ("User-group の関連: User_groups object (1)").
DJANGO_GAPS = re.compile(r"^(User|Group)-(group|permission) の関連: \w+ object \(\d+\)$")
# A word inside an identifier (a code, a path, an email, a hash) is data, not UI.
IDENTIFIER = re.compile(r"[\w.@/+=*-]*[\d_.@/+=*-][\w.@/+=*-]*")


# A command to type, shown inline in a sentence (the export list's openssl line).
COMMAND_LINE = re.compile(r"\bopenssl [a-z]+ -")


class _Readable(HTMLParser):
    """The words a person reads or hears: text, titles, alt texts, button labels.

    Not: scripts and styles, commands to type (code, kbd, pre), and the stored contents of
    text areas and text inputs (data being edited, such as a screening type's English name).
    """

    SKIP = {"script", "style", "textarea", "code", "kbd", "pre"}

    def __init__(self):
        super().__init__()
        self.parts = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.SKIP:
            self._skip += 1
        for name in ("title", "alt", "aria-label", "placeholder"):
            if attributes.get(name):
                self.parts.append(attributes[name])
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def english_in(html: str) -> set[str]:
    """The pieces of readable text that hold an English word."""
    parser = _Readable()
    parser.feed(html)
    found = set()
    for part in parser.parts:
        if COMMAND_LINE.search(part) or DJANGO_GAPS.match(part.strip()):
            continue
        for token in part.split():
            words = re.findall(r"[A-Za-z]{2,}", token)
            if not words or IDENTIFIER.fullmatch(token.strip("()（）[]:：,、。»›|\"'")):
                continue
            if any(w not in SAME_IN_JAPANESE and w not in DATA for w in words):
                found.add(part.strip())
    return found


@pytest.fixture
def admin_data():
    """One of everything the admin lists, so that every change page can be opened."""
    slot = factories.SlotFactory()
    services.reservation_create(slots=[slot], details=factories.details())
    audit.record(action="staff.logout")
    row = {"username": "x", "ip_address": "192.0.2.1", "user_agent": "ua", "path_info": "/s/"}
    AccessAttempt.objects.create(**row, failures_since_start=2, get_data="", post_data="")
    AccessLog.objects.create(**row)
    AccessFailureLog.objects.create(**row, locked_out=True)
    Batch.objects.create(
        kind=Batch.Kind.DELTA,
        period_start=timezone.now() - timedelta(days=1),
        period_end=timezone.now(),
        encoding="cp932",
        plaintext_bytes=10,
        plaintext_sha256="0" * 64,
        file_bytes=20,
        file_sha256="1" * 64,
        recipient_fingerprint="2" * 64,
    )


def admin_pages() -> list[str]:
    """The index, each model's list, add, change, history and delete page, each app's page,
    the password pages and the admin's own extra pages (bulk creation of slots)."""
    pages = [
        "/admin/",
        reverse("admin:password_change"),
        reverse("admin:reservations_slot_bulk_create"),
    ]
    for model in admin.site._registry:
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        pages.append(reverse(f"admin:{info}_changelist"))
        pages.append(reverse(f"admin:{info}_add"))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            pages.append(reverse(f"admin:{info}_change", args=[obj.pk]))
            for view in ("history", "delete", "password"):
                try:
                    pages.append(reverse(f"admin:{info}_{view}", args=[obj.pk]))
                except NoReverseMatch:
                    pass
        try:
            pages.append(reverse("admin:app_list", args=[model._meta.app_label]))
        except NoReverseMatch:
            pass
    return sorted(set(pages))


def test_every_admin_page_reads_in_japanese(client, admin_data):
    login_staff(client, make_superuser())
    opened, problems = 0, []
    for url in admin_pages():
        response = client.get(url)
        if response.status_code in (403, 404):  # not offered (no add page, hidden list)
            continue
        assert response.status_code == 200, url
        opened += 1
        problems += [f"{url}: {text!r}" for text in sorted(english_in(response.content.decode()))]
    assert opened >= 30, "the crawl opened the admin's pages"
    assert not problems, "English on Japanese admin pages:\n" + "\n".join(problems)


STAFF_PAGES = [
    "/staff/",
    "/staff/desk/",
    "/staff/exports/",
    "/staff/audit/",
    "/staff/audit/?action=staff.login.",
    "/staff/backup-codes/",
]


def test_every_staff_page_reads_in_japanese(client, admin_data):
    from core.roles import HEALTH_CENTRE

    root = make_superuser(roles=["administrator", HEALTH_CENTRE])
    details = {"stage": "verify", "method": "totp", "throttled": False}
    audit.record(action="staff.second_factor.failed", details=details)
    for page in ("/staff/login/", "/staff/login/?expired=idle", "/staff/login/?logged_out=1"):
        assert not english_in(client.get(page).content.decode()), page
    login_staff(client, root)
    problems = []
    for url in STAFF_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        problems += [f"{url}: {text!r}" for text in sorted(english_in(response.content.decode()))]
    assert not problems, "English on Japanese staff pages:\n" + "\n".join(problems)


def test_the_check_finds_english(client, admin_data):
    """The crawl's check is not blind: an English heading is found, data is not."""
    assert english_in("<h1>Change access attempt</h1>") == {"Change access attempt"}
    assert english_in('<img alt="True">') == {"True"}
    assert english_in("<td>health_centre</td><td>root</td><td>exports.batch.created</td>") == set()
    assert english_in("<textarea>Stomach X-ray</textarea><p>CSVバッチ</p>") == set()


def test_permissions_are_listed_in_japanese(client, admin_data):
    login_staff(client, make_superuser())
    group = Group.objects.get(name="administrator")
    page = client.get(reverse("admin:auth_group_change", args=[group.pk])).content.decode()
    assert "検診予約 | 予約枠 | 変更" in page
    assert "職員 | 職員の権限 | 職員の二要素認証をリセットできる" in page
    assert "ログイン失敗とロック | ログイン試行 | 閲覧" in page
    assert "Can change" not in page


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_every_string_of_django_axes_has_japanese(tmp_path, monkeypatch):
    """django-axes ships no Japanese: each of its strings is in our catalogue."""
    source = Path(axes.__file__).parent
    shutil.copytree(
        source,
        tmp_path / "axes",
        ignore=shutil.ignore_patterns("__pycache__", "migrations", "locale", "tests"),
    )
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[str(tmp_path / "locale")]):
        call_command("makemessages", locale=["ja"], verbosity=0)
    extracted = parse_po((tmp_path / "locale/ja/LC_MESSAGES/django.po").read_text("utf-8"))
    assert len(extracted) > 20, "the extraction found axes' strings"
    with translation.override("ja"):
        missing = [
            msgid
            for _ctx, msgid, _plural, _strs, _flags, _refs in extracted
            if "{" not in msgid  # an f-string axes passes to gettext: never translatable
            and translation.gettext(msgid) == msgid
        ]
    assert not missing, "\n".join(missing)

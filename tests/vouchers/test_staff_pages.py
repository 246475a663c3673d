"""/staff/vouchers/: upload, preview, commit; roles; refusals by line."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from core.roles import ADMINISTRATOR
from tests.helpers import login_staff, make_staff
from vouchers.models import PendingImport, VoucherEntry, VoucherList

from .conftest import list_file

pytestmark = pytest.mark.django_db

GOOD = list_file("0001,山田 花子,1970-05-01,2,51 52,A", "0002,山田 太郎,1960-01-02,1,51,")


def upload(client, data, name="list.csv"):
    return client.post("/staff/vouchers/upload/", {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def staff(client, staff_user, screenings):
    return login_staff(client, staff_user)


def test_upload_shows_the_mapping_and_counts_then_commit_imports(staff):
    response = upload(staff, GOOD)
    assert response.status_code == 200
    text = response.content.decode()
    assert "無視（保存しない）" in text  # the 氏名 column
    assert not VoucherList.objects.exists()  # a preview imports nothing
    token = re.search(r'name="token" value="([^"]+)"', text).group(1)
    response = staff.post("/staff/vouchers/commit/", {"token": token})
    assert response.status_code == 303
    assert VoucherList.objects.get().row_count == 2
    assert AuditEvent.objects.filter(action="vouchers.list.imported").count() == 1
    assert AuditEvent.objects.filter(action="vouchers.list.previewed").count() == 1
    # The same preview cannot be committed twice.
    assert staff.post("/staff/vouchers/commit/", {"token": token}).status_code == 409


def test_a_malformed_file_is_refused_with_line_numbers(staff):
    response = upload(staff, list_file("0001,X,1970-05-01,2,51,", "0002,X,1970-02-30,2,51,"))
    assert response.status_code == 400
    assert re.search(r"<td>3</td><td>生年月日", response.content.decode())
    assert not PendingImport.objects.exists() and not VoucherEntry.objects.exists()
    assert AuditEvent.objects.filter(action="vouchers.list.refused").count() == 1


def test_a_forged_commit_token_is_refused(staff):
    assert staff.post("/staff/vouchers/commit/", {"token": "forged"}).status_code == 400


def test_an_upload_without_a_file_is_refused(staff):
    assert staff.post("/staff/vouchers/upload/", {}).status_code == 400


def test_the_list_page_refuses_post_and_commit_refuses_get(staff):
    assert staff.post("/staff/vouchers/").status_code == 405
    assert staff.get("/staff/vouchers/commit/").status_code == 405


def test_administrators_may_open_it_too(client, screenings):
    login_staff(client, make_staff("kanri", roles=[ADMINISTRATOR]))
    assert client.get("/staff/vouchers/").status_code == 200


def test_staff_without_a_role_are_refused(client, screenings):
    login_staff(client, make_staff("norole"))
    assert client.get("/staff/vouchers/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/staff/vouchers/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]

"""Fee classes (費用区分): what the city's list gives a person decides the fee, when admin
configures the class — on the confirm page, the booking's pages, the mail, the roster and
the export; a class nobody configured, or one without an amount, changes nothing."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from core.roles import ADMINISTRATOR
from exports import csvfile
from exports import services as exports
from reservations import fees
from reservations.mail import build_message
from reservations.models import Notification, Reservation, ScreeningType
from tests.exports.conftest import openssl_decrypt
from tests.helpers import login_staff, make_staff
from tests.reservations.test_views import PERSON, Scene, hidden
from vouchers.fees import fee_class_rules, unconfigured_fee_classes
from vouchers.models import FeeClass

from .conftest import list_file

pytestmark = pytest.mark.django_db

# PERSON is born 1 May 1960: 66 at the end of this fiscal year or the next.
VOUCHER = {
    "number": "0001-2345",
    "birth_date_era": "S",
    "birth_date_year": "35",
    "birth_date_month": "5",
    "birth_date_day": "1",
}
WELFARE = "生活保護世帯"


@pytest.fixture
def scene(import_list):
    """Lung (500 yen) in 受診券 mode, alone on its day (no set page in between); the list
    gives the holder fee class B."""
    cache.clear()
    scene = Scene()
    ScreeningType.objects.filter(pk=scene.lung.pk).update(voucher_required=True)
    scene.lung.refresh_from_db()
    scene.stomach_slot.delete()
    import_list(list_file("00012345,新座 花子,1960-05-01,2,51,B"))
    return scene


def confirm_page(client, slot):
    """Voucher, then details: the page that asks to confirm the booking."""
    response = client.post(f"/book/{slot.pk}/voucher/", VOUCHER)
    assert response.status_code == 200
    token = hidden(response, "form_token")
    response = client.post(f"/book/{slot.pk}/", {**PERSON, "form_token": token})
    assert response.status_code == 200
    assert "reservations/book_confirm.html" in [t.name for t in response.templates]
    return response


def book(client, slot):
    page = confirm_page(client, slot)
    response = client.post("/book/confirm/", {"state": hidden(page, "state")})
    assert response.status_code == 303
    return page, Reservation.objects.get()


def export_row(reservation):
    day = reservation.items.get().slot.local_date
    record, change = next(
        r
        for r in exports._live_bookings(day, day)
        if r[0]["reservation__number"] == reservation.number
    )
    row, _flagged = csvfile.csv_row(
        record, change=change, encoding="cp932", fee_classes=fee_class_rules()
    )
    return dict(zip(csvfile.KEYS, row, strict=True))


def test_a_class_of_0_yen_makes_the_booking_free_everywhere_with_its_reason(client, scene):
    FeeClass.objects.create(code="B", label=WELFARE, amount=0)

    page, reservation = book(client, scene.lung_slot)

    assert page.context["fee"] == 0
    assert f"無料（費用区分「{WELFARE}」による）" in page.content.decode()
    assert reservation.fee_class == "B"
    body = build_message(Notification.objects.get(kind="confirmation")).body
    fee_part = body.split("■ 費用")[1][:120]
    assert "無料（費用区分による）" in fee_part and "500" not in fee_part
    assert WELFARE not in body  # a mail does not say which class
    row = export_row(reservation)
    assert (row["fee"], row["fee_reason"], row["fee_class"]) == ("0", "費用区分", "B")


def test_the_booking_pages_show_the_class_fee_after_booking(client, scene):
    FeeClass.objects.create(code="B", label=WELFARE, amount=0)
    _page, reservation = book(client, scene.lung_slot)

    done = client.get("/book/done/")
    assert done.status_code == 200
    assert f"無料（費用区分「{WELFARE}」による）" in done.content.decode()
    assert done.context["fee"] == 0
    assert done.context["fee_payer"].fee_class.amount == 0
    assert reservation.items.count() == 1


def test_a_class_with_an_amount_charges_that_amount(client, scene):
    FeeClass.objects.create(code="B", label="減額", amount=200)

    page, reservation = book(client, scene.lung_slot)

    assert page.context["fee"] == 200
    assert "200円（費用区分「減額」による）" in page.content.decode()
    row = export_row(reservation)
    assert (row["fee"], row["fee_reason"]) == ("200", "費用区分")


def test_a_class_nobody_configured_pays_the_usual_fee(client, scene):
    FeeClass.objects.create(code="A", label=WELFARE, amount=0)  # another class

    page, reservation = book(client, scene.lung_slot)

    assert page.context["fee"] == 500
    text = page.content.decode()
    assert "500円" in text and "費用区分" not in text
    assert reservation.fee_class == "B"  # still carried, for the export's 費用区分 column
    row = export_row(reservation)
    assert (row["fee"], row["fee_reason"], row["fee_class"]) == ("500", "通常", "B")


def test_a_class_without_an_amount_keeps_the_exemptions(client, scene):
    ScreeningType.objects.filter(pk=scene.lung.pk).update(free_from_age=65)
    FeeClass.objects.create(code="B", label="一般", amount=None)

    page, reservation = book(client, scene.lung_slot)

    assert page.context["fee"] == 0
    assert "年齢により無料" in page.content.decode()
    row = export_row(reservation)
    assert (row["fee"], row["fee_reason"]) == ("0", "年齢免除")


def test_a_class_amount_replaces_the_age_exemption(client, scene):
    ScreeningType.objects.filter(pk=scene.lung.pk).update(free_from_age=65)
    FeeClass.objects.create(code="B", label="市外", amount=300)

    page, _reservation = book(client, scene.lung_slot)

    assert page.context["fee"] == 300


def test_codes_match_across_full_and_half_width(client, import_list, scene):
    import_list(list_file("00012345,新座 花子,1960-05-01,2,51,Ｂ "))
    FeeClass.objects.create(code="B", label=WELFARE, amount=0)

    page, reservation = book(client, scene.lung_slot)

    assert page.context["fee"] == 0
    assert export_row(reservation)["fee"] == "0"


def test_the_export_batch_reads_back_with_the_class_fee(
    client,
    scene,
    export_settings,
    health_centre_keys,
    export_storage_dir,
    tmp_path,
):
    export_settings.EXPORT_ENCODING = "cp932"
    FeeClass.objects.create(code="B", label=WELFARE, amount=0)
    _page, reservation = book(client, scene.lung_slot)
    Reservation.objects.filter(pk=reservation.pk).update(
        created_at=reservation.created_at - timedelta(minutes=10),
        changed_at=reservation.changed_at - timedelta(minutes=10),
    )

    batch = exports.batch_create_delta(cutoff=reservation.created_at - timedelta(minutes=2)).batch
    plaintext = openssl_decrypt(
        export_storage_dir / batch.stored_name, health_centre_keys, tmp_path
    )
    (row,) = list(csv.DictReader(io.StringIO(plaintext.decode("cp932"), newline="")))

    assert (row["費用"], row["費用理由"], row["費用区分"]) == ("0", "費用区分", "B")


def test_the_roster_shows_the_class_fee_with_one_query_for_the_classes(scene):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reception.queries import roster
    from reservations import services
    from tests.factories import details

    FeeClass.objects.create(code="B", label=WELFARE, amount=0)
    FeeClass.objects.create(code="C", label="減額", amount=100)
    slot = scene.lung_hall
    ScreeningType.objects.filter(pk=scene.lung.pk).update(voucher_required=False)
    slot.refresh_from_db()
    for n, code in enumerate(["B", "C", "Z", ""]):
        services.reservation_create(
            slots=[slot],
            details=details(furigana=f"ア {'アイウエ'[n]}", phone=f"048-000-000{n}"),
            fee_class=code,
        )

    with CaptureQueriesContext(connection) as queries:
        groups = roster(slot.venue, slot.local_date)

    assert len([q for q in queries if "vouchers_feeclass" in q["sql"]]) == 1  # not one a row

    rows = [row for group in groups for row in group.rows]
    assert [(r.reservation.fee_class, r.items[0].fee.amount) for r in rows] == [
        ("B", 0),
        ("C", 100),
        ("Z", 500),
        ("", 500),
    ]
    assert [r.items[0].fee.reason_code for r in rows] == [
        fees.FEE_CLASS,
        fees.FEE_CLASS,
        fees.STANDARD,
        fees.STANDARD,
    ]


# --- The list upload's preview ------------------------------------------------------------


def upload(client, data):
    return client.post("/staff/vouchers/upload/", {"file": SimpleUploadedFile("list.csv", data)})


@pytest.fixture
def staff(client, staff_user, screenings):
    return login_staff(client, staff_user)


def test_the_preview_warns_of_classes_that_are_not_configured(staff):
    FeeClass.objects.create(code="1", label=WELFARE, amount=0)
    data = list_file(
        "0001,山田 花子,1970-05-01,2,51,1",
        "0002,山田 太郎,1960-01-02,1,51,9",
        "0003,山田 一郎,1960-01-03,1,51,9",
        "0004,山田 次郎,1960-01-04,1,51,",
    )

    response = upload(staff, data)

    assert response.status_code == 200
    assert response.context["unconfigured_fee_classes"] == {"9": 2}
    text = response.content.decode()
    assert "設定されていない費用区分" in text
    assert "通常の費用" in text
    assert re.search(r"<td>9</td><td>2</td>", text)


def test_the_preview_says_nothing_when_every_class_is_configured(staff):
    FeeClass.objects.create(code="A", label=WELFARE, amount=0)

    response = upload(
        staff, list_file("0001,山田 花子,1970-05-01,2,51,A", "0002,山田 太郎,1960-01-02,1,51,")
    )

    assert response.status_code == 200
    assert response.context["unconfigured_fee_classes"] == {}
    assert "設定されていない費用区分" not in response.content.decode()


def test_unconfigured_fee_classes_counts_people_and_ignores_blanks(db):
    FeeClass.objects.create(code="1", label=WELFARE, amount=0)
    assert unconfigured_fee_classes(["1", "２", "2", "", " ", "3"]) == {"2": 2, "3": 1}


# --- Admin ----------------------------------------------------------------------------------


@pytest.fixture
def administrator(client, db):
    return login_staff(client, make_staff("kanri", roles=[ADMINISTRATOR]))


def test_an_administrator_configures_a_class_in_admin_and_it_is_audited(administrator):
    response = administrator.post(
        "/admin/vouchers/feeclass/add/", {"code": "１", "label": WELFARE, "amount": "0"}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    fee_class = FeeClass.objects.get()
    assert (fee_class.code, fee_class.amount) == ("1", 0)  # 全角 stored as the list's 半角
    event = AuditEvent.objects.get(action="vouchers.fee_class.created")
    assert event.details["after"] == {"amount": 0}  # the label is free text: not recorded
    page = administrator.get("/admin/vouchers/feeclass/")
    assert page.status_code == 200
    assert "費用区分" in page.content.decode()


def test_an_empty_amount_is_stored_as_none(administrator):
    administrator.post(
        "/admin/vouchers/feeclass/add/", {"code": "2", "label": "一般", "amount": ""}
    )
    assert FeeClass.objects.get().amount is None


def test_a_class_code_is_unique_after_normalising(administrator):
    FeeClass.objects.create(code="1", label=WELFARE, amount=0)
    response = administrator.post(
        "/admin/vouchers/feeclass/add/", {"code": "１", "label": "二重", "amount": "0"}
    )
    assert response.status_code == 200  # the form again, with the error
    assert FeeClass.objects.count() == 1


def test_health_centre_staff_cannot_configure_classes(client, staff_user):
    staff = login_staff(client, staff_user)
    response = staff.get("/admin/vouchers/feeclass/")
    assert response.status_code in (302, 403)
    assert not FeeClass.objects.exists()


def test_a_code_that_normalisation_lengthens_past_the_limit_is_refused_in_words(db):
    from django.core.exceptions import ValidationError

    fee_class = FeeClass(code="㍿㍿㍿", label="長い", amount=0)  # NFKC: 株式会社 × 3
    with pytest.raises(ValidationError) as refused:
        fee_class.full_clean()
    assert "code" in refused.value.message_dict

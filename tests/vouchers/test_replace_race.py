"""A booking that races a list replacement sees the old list or the new one, never a half."""

import threading
from datetime import date

import pytest
from django.db import connections
from django.utils import timezone

from audit.context import AuditContext
from reservations.models import ScreeningType
from vouchers import services
from vouchers.models import VoucherEntry

from .conftest import list_file

PEOPLE = 300
REPLACEMENTS = 6


def people_file(fee_class: str) -> bytes:
    return list_file(*(f"{n:08d},X,1960-01-01,2,51,{fee_class}" for n in range(PEOPLE)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_check_racing_a_replacement_sees_one_whole_list(staff_user, import_list):
    import_list(people_file("old"))
    lung = ScreeningType.objects.get(code="lung")
    context = AuditContext(actor=staff_user)
    files = {"old": people_file("old"), "new": people_file("new")}
    done = threading.Event()
    seen: list[object] = []
    failures: list[BaseException] = []

    def replace() -> None:
        try:
            for round_ in range(REPLACEMENTS):
                data = files["new" if round_ % 2 == 0 else "old"]
                _parsed, pending = services.voucher_list_stage(data=data, audit_context=context)
                services.voucher_list_replace(
                    pending_id=pending.pk, file_sha256=pending.file_sha256, audit_context=context
                )
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            done.set()
            connections.close_all()

    def check() -> None:
        try:
            while not done.is_set():
                try:
                    match = services.voucher_check(
                        number=f"{PEOPLE - 1:08d}",
                        birth_date=date(1960, 1, 1),
                        screening_type=lung,
                        now=timezone.now(),
                    )
                    seen.append(match.fee_class)
                except services.VoucherRefused as refused:
                    seen.append(refused.code)
                current = VoucherEntry.objects.filter(voucher_list__is_current=True)
                seen.append(current.count())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=replace)] + [
        threading.Thread(target=check) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert not failures, failures
    assert seen, "the checks never ran"
    assert set(seen) <= {"old", "new", PEOPLE}, set(seen) - {"old", "new", PEOPLE}
    assert VoucherEntry.objects.count() == PEOPLE  # the replaced lists are gone

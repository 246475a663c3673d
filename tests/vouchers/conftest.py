import pytest

from audit.context import AuditContext
from core.roles import HEALTH_CENTRE
from reservations.models import ScreeningType

# The browser fixtures, for test_browser.py.
from tests.browser.conftest import browser, new_page, place  # noqa: F401

# The export fixtures, for test_fee_classes.py's read-back of a batch.
from tests.exports.conftest import (  # noqa: F401
    export_settings,
    export_storage_dir,
    health_centre_keys,
)
from tests.helpers import make_staff
from vouchers import services

HEADER = "受診券番号,氏名,生年月日,性別,受診可能検診,費用区分\r\n"


def list_file(*lines: str, header: str = HEADER, encoding: str = "cp932") -> bytes:
    return (header + "".join(line + "\r\n" for line in lines)).encode(encoding)


@pytest.fixture
def screenings(db):
    """The seeded types with their 検診種別コード (migrations reservations 0002 and 0007),
    seeded again when a transactional test before this one flushed them."""
    import importlib

    first = importlib.import_module("reservations.migrations.0002_seed_screening_types")
    voucher = importlib.import_module("reservations.migrations.0007_voucher")
    for row in [*first.SCREENINGS, *voucher.NEW_SCREENINGS]:
        ScreeningType.objects.get_or_create(code=row["code"], defaults=row)
    for code, system_code in voucher.SYSTEM_CODES.items():
        ScreeningType.objects.filter(code=code).update(system_code=system_code)
    return {st.code: st for st in ScreeningType.objects.all()}


@pytest.fixture
def staff_user(db):
    return make_staff("hoken", roles=[HEALTH_CENTRE])


@pytest.fixture
def import_list(staff_user, screenings):
    """Upload and commit a list file; returns the VoucherList."""

    def run(data: bytes):
        context = AuditContext(actor=staff_user)
        parsed, pending = services.voucher_list_stage(data=data, audit_context=context)
        assert pending is not None, parsed.errors
        return services.voucher_list_replace(
            pending_id=pending.pk, file_sha256=pending.file_sha256, audit_context=context
        )

    return run

"""The personal data of a round's applications does not outlive its purpose.

Once a round is drawn and its last screening is RESERVATION_RETENTION_DAYS past (the same
period as bookings), its applications' personal details are erased: withdrawn ones are
deleted, the others keep only what the published result list needs (number, place in the
order, preferences as drawn, result). Winners' bookings are purged by reservations'
own retention. Run by `manage.py lottery_purge` (nightly, beside purge_reservations).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

import audit
from lottery.models import Application, ApplicationScreening, Round

ERASED_BIRTH_DATE = date(1900, 1, 1)


def rounds_due(*, now: datetime | None = None) -> list[Round]:
    today = timezone.localdate(now or timezone.now())
    keep_from = today - timedelta(days=settings.RESERVATION_RETENTION_DAYS)
    threshold = datetime.combine(keep_from, time(0), tzinfo=timezone.get_current_timezone())
    return list(
        Round.objects.exclude(drawn_at=None)
        .annotate(last_screening=Max("round_slots__slot__starts_at"))
        .filter(last_screening__lt=threshold)
    )


def applications_erase(*, now: datetime | None = None) -> int:
    """Erase the personal details of every due round's applications; one transaction and
    one audit record ("lottery.application.erased", counts only) per round. Returns how
    many applications were erased or deleted. Running it again changes nothing."""
    total = 0
    for round_ in rounds_due(now=now):
        with transaction.atomic():
            withdrawn, _ = round_.applications.filter(status=Application.Status.WITHDRAWN).delete()
            erased = (
                round_.applications.exclude(name="")
                .exclude(person_key="")
                .update(
                    name="",
                    furigana="",
                    birth_date=ERASED_BIRTH_DATE,
                    postal_code="",
                    address="",
                    phone="",
                    email="",
                    voucher_number="",
                    person_key="",
                    form_token=None,
                )
            )
            ApplicationScreening.objects.filter(round=round_).update(person_key="", is_live=False)
            if erased or withdrawn:
                audit.record(
                    action="lottery.application.erased",
                    target=round_,
                    details={"erased": erased, "withdrawn_deleted": withdrawn},
                )
            total += erased + withdrawn
    return total

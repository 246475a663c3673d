"""The city's list of people who may book (対象者), as keyed hashes only.

One VoucherList is current at a time (a partial UniqueConstraint); replacing it is one
transaction (vouchers.services.voucher_list_replace), so a booking sees the old list or
the new one, never a mix. A PendingImport holds an uploaded file between its preview and
its commit, already hashed: names and addresses in the file never reach the database.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VoucherList(models.Model):
    created_at = models.DateTimeField(_("imported at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    row_count = models.PositiveIntegerField(_("people on the list"))
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("voucher list")
        verbose_name_plural = _("voucher lists")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_voucher_list"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.row_count})"


def fee_class_key(code: str) -> str:
    """How a fee class code is matched: NFKC (全角 "１" is "1") and stripped, so that the
    list's spelling and the administrator's need not agree to the character."""
    return unicodedata.normalize("NFKC", code).strip()


FEE_CLASS_CODE_MAX = 10


class FeeClass(models.Model):
    """What the city's fee class (費用区分 / 負担区分, VoucherEntry.fee_class) means for the
    fee (reservations.fees.fee_for). A code on the list that is not configured here
    changes nothing: the screening's fee and exemptions apply."""

    code = models.CharField(
        _("code"),
        max_length=FEE_CLASS_CODE_MAX,
        unique=True,
        help_text=_("As the city's list writes it in its 費用区分 column, e.g. 1 or A."),
    )
    label = models.CharField(
        _("label"), max_length=60, help_text=_("What the class is, e.g. 生活保護世帯.")
    )
    amount = models.PositiveIntegerField(
        _("fee (yen)"),
        null=True,
        blank=True,
        help_text=_(
            "Empty: the screening's usual fee and exemptions apply. A number: what people "
            "of this class pay for each screening that has a fee, instead of the fee and "
            "the exemptions; 0 = free of charge."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("fee class")
        verbose_name_plural = _("fee classes")

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    def clean(self) -> None:
        self.code = fee_class_key(self.code)
        # NFKC may lengthen a code (㍿ → 株式会社): check the stored form's length again.
        limit = FEE_CLASS_CODE_MAX
        if len(self.code) > limit:
            raise ValidationError(
                {"code": _("A fee class code has at most %(n)s characters.") % {"n": limit}}
            )


class VoucherEntry(models.Model):
    """One person on a list: keyed hashes (vouchers.keys), sex, screenings and fee class."""

    voucher_list = models.ForeignKey(VoucherList, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=64)
    number_key = models.CharField(max_length=64)
    sex = models.CharField(max_length=1, blank=True)
    # ScreeningType.code values, space-separated ("lung breast").
    screenings = models.CharField(max_length=200)
    fee_class = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = _("voucher list entry")
        verbose_name_plural = _("voucher list entries")
        constraints = [
            models.UniqueConstraint(
                fields=["voucher_list", "number_key"], name="one_entry_per_number_per_list"
            ),
        ]
        indexes = [models.Index(fields=["number_key"])]

    def __str__(self) -> str:
        return f"{self.voucher_list_id}/{self.pk}"

    @property
    def screening_codes(self) -> tuple[str, ...]:
        return tuple(self.screenings.split())


class PendingImport(models.Model):
    """An uploaded list between its preview and its commit: hashed rows, counts, the file's
    SHA-256. Deleted when committed; an uncommitted one is replaced by the next upload."""

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_sha256 = models.CharField(max_length=64)
    # [[key, number_key, sex, "lung breast", fee_class], ...]
    rows = models.JSONField()
    summary = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("uploaded list awaiting import")
        verbose_name_plural = _("uploaded lists awaiting import")

    def __str__(self) -> str:
        return f"pending #{self.pk}"


class VoucherPass(models.Model):
    """A voucher checked at the start of one booking, found again by its form token.

    The booking's later steps (details, set screenings, confirm) carry only the form token;
    the confirm step checks the voucher against the list once more (with the date of birth
    in the details) and stamps the number and fee class on the reservation. Kept for an
    hour at most, then deleted (vouchers.booking).
    """

    form_token = models.CharField(max_length=64, unique=True)
    number = models.CharField(max_length=20)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("checked screening ticket")
        verbose_name_plural = _("checked screening tickets")

    def __str__(self) -> str:
        return f"pass #{self.pk}"

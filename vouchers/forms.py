"""The staff upload form and the resident's 受診券番号 + 生年月日 form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from citizens.forms import JapaneseDateField
from vouchers.importer import MAX_FILE_BYTES
from vouchers.keys import NUMBER_MAX, normalise_number


class ListUploadForm(forms.Form):
    file = forms.FileField(label=_("List file (CSV)"))

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."),
                params={"mb": MAX_FILE_BYTES // 1024 // 1024},
                code="too_large",
            )
        return bytes(upload.read())


class VoucherNumberForm(forms.Form):
    """受診券番号 alone, for the pages whose own form asks the date of birth (the waiting
    list, the lottery application). Used with prefix="voucher", so that its field cannot
    clash with theirs."""

    number = forms.CharField(
        label=_("Screening ticket number (受診券番号)"),
        max_length=NUMBER_MAX * 2,
        help_text=_("The number printed on the screening ticket (受診券) the city sent you."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        error_messages={"required": _("Enter the number printed on your screening ticket.")},
    )

    def clean_number(self) -> str:
        number = normalise_number(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(
                _("Enter the number as printed, in digits (and letters, if it has any)."),
                code="invalid",
            )
        return number


class VoucherForm(VoucherNumberForm):
    """受診券番号 and 生年月日, as on the screening ticket the city sent."""

    birth_date = JapaneseDateField(
        label=_("Date of birth"),
        help_text=_(
            "Choose Showa, Heisei or Reiwa and enter the year of that era (for example 45), "
            "or enter the year in full (for example 1970)."
        ),
        error_messages={"required": _("Enter your date of birth.")},
    )

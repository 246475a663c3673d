"""Forms of the staff side: signing in, the second factor, and the phone desk's searches.

The caller's own details are taken with the residents' form
(reservations.forms.CitizenDetailsForm), so phone and web apply the same rules.
"""

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from citizens.forms import parse_date_text
from citizens.normalize import is_katakana, normalise_furigana
from reservations.forms import normalise_reservation_number
from reservations.models import RESERVATION_NUMBER_DIGITS, ScreeningType, Venue


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "size": "12",
            }
        ),
    )


class SlotSearchForm(forms.Form):
    """Free places for a caller: which screening, and optionally which day and where."""

    screening = forms.ModelChoiceField(
        ScreeningType.objects.filter(is_active=True),
        label=_("Screening"),
        empty_label=None,
    )
    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    venue = forms.ModelChoiceField(
        Venue.objects.all(), label=_("Venue"), required=False, empty_label=_("Any venue")
    )


class FindBookingForm(forms.Form):
    """A reservation number, or フリガナ and date of birth, as a caller reads them out.

    The waiting list's and the lottery's desk searches subclass it for their own numbers
    (same 12-digit shape), changing only the words below."""

    number_label = _("Reservation number")
    number_digits_message = _("A reservation number has %(n)s digits.")
    incomplete_message = _(
        "Enter a reservation number, or both the furigana and the date of birth."
    )

    number = forms.CharField(label=_("Reservation number"), max_length=30, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].label = self.number_label

    furigana = forms.CharField(label=_("Furigana (katakana)"), max_length=60, required=False)
    birth_date = forms.CharField(
        label=_("Date of birth"),
        max_length=30,
        required=False,
        help_text=_("For example 1970-05-01, S45.5.1 or 昭和45年5月1日."),
    )

    def clean_number(self) -> str:
        value = normalise_reservation_number(self.cleaned_data["number"])
        if value and (not value.isdigit() or len(value) != RESERVATION_NUMBER_DIGITS):
            raise ValidationError(
                self.number_digits_message,
                params={"n": RESERVATION_NUMBER_DIGITS},
                code="number",
            )
        return value

    def clean_furigana(self) -> str:
        value = normalise_furigana(self.cleaned_data["furigana"])
        if value and not is_katakana(value):
            raise ValidationError(_("Enter the furigana in katakana."), code="furigana")
        return value

    def clean_birth_date(self) -> date | None:
        value = self.cleaned_data["birth_date"]
        return parse_date_text(value) if value.strip() else None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        if data.get("number"):
            return data
        if data.get("furigana") and data.get("birth_date"):
            return data
        raise ValidationError(self.incomplete_message, code="incomplete")


class MoveSearchForm(forms.Form):
    """Where to look for the new time of a booking being moved."""

    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    venue = forms.ModelChoiceField(
        Venue.objects.all(), label=_("Venue"), required=False, empty_label=_("Any venue")
    )

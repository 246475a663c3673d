"""The waiting list's forms: what the resident accepts, and entry look-up."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from citizens.forms import JapaneseDateField, JapaneseDateWidget
from reservations.forms import ResidentTextField, normalise_reservation_number
from staff.forms import FindBookingForm
from waitlist.models import ENTRY_NUMBER_DIGITS


class AcceptForm(forms.Form):
    """This time only, or any time between two dates (at this venue or anywhere)."""

    accept = forms.ChoiceField(
        label=_("Which places would you accept?"),
        choices=[
            ("slot", _("Only this time")),
            ("venue", _("Any time at this venue between the dates below")),
            ("any", _("Any time at any venue between the dates below")),
        ],
        widget=forms.RadioSelect,
        initial="slot",
        error_messages={"required": _("Choose which places you would accept.")},
    )
    first_date = JapaneseDateField(
        label=_("From"),
        required=False,
        help_text=_("Only for a range of dates."),
        widget=JapaneseDateWidget(autocomplete=False),
    )
    last_date = JapaneseDateField(
        label=_("To"),
        required=False,
        help_text=_("Only for a range of dates."),
        widget=JapaneseDateWidget(autocomplete=False),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("accept") in ("venue", "any"):
            first: date | None = data.get("first_date")
            last: date | None = data.get("last_date")
            if first is None:
                self.add_error("first_date", _("Enter the first date you could come."))
            if last is None:
                self.add_error("last_date", _("Enter the last date you could come."))
            if first and last and last < first:
                self.add_error("last_date", _("The last date must not be before the first."))
        return data


class EntryLookupForm(forms.Form):
    number = ResidentTextField(
        label=_("Entry number"),
        help_text=_("12 digits, given when you joined the waiting list."),
        limit=40,
        too_long=_("The entry number has 12 digits, for example 1234-5678-9012."),
        error_messages={"required": _("Enter your entry number.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 40}
        ),
    )
    birth_date = JapaneseDateField(
        label=_("Date of birth"),
        help_text=_("The date of birth given when joining."),
        widget=JapaneseDateWidget(autocomplete=False),
    )

    def clean_number(self) -> str:
        number = normalise_reservation_number(self.cleaned_data["number"])
        if not re.fullmatch(rf"\d{{{ENTRY_NUMBER_DIGITS}}}", number):
            raise ValidationError(
                _("The entry number has 12 digits, for example 1234-5678-9012."), code="invalid"
            )
        return number


class BirthDateForm(forms.Form):
    birth_date = JapaneseDateField(
        label=_("Date of birth"),
        help_text=_("The date of birth given when joining."),
        widget=JapaneseDateWidget(autocomplete=False),
    )
    answer = forms.ChoiceField(
        choices=[("confirm", "confirm"), ("decline", "decline")], widget=forms.HiddenInput
    )


class EntryFindForm(FindBookingForm):
    """The desk's search for a caller's entries: entry number, or フリガナ + date of birth."""

    number_label = _("Entry number")
    number_digits_message = _("An entry number has %(n)s digits.")
    incomplete_message = _("Enter an entry number, or both the furigana and the date of birth.")

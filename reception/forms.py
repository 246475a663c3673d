"""The forms of the reception pages: which venue and day, and the call-off confirmation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reservations.models import Venue


class DayForm(forms.Form):
    venue = forms.ModelChoiceField(label=_("Venue"), queryset=Venue.objects.all())
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))


class CallOffForm(DayForm):
    slot = forms.IntegerField(
        label=_("Only this session (slot number; empty = the whole day)"),
        required=False,
        min_value=1,
    )


class CallOffConfirmForm(CallOffForm):
    """The second confirmation: the day typed again and a box ticked."""

    typed_day = forms.CharField(
        label=_("Type the day again (YYYY-MM-DD) to confirm"), max_length=10
    )
    understood = forms.BooleanField(
        label=_("I understand that every booking listed is cancelled and residents are told")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day = data.get("day")
        if day and data.get("typed_day", "").strip() != day.isoformat():
            self.add_error("typed_day", _("The day typed does not match the day chosen."))
        return data

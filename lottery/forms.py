"""The application form: the booking's details form, plus screenings and 第1〜第3希望.

A preference is offered as one choice per time ("slot:ID") and one per day at a venue
("day:VENUE:YYYY-MM-DD", any time that day). Applying for several screenings together
(セット検診) offers only days at a venue, so that every screening is on one day at one venue.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lottery.models import MAX_PREFERENCES, Round
from lottery.services import PreferenceChoice, round_slots
from reservations.display import date_text, time_text
from reservations.forms import LookupForm
from reservations.language import screening_name
from reservations.models import Slot
from reservations.templatetags.resident import translated
from staff.forms import FindBookingForm

CHOICE_RE = re.compile(r"^(?:slot:(\d{1,10})|day:(\d{1,10}):(\d{4}-\d{2}-\d{2}))$")

PREFERENCE_LABELS = [
    _("First choice (第1希望)"),
    _("Second choice (第2希望)"),
    _("Third choice (第3希望)"),
]


def preference_choices(slots: dict[int, Slot], *, set_application: bool) -> list[tuple[str, str]]:
    """Every day at a venue (any time), then, for one screening, every time."""
    days: dict[tuple[int, date], Slot] = {}
    for slot in sorted(slots.values(), key=lambda s: (s.starts_at, s.pk)):
        days.setdefault((slot.venue_id, slot.local_date), slot)
    choices = []
    for (venue_id, day), slot in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        venue = translated(slot.venue, "name")
        label = _("%(day)s, %(venue)s, any time") % {
            "day": date_text(slot.starts_at),
            "venue": venue,
        }
        choices.append((f"day:{venue_id}:{day.isoformat()}", str(label)))
    if not set_application:
        for slot in sorted(slots.values(), key=lambda s: (s.starts_at, s.pk)):
            venue = translated(slot.venue, "name")
            label = f"{date_text(slot.starts_at)} {time_text(slot.starts_at)}, {venue}"
            choices.append((f"slot:{slot.pk}", label))
    return choices


def parse_choice(value: str) -> PreferenceChoice | None:
    match = CHOICE_RE.match(value or "")
    if not match:
        return None
    if match.group(1):
        return PreferenceChoice(slot_ids=(int(match.group(1)),))
    try:
        day = date.fromisoformat(match.group(3))
    except ValueError:
        return None
    return PreferenceChoice(venue_id=int(match.group(2)), day=day)


class PreferencesForm(forms.Form):
    """Screenings (when the round has several), up to three preferences, waiting list."""

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.round = round_
        self.slots = round_slots(round_)
        screenings = sorted(round_.screening_types.all(), key=lambda s: (s.display_order, s.pk))
        self.screenings = {s.pk: s for s in screenings}
        if len(screenings) > 1:
            self.fields["screenings"] = forms.TypedMultipleChoiceField(
                label=_("Screenings"),
                help_text=_(
                    "Choose one, or several to take them together on one day at one venue."
                ),
                choices=[(s.pk, screening_name(s)) for s in screenings],
                coerce=int,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": _("Choose at least one screening.")},
            )
        choices = [("", _("— choose —"))]
        set_offer = preference_choices(self.slots, set_application=len(screenings) > 1)
        for rank in range(MAX_PREFERENCES):
            self.fields[f"preference_{rank + 1}"] = forms.ChoiceField(
                label=PREFERENCE_LABELS[rank],
                required=rank == 0,
                choices=[*choices, *set_offer],
                error_messages={
                    "required": _("Choose your first choice."),
                    "invalid_choice": _("Choose a date from the list."),
                },
            )
        self.fields["waitlist_consent"] = forms.BooleanField(
            label=_("If I am not drawn, put me on the waiting list for this screening"),
            required=False,
        )

    def screening_ids(self) -> list[int]:
        if "screenings" in self.fields:
            return sorted(self.cleaned_data.get("screenings") or [])
        return list(self.screenings)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        picked = [data.get(f"preference_{r + 1}") for r in range(MAX_PREFERENCES)]
        values = [p for p in picked if p]
        if len(set(values)) != len(values):
            raise ValidationError(_("Choose each date only once."), code="repeated")
        return data

    def preferences(self) -> list[PreferenceChoice]:
        picked = [self.cleaned_data.get(f"preference_{r + 1}") for r in range(MAX_PREFERENCES)]
        return [c for c in (parse_choice(p) for p in picked if p) if c is not None]

    @staticmethod
    def initial_from(application: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {"waitlist_consent": application.waitlist_consent}
        for preference in application.preferences.all():
            if preference.kind == "day":
                value = f"day:{preference.venue_id}:{preference.day.isoformat()}"
            else:
                value = f"slot:{preference.slots.values_list('pk', flat=True).first()}"
            initial[f"preference_{preference.rank}"] = value
        return initial


class ApplicationLookupForm(LookupForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].label = _("Application number")
        self.fields["number"].help_text = _("12 digits, for example 1234-5678-9012.")
        self.fields["birth_date"].help_text = _("The date of birth given when applying.")


class ApplicationFindForm(FindBookingForm):
    """The desk's search for a caller's applications: application number, or フリガナ +
    date of birth."""

    number_label = _("Application number")
    number_digits_message = _("An application number has %(n)s digits.")
    incomplete_message = _(
        "Enter an application number, or both the furigana and the date of birth."
    )

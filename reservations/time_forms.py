"""Forms that choose times: other screenings on the same day (セット検診) and the new day and
times of a moved booking. Like every form they validate and normalise; the slots they
offer come from reservations.queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from reservations.models import ScreeningType, Slot
from reservations.templatetags.resident import (
    date_text,
    places_text,
    time_text,
    translated_html,
    yen,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from reservations.queries import MoveOption


def _html(message: StrOrPromise, **values: Any) -> str:
    """`message % values` as HTML: the message and plain values escaped, HTML values (such
    as translated_html's lang="ja" span) kept."""
    escaped = {key: conditional_escape(value) for key, value in values.items()}
    return mark_safe(conditional_escape(message) % escaped)  # noqa: S308 (escaped above)


def slot_choice_label(slot: Slot) -> str:
    return f"{time_text(slot.starts_at)} ({places_text(slot.remaining)})"


class ExtrasForm(forms.Form):
    """One radio group per other screening free on the same day and venue: "do not add" or
    one of its times."""

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        candidates: dict[ScreeningType, list[Slot]],
        initial_ids: Iterable[int] = (),
    ) -> None:
        super().__init__(data)
        self.slots = {}
        initial_ids = {int(i) for i in initial_ids}
        for screening, slots in candidates.items():
            name = f"extra_{screening.pk}"
            self.slots.update({s.pk: s for s in slots})
            self.fields[name] = forms.ChoiceField(
                label=_html(
                    _("%(screening)s (%(fee)s)"),
                    screening=translated_html(screening, "name"),
                    fee=yen(screening.fee),
                ),
                required=False,
                choices=[
                    ("", _("Do not add")),
                    *[(str(s.pk), slot_choice_label(s)) for s in slots],
                ],
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": _(
                        "That time is no longer free. Choose another time or do not add it."
                    )
                },
            )
            chosen = [s.pk for s in slots if s.pk in initial_ids]
            self.initial[name] = str(chosen[0]) if chosen else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A radio group sends one value; two (a tampered or hand-made form) are refused
        # rather than one of them being booked unsaid.
        for name in self.fields:
            if isinstance(self.data, QueryDict) and len(set(self.data.getlist(name))) > 1:
                self.add_error(
                    name,
                    ValidationError(
                        _("Choose one time for this screening, not two."), code="two_times"
                    ),
                )
        return cleaned

    def chosen_slots(self) -> list[Slot]:
        return [
            self.slots[int(value)]
            for value in self.cleaned_data.values()
            if value not in ("", None)
        ]


class MoveDayForm(forms.Form):
    """The day and venue to move to (queries.MoveOption.key)."""

    choice = forms.ChoiceField(
        label=_("New date and venue"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a day and venue from the list."),
            "invalid_choice": _(
                "That day and venue has no free place any more. Choose another from the list."
            ),
        },
    )

    def __init__(self, data: QueryDict | None = None, *, options: list[MoveOption]) -> None:
        super().__init__(data)
        self.options = {o.key: o for o in options}
        cast(forms.ChoiceField, self.fields["choice"]).choices = [
            (o.key, format_html("{} {}", date_text(o.day), translated_html(o.venue, "name")))
            for o in options
        ]

    def chosen_option(self) -> MoveOption:
        return self.options[self.cleaned_data["choice"]]


class MoveTimesForm(forms.Form):
    """The time of each screening on the chosen day (the booking's own time may be kept)."""

    def __init__(
        self, data: QueryDict | None = None, *, option: MoveOption, current: Iterable[int]
    ) -> None:
        super().__init__(data)
        self.slots = {}
        self.current = set(current)
        for type_id, slots in option.choices.items():
            name = f"slot_{type_id}"
            self.slots.update({s.pk: s for s in slots})
            choices = []
            for s in slots:
                if s.pk in self.current:
                    label = _("%(time)s (your current time)") % {"time": time_text(s.starts_at)}
                else:
                    label = slot_choice_label(s)
                choices.append((str(s.pk), label))
            self.fields[name] = forms.ChoiceField(
                label=translated_html(slots[0].screening_type, "name"),
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose a time."),
                    "invalid_choice": _("That time is no longer free. Choose another time."),
                },
            )
            held = [s for s in slots if s.pk in self.current]
            self.initial[name] = str((held or slots)[0].pk)
        # Pre-select a change: keep the times already held, except where that would
        # change nothing at all.
        if {int(v) for v in self.initial.values()} <= self.current:
            for type_id, slots in option.choices.items():
                free = [s for s in slots if s.pk not in self.current]
                if free:
                    self.initial[f"slot_{type_id}"] = str(free[0].pk)
                    break

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and {int(v) for v in cleaned.values()} <= self.current:
            raise ValidationError(
                _("These are the times you already have. Choose a different time."),
                code="unchanged",
            )
        return cleaned

    def chosen_slots(self) -> list[Slot]:
        return [self.slots[int(value)] for value in self.cleaned_data.values()]

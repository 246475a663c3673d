"""The filter on the staff audit page (and on its CSV export)."""

import re
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.actions import GROUPS, LABELS
from audit.models import AuditEvent

NO_USER = "none"
UNBOUNDED_BEFORE = date(1900, 1, 1)
UNBOUNDED_AFTER = date(9000, 12, 31)


ACTION_PREFIX = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$")


class ActionField(forms.ChoiceField):
    """A select of every action (and groups of them); a prefix of a known action, as
    typed in older links (``?action=exports.batch``), is still accepted."""

    default_error_messages = {
        "invalid_choice": _("Choose an action from the list."),
    }
    known: set[str] = set()  # every single action; set by the form

    def valid_value(self, value: str) -> bool:
        if super().valid_value(value):
            return True
        return bool(ACTION_PREFIX.match(value)) and any(
            code.startswith(value) for code in self.known
        )


def _action_choices(unknown: list[str]) -> list[Any]:
    """ "Any", then the groups, then every single action by its label; `unknown` (actions
    in the records that are no longer written) under their stored names."""
    return [
        ("", _("Any")),
        (_("Several actions"), [(prefix, label) for prefix, label in GROUPS.items()]),
        (
            _("One action"),
            [(code, label) for code, label in LABELS.items()] + [(code, code) for code in unknown],
        ),
    ]


class AuditFilterForm(forms.Form):
    user = forms.ChoiceField(label=_("User"), required=False)
    action = ActionField(label=_("Action"), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("Any")), *AuditEvent.Outcome.choices],
    )
    date_from = forms.DateField(
        label=_("From (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Actions found in the records but no longer written (renamed, retired) are offered
        # too, so that old records can still be found.
        stored = AuditEvent.objects.order_by().values_list("action", flat=True).distinct()
        unknown = sorted(set(stored) - set(LABELS))
        self.single_actions = set(LABELS) | set(unknown)
        action = cast(ActionField, self.fields["action"])
        action.choices = _action_choices(unknown)
        action.known = self.single_actions
        users = get_user_model().objects.order_by("username").values_list("pk", "username")
        cast(forms.ChoiceField, self.fields["user"]).choices = [
            ("", _("Anyone")),
            (NO_USER, _("Nobody logged in (system, failed logins)")),
            *((str(pk), username) for pk, username in users),
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """Apply the (valid) filter; dates are whole local days (Japan time)."""
        data = self.cleaned_data
        if data["user"] == NO_USER:
            events = events.filter(actor_id__isnull=True)
        elif data["user"]:
            events = events.filter(actor_id=int(data["user"]))
        if data["action"] in self.single_actions:
            events = events.filter(action=data["action"])
        elif data["action"]:
            events = events.filter(action__startswith=data["action"])
        if data["outcome"]:
            events = events.filter(outcome=data["outcome"])
        tz = timezone.get_current_timezone()
        # A bound outside UNBOUNDED_BEFORE..UNBOUNDED_AFTER holds every record anyway; as a
        # datetime it would overflow (0001-01-01 in Japan is before year 1 in UTC, and
        # 9999-12-31 has no next day), which was a 500.
        if data["date_from"] and data["date_from"] > UNBOUNDED_BEFORE:
            events = events.filter(at__gte=datetime.combine(data["date_from"], time(), tzinfo=tz))
        if data["date_to"] and data["date_to"] < UNBOUNDED_AFTER:
            end = datetime.combine(data["date_to"] + timedelta(days=1), time(), tzinfo=tz)
            events = events.filter(at__lt=end)
        return events

    def summary(self) -> dict:
        """The filter as audit details: ids and codes only."""
        data = self.cleaned_data
        return {
            "user": data["user"] or None,
            "action": data["action"] or None,
            "outcome": data["outcome"] or None,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }

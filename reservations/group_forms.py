"""Forms and signed state of booking for the family (reservations.group): several people's
details on one page, and the contact of whoever books them.

Shared by the residents' pages (reservations.views.group) and the phone desk
(staff.desk_group). They validate and normalise, nothing else; eligibility is checked by
the caller, per person, against the slots chosen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from citizens.normalize import normalise_name, normalise_phone
from reservations.eligibility import CitizenDetails
from reservations.forms import (
    EMAIL_MAX,
    NAME_MAX,
    CitizenDetailsForm,
    NormalisedEmailField,
    ResidentTextField,
    error_summary,
)
from reservations.group import GroupContact
from reservations.tokens import SIGNED_MAX_LENGTH, STATE_MAX_AGE, is_form_token

GROUP_SALT = "reservations.group.booking.state"
# The first page shows this many people; "add another person" adds one at a time.
FIRST_PEOPLE = 2
# Copied from the first person when "same as the first person" is ticked.
SHARED_FIELDS = ("postal_code", "address", "phone")


def person_label(position: int) -> str:
    """ "1人目" / "Person 1": how every step names a person whose name is not yet known."""
    return gettext("Person %(n)s") % {"n": position + 1}


class PersonForm(CitizenDetailsForm):
    """One person of the group: the residents' details form without an email address
    (the contact's is used); from the second person on, address and phone may be the
    first person's; and, when the session offers more than one screening, which of
    them this person takes."""

    same_as_first = forms.BooleanField(
        label=_("Same postal code, address and phone number as person 1"),
        help_text=_("Untick this and fill in the three boxes below if they differ."),
        required=False,
        initial=True,
    )

    def __init__(
        self,
        *args: Any,
        position: int,
        screenings: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, prefix=f"p{position + 1}", **kwargs)
        self.position = position
        del self.fields["email"]
        del self.fields["email_confirm"]
        if position == 0:
            del self.fields["same_as_first"]
        else:
            # Just before the boxes it stands for.
            self.order_fields(["name", "furigana", "birth_date", "sex", "same_as_first"])
            for name in SHARED_FIELDS:
                self.fields[name].required = False
        if screenings and len(screenings) > 1:
            self.fields["screenings"] = forms.TypedMultipleChoiceField(
                label=_("Screenings for this person"),
                choices=screenings,
                coerce=int,
                widget=forms.CheckboxSelectMultiple,
                initial=[screenings[0][0]],
                error_messages={
                    "required": _("Choose at least one screening for this person."),
                    "invalid_choice": _("Choose the screenings from the list."),
                },
            )

    def copies_first(self) -> bool:
        if self.position == 0:
            return False
        if not self.is_bound:
            return True
        return bool(
            self.fields["same_as_first"].widget.value_from_datadict(
                self.data, self.files, self.add_prefix("same_as_first")
            )
        )

    def clean_postal_code(self) -> str:
        return "" if self.copies_first() else super().clean_postal_code()

    def clean_address(self) -> str:
        return "" if self.copies_first() else super().clean_address()

    def clean_phone(self) -> str:
        return "" if self.copies_first() else super().clean_phone()

    def person_details(self, first: CitizenDetails | None) -> CitizenDetails:
        """The details, with the first person's address and phone if asked for."""
        details = self.to_details()
        if self.copies_first() and first is not None:
            values = asdict(details)
            values.update({name: getattr(first, name) for name in SHARED_FIELDS})
            values["birth_date"] = details.birth_date
            return CitizenDetails(**values)
        return details

    def wanted(self, default: int) -> list[int]:
        if "screenings" in self.fields:
            return list(self.cleaned_data["screenings"])
        return [default]


class ContactForm(forms.Form):
    """Who is booking: asked once, apart from the people screened (who may not include
    them). Email is optional: without it no mail is sent."""

    name = ResidentTextField(
        label=_("Your full name"),
        help_text=_("The person making this booking, who may or may not be screened."),
        limit=NAME_MAX,
        too_long=_("Your name must be %(max)s characters or fewer."),
        error_messages={"required": _("Enter your full name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": NAME_MAX}),
    )
    phone = ResidentTextField(
        label=_("Your phone number"),
        help_text=_("A number we can call about these bookings, for example 090-1234-5678."),
        limit=30,
        too_long=_("Enter a phone number like 048-481-2211 or 090-1234-5678."),
        error_messages={"required": _("Enter your phone number.")},
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "maxlength": 30}
        ),
    )
    email = NormalisedEmailField(
        label=_("Your email address"),
        help_text=_(
            "Optional. One confirmation listing everyone is sent here. Without an email "
            "address no mail is sent: keep the reservation numbers."
        ),
        required=False,
        max_length=None,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "maxlength": EMAIL_MAX, "spellcheck": "false"}
        ),
    )

    prefix = "contact"

    def clean_name(self) -> str:
        name = normalise_name(self.cleaned_data["name"])
        if not name:
            raise ValidationError(gettext("Enter your full name."), code="required")
        return name

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        if not phone:
            raise ValidationError(
                gettext("Enter a phone number like 048-481-2211 or 090-1234-5678."), code="invalid"
            )
        return phone

    def contact(self) -> GroupContact:
        data = self.cleaned_data
        return GroupContact(name=data["name"], phone=data["phone"], email=data.get("email") or "")


def people_count(value: str | None, *, default: int = FIRST_PEOPLE) -> int | None:
    """The number of person blocks asked for; None when it is not a sane number."""
    if value is None or value == "":
        return default
    if not value.isdigit() or not 1 <= int(value) <= settings.GROUP_MAX_PEOPLE:
        return None
    return int(value)


@dataclass
class GroupForms:
    """The contact form and one PersonForm per person, validated together."""

    contact: ContactForm
    people: list[PersonForm]

    @classmethod
    def build(
        cls,
        data: Any = None,
        *,
        count: int,
        screenings: list[tuple[int, str]] | None = None,
        initial: GroupState | None = None,
    ) -> GroupForms:
        people = []
        for position in range(count):
            person_initial = None
            if initial is not None and position < len(initial.people):
                person = initial.person_details()[position]
                person_initial = CitizenDetailsForm.initial_from(person)
                person_initial["screenings"] = initial.wanted[position]
                if position > 0:
                    first = initial.person_details()[0]
                    person_initial["same_as_first"] = all(
                        getattr(person, n) == getattr(first, n) for n in SHARED_FIELDS
                    )
            people.append(
                PersonForm(data, position=position, screenings=screenings, initial=person_initial)
            )
        contact_initial = asdict(initial.contact_details()) if initial is not None else None
        return cls(ContactForm(data, initial=contact_initial), people)

    def is_valid(self) -> bool:
        return all([self.contact.is_valid(), *(p.is_valid() for p in self.people)])

    def details(self) -> list[CitizenDetails]:
        first = self.people[0].person_details(None)
        return [first, *(p.person_details(first) for p in self.people[1:])]

    def errors(self) -> list[tuple[str, str]]:
        """The page's error summary: each person's errors led by who they are about."""
        entries = [(anchor, str(message)) for anchor, message in error_summary(self.contact)]
        for person in self.people:
            who = self.who(person)
            entries += [(anchor, f"{who}: {message}") for anchor, message in error_summary(person)]
        return entries

    @staticmethod
    def who(person: PersonForm) -> str:
        """ "2人目（山田 花子）": the person's place and, once typed, their name."""
        label = person_label(person.position)
        name = person.cleaned_data.get("name") if hasattr(person, "cleaned_data") else None
        if not name and person.is_bound:
            name = normalise_name(str(person.data.get(person.add_prefix("name"), "")))[:NAME_MAX]
        return gettext("%(label)s (%(name)s)") % {"label": label, "name": name} if name else label


@dataclass
class GroupState:
    """Everything between the group's details page and its booking, in a signed field."""

    form_token: str
    slot_ids: list[int]
    people: list[dict[str, str]] = field(default_factory=list)
    wanted: list[list[int]] = field(default_factory=list)
    contact: dict[str, str] = field(default_factory=dict)

    def dumps(self) -> str:
        return signing.dumps(asdict(self), salt=GROUP_SALT, compress=True)

    @classmethod
    def loads(cls, value: str) -> GroupState:
        """Raises signing.BadSignature (tampered or expired) or ValueError (malformed)."""
        if not value or len(value) > SIGNED_MAX_LENGTH:
            raise signing.BadSignature("missing or oversized state")
        data = signing.loads(value, salt=GROUP_SALT, max_age=STATE_MAX_AGE)
        try:
            state = cls(
                form_token=str(data["form_token"]),
                slot_ids=[int(i) for i in data["slot_ids"]],
                people=[{str(k): str(v) for k, v in p.items()} for p in data["people"]],
                wanted=[[int(i) for i in ids] for ids in data["wanted"]],
                contact={str(k): str(v) for k, v in dict(data["contact"]).items()},
            )
            state.person_details()
            state.contact_details()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError("malformed state") from exc
        if (
            not is_form_token(state.form_token)
            or not state.slot_ids
            or not 1 <= len(state.people) <= settings.GROUP_MAX_PEOPLE
            or len(state.wanted) != len(state.people)
        ):
            raise ValueError("malformed state")
        return state

    @classmethod
    def pack(
        cls,
        *,
        form_token: str,
        slot_ids: list[int],
        people: list[CitizenDetails],
        wanted: list[list[int]],
        contact: GroupContact,
    ) -> GroupState:
        packed = []
        for person in people:
            values = asdict(person)
            values["birth_date"] = person.birth_date.isoformat()
            packed.append(values)
        return cls(form_token, slot_ids, packed, wanted, asdict(contact))

    def person_details(self) -> list[CitizenDetails]:
        people = []
        for values in self.people:
            typed: dict[str, Any] = dict(values)
            typed["birth_date"] = date.fromisoformat(typed["birth_date"])
            people.append(CitizenDetails(**typed))
        return people

    def contact_details(self) -> GroupContact:
        return GroupContact(**self.contact)

"""Forms of the resident's journey: they validate and normalise, nothing else.

`CitizenDetailsForm` is also the staff phone desk's form, so it knows nothing about the web
flow. Email is optional on both: many elderly residents have none. The signed state
between the steps is reservations.tokens'.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from citizens.forms import DATE_ERROR_PART, JapaneseDateField, JapaneseDateWidget
from citizens.models import Sex
from citizens.normalize import (
    format_postal_code,
    has_kana_letter,
    has_letter,
    is_katakana,
    normalise_digits,
    normalise_furigana,
    normalise_name,
    normalise_phone,
    normalise_postal_code,
    strip_invisible,
)
from reservations.display import city_name, health_centre_name
from reservations.eligibility import CitizenDetails, Reason
from reservations.models import RESERVATION_NUMBER_DIGITS
from reservations.templatetags.resident import (
    is_japanese_on_english_page,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# Column sizes of citizens.Citizen: checked after normalising, so that half-width kana
# (two characters for ｶﾞ) are not refused for being "too long" before they are folded.
NAME_MAX = 60
FURIGANA_MAX = 60
ADDRESS_MAX = 200
EMAIL_MAX = 254
# Raw input longer than this is refused outright (a 100,000-character paste, a bot).
RAW_MAX = 300

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _no_control_characters(value: str) -> None:
    if _CONTROL.search(value or ""):
        raise ValidationError(_("Remove the special characters from this box."), code="control")


class ResidentTextField(forms.CharField):
    """A one-line text box: refuses control characters and absurd lengths with words."""

    def __init__(self, *, limit: int, too_long: StrOrPromise, **kwargs: Any) -> None:
        self.limit = limit
        self.too_long = too_long
        kwargs.setdefault("validators", []).append(_no_control_characters)
        super().__init__(**kwargs)
        # NUL is a control character too: one message, not ours plus Django's (whose
        # Japanese says "enter some characters", the opposite of the advice).
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if value and len(value) > max(self.limit, RAW_MAX):
            raise ValidationError(self.too_long % {"max": self.limit}, code="max_length")
        # A BOM or zero-width space pasted with a name is dropped; a box holding nothing
        # else looks filled in to its owner, so "enter your name" would puzzle them.
        visible = strip_invisible(value).strip()
        if value and not visible:
            raise ValidationError(
                _("This box contains only characters that do not show on screen. Type it again."),
                code="invisible",
            )
        return visible


class NormalisedEmailField(forms.EmailField):
    """Full-width addresses (ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ, from a Japanese IME) are folded."""

    default_validators = [EmailValidator(message=_("Enter an email address like name@example.jp."))]

    def to_python(self, value: Any) -> str:
        value = unicodedata.normalize(
            "NFKC", strip_invisible(super().to_python(value) or "")
        ).strip()
        # Before the validators, so that a NUL gets this one message (see ResidentTextField).
        _no_control_characters(value)
        if len(value) > EMAIL_MAX:
            raise ValidationError(
                _("The email address must be %(max)s characters or fewer.") % {"max": EMAIL_MAX},
                code="max_length",
            )
        return value


class CitizenDetailsForm(forms.Form):
    """氏名, フリガナ, date of birth, sex, postal code, address, phone, email (typed twice).

    Normalises what people type (full-width digits, hiragana or half-width kana in
    フリガナ, postal codes with or without a hyphen) and checks residency against
    settings.CITY_POSTAL_CODES. Eligibility for a particular slot is the caller's job
    (see `add_eligibility_errors`), because it depends on the slot.
    """

    name = ResidentTextField(
        label=_("Full name (氏名)"),
        help_text=_("As registered with the city, for example 山田 花子."),
        limit=NAME_MAX,
        too_long=_("Your name must be %(max)s characters or fewer."),
        error_messages={"required": _("Enter your full name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": NAME_MAX}),
    )
    furigana = ResidentTextField(
        label=_("Name in katakana (フリガナ)"),
        help_text=_("Hiragana is fine too, for example やまだ はなこ."),
        limit=FURIGANA_MAX,
        too_long=_("Your name in katakana must be %(max)s characters or fewer."),
        error_messages={"required": _("Enter your name in katakana.")},
        widget=forms.TextInput(attrs={"maxlength": FURIGANA_MAX * 2, "spellcheck": "false"}),
    )
    birth_date = JapaneseDateField(
        label=_("Date of birth"),
        help_text=_(
            "Choose Showa, Heisei or Reiwa and enter the year of that era (for example 45), "
            "or enter the year in full (for example 1970)."
        ),
        error_messages={"required": _("Enter your date of birth.")},
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        help_text=_("As registered with the city. Some screenings are for women only."),
        choices=Sex.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select your sex."),
            "invalid_choice": _("Select your sex."),
        },
    )
    postal_code = ResidentTextField(
        label=_("Postal code"),
        help_text=_("For example 352-0001."),
        limit=10,
        too_long=_("Enter a postal code like 352-0001."),
        error_messages={"required": _("Enter your postal code.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "postal-code",
                "inputmode": "numeric",
                "maxlength": 10,
                "size": 10,
            }
        ),
    )
    address = ResidentTextField(
        label=_("Address"),
        help_text=_("Including the block and building, for example 新座市野火止1-2-3."),
        limit=ADDRESS_MAX,
        too_long=_("The address must be %(max)s characters or fewer."),
        error_messages={"required": _("Enter your address.")},
        # street-address is for a multi-line box (pa11y H98): a one-line box takes
        # address-line1.
        widget=forms.TextInput(attrs={"autocomplete": "address-line1", "maxlength": ADDRESS_MAX}),
    )
    phone = ResidentTextField(
        label=_("Phone number"),
        help_text=_("A number we can call if the screening day changes, for example 048-481-2211."),
        limit=30,
        too_long=_("Enter a phone number like 048-481-2211 or 090-1234-5678."),
        error_messages={"required": _("Enter your phone number.")},
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "maxlength": 30}
        ),
    )
    email = NormalisedEmailField(
        label=_("Email address"),
        help_text=_(
            "Optional. We send the confirmation and a reminder here. Without an email "
            "address no mail is sent: keep your reservation number."
        ),
        required=False,
        max_length=None,
        error_messages={"required": _("Enter your email address.")},
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "maxlength": EMAIL_MAX, "spellcheck": "false"}
        ),
    )
    email_confirm = NormalisedEmailField(
        label=_("Email address again"),
        help_text=_("Only if you gave an email address: type it once more to be sure it is right."),
        required=False,
        max_length=None,
        error_messages={"required": _("Enter your email address again.")},
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "maxlength": EMAIL_MAX, "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, require_email: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Given twice when given at all (see clean); require_email=True for a channel
        # that cannot do without it.
        self.require_email = require_email
        if require_email:
            self.fields["email"].required = True
            self.fields["email_confirm"].required = True
            self.fields["email"].help_text = _("We send the confirmation of your booking here.")
            self.fields["email_confirm"].help_text = _(
                "Type it once more so that we can be sure it is right."
            )

    def clean_name(self) -> str:
        name = normalise_name(self.cleaned_data["name"])
        if not name:
            raise ValidationError(_("Enter your full name."), code="required")
        if not has_letter(name):
            raise ValidationError(
                _("Enter your full name in letters, for example 山田 花子."), code="no_letter"
            )
        if len(name) > NAME_MAX:
            raise ValidationError(
                _("Your name must be %(max)s characters or fewer.") % {"max": NAME_MAX},
                code="max_length",
            )
        return name

    def clean_furigana(self) -> str:
        furigana = normalise_furigana(self.cleaned_data["furigana"])
        if not furigana:
            raise ValidationError(_("Enter your name in katakana."), code="required")
        if not is_katakana(furigana):
            raise ValidationError(
                _("Enter your name in katakana or hiragana only, for example ヤマダ ハナコ."),
                code="katakana",
            )
        if not has_kana_letter(furigana):
            raise ValidationError(
                _(
                    "Your name in katakana needs at least one katakana letter, for example "
                    "ヤマダ ハナコ."
                ),
                code="no_letter",
            )
        if len(furigana) > FURIGANA_MAX:
            raise ValidationError(
                _("Your name in katakana must be %(max)s characters or fewer.")
                % {"max": FURIGANA_MAX},
                code="max_length",
            )
        return furigana

    def clean_postal_code(self) -> str:
        raw = normalise_digits(self.cleaned_data["postal_code"])
        if not re.fullmatch(r"〒?\s*\d{3}\s*-?\s*\d{4}", raw):
            raise ValidationError(_("Enter a postal code like 352-0001."), code="invalid")
        code = normalise_postal_code(raw)
        city_codes = settings.CITY_POSTAL_CODES
        if city_codes and code not in city_codes:
            raise ValidationError(
                _(
                    "%(code)s is not a postal code in %(city)s. These screenings are for "
                    "residents of %(city)s. If you do live in %(city)s, please phone "
                    "%(centre)s on %(phone)s."
                )
                % {
                    "code": format_postal_code(code),
                    "city": city_name(),
                    "centre": health_centre_name(),
                    "phone": settings.HEALTH_CENTRE_PHONE,
                },
                code="not_resident",
            )
        return code

    def clean_address(self) -> str:
        address = normalise_name(self.cleaned_data["address"])
        if not address:
            raise ValidationError(_("Enter your address."), code="required")
        if not has_letter(address):
            raise ValidationError(
                _("Enter your address, for example 新座市野火止1-2-3."), code="no_letter"
            )
        if len(address) > ADDRESS_MAX:
            raise ValidationError(
                _("The address must be %(max)s characters or fewer.") % {"max": ADDRESS_MAX},
                code="max_length",
            )
        return address

    def clean_phone(self) -> str:
        # Domestic form whatever was typed: "+81 (0)48-481-2211" → "048-481-2211", the
        # way the health centre dials it.
        phone = normalise_phone(self.cleaned_data["phone"])
        if not phone:
            raise ValidationError(
                _("Enter a phone number like 048-481-2211 or 090-1234-5678."), code="invalid"
            )
        return phone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email = cleaned.get("email")
        confirm = cleaned.get("email_confirm")
        if email and "email_confirm" not in self.errors:
            if not confirm:
                self.add_error(
                    "email_confirm",
                    ValidationError(_("Enter your email address again."), code="required"),
                )
            elif confirm.lower() != email.lower():
                self.add_error(
                    "email_confirm",
                    ValidationError(
                        _("The two email addresses are different. Check them and type them again."),
                        code="mismatch",
                    ),
                )
        elif not email and confirm and "email" not in self.errors:
            self.add_error(
                "email",
                ValidationError(_("Enter your email address in both boxes."), code="required"),
            )
        return cleaned

    def to_details(self) -> CitizenDetails:
        """The normalised details, ready for services.reservation_create.

        Raises ValueError on a form that is not valid (callers check is_valid() first).
        """
        if not self.is_valid():
            raise ValueError("to_details() needs a valid form")
        data = self.cleaned_data
        return CitizenDetails(
            name=data["name"],
            furigana=data["furigana"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            postal_code=data["postal_code"],
            address=data["address"],
            phone=data["phone"],
            email=data.get("email") or "",
        )

    @staticmethod
    def initial_from(details: CitizenDetails) -> dict[str, Any]:
        """Initial values that show `details` again (to change them, or after a lost race)."""
        return {
            "name": details.name,
            "furigana": details.furigana,
            "birth_date": details.birth_date,
            "sex": details.sex,
            "postal_code": format_postal_code(details.postal_code),
            "address": details.address,
            "phone": details.phone,
            "email": details.email,
            "email_confirm": details.email,
        }


# Which form field each eligibility reason is about (others go to the top of the form).
REASON_FIELDS = {
    "too_young": "birth_date",
    "too_old": "birth_date",
    "wrong_sex": "sex",
    # The city's list disagrees with what was typed (vouchers.refusals.as_reason).
    "voucher_birth_mismatch": "birth_date",
    "voucher_sex_mismatch": "sex",
}


def add_eligibility_errors(form: forms.Form, reasons: list[Reason]) -> None:
    """Show eligibility.eligibility_reasons next to the field they are about."""
    for reason in reasons:
        field_name = REASON_FIELDS.get(reason.code)
        if field_name not in form.fields:
            field_name = None
        form.add_error(field_name, ValidationError(reason.message, code=reason.code))


def error_summary(form: forms.Form) -> list[tuple[str, StrOrPromise]]:
    """(anchor id, message) for each error, in the order of the fields on the page.

    GOV.UK's error summary: every message links to the box it is about. Date errors link
    to the box that is wrong (year, month or day); errors about the whole form link to the
    top of the form (templates put them in an element with id "form-errors").
    """
    entries: list[tuple[str, StrOrPromise]] = []
    for message in form.non_field_errors():
        entries.append(("form-errors", cast(str, message)))  # ErrorList yields messages
    for name in form.fields:
        if name not in form.errors:
            continue
        bound = form[name]
        widget = bound.field.widget
        for error in form.errors.as_data()[name]:
            if isinstance(widget, JapaneseDateWidget):
                anchor = f"{bound.auto_id}_{DATE_ERROR_PART.get(error.code or '', 0)}"
            elif isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchor = f"{bound.auto_id}_0"
            else:
                anchor = bound.auto_id
            for message in error.messages:
                entries.append((anchor, str(message)))
    return entries


# --- Look-up ------------------------------------------------------------------------------


def normalise_reservation_number(value: str) -> str:
    """ "1234-5678-9012", "１２３４ ５６７８ ９０１２" → "123456789012" (not yet validated)."""
    return re.sub(r"[\s\-]", "", normalise_digits(value or "")[:RAW_MAX])


class LookupForm(forms.Form):
    number = ResidentTextField(
        label=_("Reservation number"),
        help_text=_("12 digits, in your confirmation email, for example 1234-5678-9012."),
        limit=40,
        too_long=_("The reservation number has 12 digits, for example 1234-5678-9012."),
        error_messages={"required": _("Enter your reservation number.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "maxlength": 40,
                "spellcheck": "false",
            }
        ),
    )
    birth_date = JapaneseDateField(
        label=_("Date of birth"),
        help_text=_("The date of birth given when booking."),
        widget=JapaneseDateWidget(autocomplete=False),
    )

    def clean_number(self) -> str:
        number = normalise_reservation_number(self.cleaned_data["number"])
        if not re.fullmatch(rf"\d{{{RESERVATION_NUMBER_DIGITS}}}", number):
            raise ValidationError(
                _("The reservation number has 12 digits, for example 1234-5678-9012."),
                code="invalid",
            )
        return number


# --- Availability filter ------------------------------------------------------------------


class LanguageMarkedSelect(forms.Select):
    """A select whose options in Japanese say so (lang="ja") on English pages: a venue
    without an English name is read by screen readers as Japanese."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if is_japanese_on_english_page(option["label"]):
            option["attrs"]["lang"] = "ja"
        return option


class AvailabilityFilterForm(forms.Form):
    """?venue=<id>&month=YYYY-MM on the (cacheable) availability page."""

    venue = forms.TypedChoiceField(
        label=_("Venue"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=LanguageMarkedSelect,
    )
    month = forms.ChoiceField(label=_("Month"), required=False)

    def __init__(
        self,
        *args: Any,
        venues: list[tuple[int, str]],
        months: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["venue"]).choices = [("", _("All venues")), *venues]
        cast(forms.ChoiceField, self.fields["month"]).choices = [("", _("All months")), *months]
        self.fields["venue"].error_messages["invalid_choice"] = _("Choose a venue from the list.")
        self.fields["month"].error_messages["invalid_choice"] = _("Choose a month from the list.")

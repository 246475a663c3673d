"""What Django cannot translate in the third-party apps the admin shows, in Japanese.

django-axes and django-otp ship no Japanese. Their gettext strings are translated in this
app's catalogue (staff/locale); what they build without gettext — app names made from
labels ("Axes", "Otp_Totp"), plain-string model names, records named by English f-strings —
and Django's own boolean icons, whose alt text is Python's True/False, are renamed here once
at start-up (StaffConfig.ready). Only names shown change: no migration, no stored data.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _

# What the admin and the permission lists call these apps.
THIRD_PARTY_APP_NAMES = {
    "axes": _("Login failures and lockouts"),
    "otp_totp": _("Authenticator apps (second factor)"),
    "otp_static": _("Backup codes (second factor)"),
}


def relabel() -> None:
    for label, name in THIRD_PARTY_APP_NAMES.items():
        if label in apps.app_configs:
            apps.app_configs[label].verbose_name = name
    _name_axes_records()
    _name_otp_models()
    _boolean_icons_in_words()


def _name_otp_models() -> None:
    """django-otp's device models have English names that no catalogue can reach (plain
    strings, or none): give them translatable ones. Only the names shown change; the
    migrations read Meta as written (original_attrs), so none is made for django-otp."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    names = {
        TOTPDevice: (_("TOTP device"), _("TOTP devices")),
        StaticDevice: (_("static device"), _("static devices")),
        StaticToken: (_("static token"), _("static tokens")),
    }
    for model, (singular, plural) in names.items():
        model._meta.verbose_name = singular
        model._meta.verbose_name_plural = plural


def _boolean_icons_in_words() -> None:
    """The admin's ✓/✗ icons: alt text in the page's language, not Python's "True"/"False"
    (Django writes the value itself into alt, so a screen reader says "True")."""
    from django.contrib.admin.templatetags import admin_list
    from django.templatetags.static import static
    from django.utils.html import format_html
    from django.utils.safestring import SafeString

    def boolean_icon(field_val: bool | None) -> SafeString:
        icon = {True: "yes", False: "no", None: "unknown"}[field_val]
        alt = {True: _("Yes"), False: _("No"), None: _("Unknown")}[field_val]
        return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), alt)

    admin_list._boolean_icon = boolean_icon  # type: ignore[attr-defined]


def _name_axes_records() -> None:
    """django-axes names its records in English f-strings, which the admin shows as page
    titles; name them in the page's language instead."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone
    from django.utils.formats import date_format

    def when(moment: object) -> str:
        return date_format(timezone.localtime(moment), "Y-m-d H:i:s")  # type: ignore[arg-type]

    def attempt(self: AccessAttempt) -> str:
        return str(_("Login attempts of %(user)s since %(time)s")) % {
            "user": self.username,
            "time": when(self.attempt_time),
        }

    def log(self: AccessLog) -> str:
        return str(_("Login of %(user)s at %(time)s")) % {
            "user": self.username,
            "time": when(self.attempt_time),
        }

    def failure(self: AccessFailureLog) -> str:
        return str(_("Failed login of %(user)s at %(time)s")) % {
            "user": self.username,
            "time": when(self.attempt_time),
        }

    AccessAttempt.__str__ = attempt
    AccessLog.__str__ = log
    AccessFailureLog.__str__ = failure

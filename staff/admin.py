"""Staff accounts in the admin: who has which role, resetting a lost second factor.

Every change to a staff account, a group or a permission is audited, with ids and field
names only. Privileges (superuser, groups, permissions) can only be changed by a
superuser, so a permission to edit users never becomes a way to promote oneself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import ManyToManyField, QuerySet
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from audit.admin_hooks import ModelAdminBase
from audit.context import AuditContext
from core import roles
from staff import (
    admin_axes,  # noqa: F401  (django-axes' admin, relabelled)
    services,
)

PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


def _permission_codes(permissions: Iterable[Permission]) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


def _user_snapshot(user_id: int | None) -> dict[str, Any]:
    if user_id is None:
        return {"group_ids": set(), "permissions": set()}
    user = User.objects.get(pk=user_id)
    return {
        "group_ids": set(user.groups.values_list("pk", flat=True)),
        "permissions": _permission_codes(user.user_permissions.select_related("content_type")),
    }


def _diff(before: set, after: set, name: str) -> dict:
    details = {}
    if after - before:
        details[f"{name}_added"] = sorted(after - before)
    if before - after:
        details[f"{name}_removed"] = sorted(before - after)
    return details


# Django's own permissions are stored in English ("Can add slot"); the lists of them on
# the user and group pages read them out in the page's language instead.
PERMISSION_VERBS = {
    "add": _("add"),
    "change": _("change"),
    "delete": _("delete"),
    "view": _("view"),
}


def permission_label(permission: Permission) -> str:
    """「検診予約 | 予約枠 | 変更」: app, model and what the permission allows."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is not None:
        app = str(model._meta.app_config.verbose_name)
        thing = gettext(str(model._meta.verbose_name))
    else:  # a model that no longer exists
        app, thing = content_type.app_label, content_type.model
    verb, _sep, rest = permission.codename.partition("_")
    if verb in PERMISSION_VERBS and model is not None and rest == model._meta.model_name:
        what = str(PERMISSION_VERBS[verb])
    else:  # a permission of its own (Meta.permissions), named in the catalogue
        what = gettext(permission.name)
    return f"{app} | {thing} | {what}"


class PermissionLabelsMixin(ModelAdminBase):
    """The permission lists of this admin's forms, labelled by permission_label()."""

    def formfield_for_manytomany(
        self,
        db_field: ManyToManyField[Any, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> ModelMultipleChoiceField[Any] | None:
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[arg-type]
        if formfield is not None and db_field.related_model is Permission:
            formfield.label_from_instance = permission_label  # type: ignore[method-assign,assignment]
        return formfield


admin.site.unregister(User)
admin.site.unregister(Group)
# django-otp's own device pages would let a superuser add backup codes of their choosing to
# someone else's account, or remove their phone, without an audit record. Devices change
# only through enrolment (/staff/enrol/) and the audited reset action below.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


class AuditedDeletesMixin(ModelAdminBase):
    """Records <audit_deleted_action> for each user or group deleted in the admin, one
    record per object, before it goes (the record needs its pk)."""

    audit_deleted_action = ""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit.record(
            action=self.audit_deleted_action,
            context=AuditContext.from_request(request),
            target=obj,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        context = AuditContext.from_request(request)
        for obj in queryset:
            audit.record(action=self.audit_deleted_action, context=context, target=obj)
        super().delete_queryset(request, queryset)


@admin.register(User)
class StaffUserAdmin(PermissionLabelsMixin, AuditedDeletesMixin, UserAdmin):
    audit_deleted_action = "staff.user.deleted"

    list_display = [
        "username",
        "is_active",
        "is_staff",
        "is_superuser",
        "role_names",
        "second_factor",
        "last_login",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    actions = ["reset_second_factor"]

    @admin.display(description=_("roles"))
    def role_names(self, user: Any) -> str:
        return ", ".join(sorted(roles.user_roles(user))) or "-"

    @admin.display(description=_("second factor"), boolean=True)
    def second_factor(self, user: Any) -> bool:
        return services.confirmed_totp_device(user) is not None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [f for f in PRIVILEGE_FIELDS if f not in readonly]
        return readonly

    # --- audit -------------------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        request._staff_audit_before = _user_snapshot(obj.pk if change else None)  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        before = getattr(request, "_staff_audit_before", _user_snapshot(None))
        after = _user_snapshot(user.pk)
        changed = form.changed_data
        details = {
            "changed_fields": sorted(f for f in changed if not f.startswith("password")),
            **_diff(before["group_ids"], after["group_ids"], "group_ids"),
            **_diff(before["permissions"], after["permissions"], "permissions"),
        }
        if any(f.startswith("password") for f in changed):
            details["sets_credentials"] = True
        audit.record(
            action="staff.user.changed" if change else "staff.user.created",
            context=AuditContext.from_request(request),
            target=user,
            details=details,
        )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            audit.record(
                action="staff.user.password_set",
                context=AuditContext.from_request(request),
                target_type="auth.User",
                target_id=id,
            )
        return response

    # --- reset a lost second factor ------------------------------------------------------------

    def has_reset_second_factor_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("staff.reset_second_factor")

    @admin.action(
        description=_("Reset the second factor (they enrol a new phone at their next login)"),
        permissions=["reset_second_factor"],
    )
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        reset = 0
        for user in queryset:
            if user.pk == request.user.pk:
                messages.warning(
                    request,
                    _("You cannot reset your own second factor; ask another administrator."),
                )
                continue
            if user.is_superuser and not request.user.is_superuser:
                # Else an administrator who knows a superuser's password could reset the
                # phone and enrol their own: the password alone would open that account.
                messages.warning(
                    request, _("Only a superuser can reset a superuser's second factor.")
                )
                continue
            removed = services.reset_second_factor(user)
            audit.record(
                action="staff.second_factor.reset",
                context=AuditContext.from_request(request),
                target=user,
                details={"devices_removed": removed},
            )
            reset += 1
        if reset:
            messages.success(
                request,
                ngettext(
                    "%(n)s person must enrol a new phone at their next login.",
                    "%(n)s people must enrol a new phone at their next login.",
                    reset,
                )
                % {"n": reset},
            )


@admin.register(Group)
class StaffGroupAdmin(PermissionLabelsMixin, AuditedDeletesMixin, GroupAdmin):
    audit_deleted_action = "staff.group.deleted"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["name", "permissions"]
        return readonly

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before: set[str] = set()
        if change:
            stored = Group.objects.get(pk=obj.pk).permissions.select_related("content_type")
            before = _permission_codes(stored)
        request._staff_audit_before = before  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        group = form.instance
        after = _permission_codes(group.permissions.select_related("content_type"))
        before: set[str] = getattr(request, "_staff_audit_before", set())
        audit.record(
            action="staff.group.changed" if change else "staff.group.created",
            context=AuditContext.from_request(request),
            target=group,
            details={
                "changed_fields": sorted(form.changed_data),
                **_diff(before, after, "permissions"),
            },
        )

"""Audit hooks for Django admin classes: one explicit record per add, change, delete, view.

    class SlotAdmin(AuditedChangesMixin, admin.ModelAdmin):
        audit_action_prefix = "reservations.slot"
        audit_tracked_fields = ["capacity", "opens_at", "closes_at"]

Every record is written inside the admin's own transaction (changeform_view and
delete_view run in transaction.atomic), so a change that cannot be audited is not made.
Details hold field names and the before/after values of the tracked fields only — the
models these are used on (slots, venues, screening types) hold no personal data, and the
views of personal data record ids only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse

import audit
from audit.context import AuditContext

if TYPE_CHECKING:
    # The mixins sit in front of admin.ModelAdmin; mypy checks them as one.
    ModelAdminBase = admin.ModelAdmin
else:
    ModelAdminBase = object


def _values(model: type[models.Model], pk: Any, fields: list[str]) -> dict[str, Any]:
    """The tracked fields as stored in the database right now (not as the form says)."""
    if not fields:
        return {}
    return model._default_manager.filter(pk=pk).values(*fields).first() or {}


class AuditedChangesMixin(ModelAdminBase):
    """Records <prefix>.created / .changed / .deleted for every admin add, change, delete."""

    audit_action_prefix = ""
    audit_tracked_fields: list[str] = []

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> Any:
        obj = super().save_form(request, form, change)
        # Captured before save_model runs: the database's values, what the form changed,
        # and what it asked for (a refused capacity change shows up as requested ≠ after).
        obj._audit_changed = list(form.changed_data)
        obj._audit_before = _values(type(obj), obj.pk, self.audit_tracked_fields) if change else {}
        obj._audit_requested = {
            name: form.cleaned_data.get(name)
            for name in self.audit_tracked_fields
            if name in form.changed_data
        }
        return obj

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> LogEntry:
        entry = super().log_addition(request, obj, message)
        audit.record(
            action=f"{self.audit_action_prefix}.created",
            context=AuditContext.from_request(request),
            target=obj,
            details=self._tracked("after", obj),
        )
        return entry

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> LogEntry:
        entry = super().log_change(request, obj, message)
        after = _values(type(obj), obj.pk, self.audit_tracked_fields)
        requested = getattr(obj, "_audit_requested", {})
        refused = sorted(name for name, value in requested.items() if after.get(name) != value)
        details: dict[str, Any] = {"changed": getattr(obj, "_audit_changed", [])}
        if self.audit_tracked_fields:
            details["before"] = getattr(obj, "_audit_before", {})
            details["after"] = after
        if refused:
            details["refused"] = refused
        audit.record(
            action=f"{self.audit_action_prefix}.changed",
            context=AuditContext.from_request(request),
            target=obj,
            outcome="failed" if refused else "success",
            details=details,
        )
        return entry

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        self._record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        # The "delete selected" action runs outside a transaction: the records and the
        # deletion must commit together.
        with transaction.atomic():
            for obj in queryset:
                self._record_deletion(request, obj)
            super().delete_queryset(request, queryset)

    def _record_deletion(self, request: HttpRequest, obj: models.Model) -> None:
        audit.record(
            action=f"{self.audit_action_prefix}.deleted",
            context=AuditContext.from_request(request),
            target=obj,
            details=self._tracked("before", obj),
        )

    def _tracked(self, label: str, obj: models.Model) -> dict[str, Any]:
        if not self.audit_tracked_fields:
            return {}
        return {label: _values(type(obj), obj.pk, self.audit_tracked_fields)}


class AuditedViewMixin(ModelAdminBase):
    """Records <audit_view_action> each time the change (detail) page of an object is opened.

    "Who looked at whose data": the record names the object by id, plus whatever ids
    audit_view_details() adds. Written before the page is rendered; a refusal is recorded
    as outcome "denied".
    """

    audit_view_action = ""

    # `obj: Any`: each admin narrows it to its own model (Citizen, Reservation), which a
    # `Model` parameter would forbid (an override may not narrow a parameter's type).
    def audit_view_details(self, obj: Any) -> dict[str, Any]:
        return {}

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            allowed = self.has_view_or_change_permission(request, obj)
            audit.record(
                action=self.audit_view_action,
                context=AuditContext.from_request(request),
                target=obj,
                outcome="success" if allowed else "denied",
                details=self.audit_view_details(obj),
            )
        return super().change_view(request, object_id, form_url, extra_context)


class AuditedSearchMixin(ModelAdminBase):
    """Records <audit_search_action> for each changelist search (the term is never stored).

    Searching reservations by フリガナ is looking a person up: the record keeps who searched,
    when, how (audit_search_details) and how many results came back.
    """

    audit_search_action = ""

    def audit_search_details(self, term: str) -> dict[str, Any]:
        return {}

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        term = request.GET.get(SEARCH_VAR, "").strip()
        context = getattr(response, "context_data", None) or {}
        if term and request.method == "GET" and "cl" in context:
            # A TemplateResponse renders later: the record is written before the results.
            audit.record(
                action=self.audit_search_action,
                context=AuditContext.from_request(request),
                details={"results": context["cl"].result_count, **self.audit_search_details(term)},
            )
        return response

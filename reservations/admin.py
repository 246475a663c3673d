"""Django admin for the administrators who run the screening calendar.

Fill rates are visible in every slot list; slots are created in bulk from a calendar
pattern; capacity can never be lowered below what is already booked.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

import audit
from audit.admin_hooks import AuditedChangesMixin, AuditedSearchMixin, AuditedViewMixin
from audit.context import AuditContext
from citizens.normalize import normalise_furigana
from reservations import services
from reservations.closed_days import closed_reason
from reservations.models import (
    Notification,
    Reservation,
    ReservationItem,
    ScreeningType,
    Slot,
    Venue,
)
from reservations.page_cache import PublicPagesAdminMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@admin.register(ScreeningType)
class ScreeningTypeAdmin(PublicPagesAdminMixin, AuditedChangesMixin, admin.ModelAdmin):
    audit_action_prefix = "reservations.screening_type"
    audit_tracked_fields = [
        "min_age",
        "max_age",
        "sex",
        "interval_years",
        "fee",
        "free_from_age",
        "free_coupon_age",
        "is_active",
        "voucher_required",
    ]
    list_display = [
        "name",
        "code",
        "system_code",
        "min_age",
        "max_age",
        "sex",
        "interval_years",
        "fee",
        "is_active",
        "voucher_required",
        "display_order",
    ]
    list_filter = ["is_active", "sex"]
    search_fields = ["name", "name_en", "code"]


@admin.register(Venue)
class VenueAdmin(PublicPagesAdminMixin, AuditedChangesMixin, admin.ModelAdmin):
    audit_action_prefix = "reservations.venue"
    list_display = ["name", "code", "address", "phone"]
    search_fields = ["name", "address"]


class SlotAdminForm(forms.ModelForm):
    class Meta:
        model = Slot
        fields = [
            "venue",
            "screening_type",
            "starts_at",
            "ends_at",
            "capacity",
            "opens_at",
            "closes_at",
        ]

    def clean_capacity(self) -> int:
        capacity = self.cleaned_data["capacity"]
        taken = self.instance.booked + self.instance.held if self.instance.pk else 0
        if self.instance.pk and capacity < taken:
            raise ValidationError(
                _("%(booked)s places are already booked: capacity cannot be lower than that."),
                params={"booked": taken},
                code="below_booked",
            )
        return capacity

    def clean(self) -> dict[str, Any]:
        # A booked place records its screening and fiscal year (ReservationItem), and the
        # database's one-booking-per-person-screening-year rule works on those copies.
        # Changing either under a booking would turn lung bookings into stomach ones, or
        # count them in the wrong year: the bookings have to be moved or cancelled first.
        data = super().clean() or {}
        slot = self.instance
        if not slot.pk or not slot.items.filter(is_live=True).exists():
            return data
        screening = data.get("screening_type")
        if screening is not None and screening.pk != slot.screening_type_id:
            self.add_error(
                "screening_type",
                ValidationError(
                    _(
                        "Residents have booked this slot: its screening cannot be changed. "
                        "Move or cancel their bookings first."
                    ),
                    code="booked_screening",
                ),
            )
        venue = data.get("venue")
        if venue is not None and venue.pk != slot.venue_id:
            self.add_error(
                "venue",
                ValidationError(
                    _(
                        "Residents have booked this slot: its venue cannot be changed. "
                        "Move or cancel their bookings first."
                    ),
                    code="booked_venue",
                ),
            )
        # The time of day may change (residents are mailed); the day may not: a set booking
        # (セット検診) must stay on one day, and the day decides the fiscal year.
        starts_at = data.get("starts_at")
        if starts_at is not None and timezone.localtime(starts_at).date() != slot.local_date:
            self.add_error(
                "starts_at",
                ValidationError(
                    _(
                        "Residents have booked this slot: it cannot move to another day. "
                        "Move or cancel their bookings first."
                    ),
                    code="booked_day",
                ),
            )
        return data


class FillRateFilter(admin.SimpleListFilter):
    title = _("fill rate")
    parameter_name = "fill"

    def lookups(
        self, request: HttpRequest, model_admin: ModelAdmin[Any]
    ) -> list[tuple[str, StrOrPromise]]:
        return [("empty", _("Nobody booked")), ("open", _("Places left")), ("full", _("Full"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Slot]) -> QuerySet[Slot]:
        from django.db.models import F

        if self.value() == "empty":
            return queryset.filter(booked=0)
        if self.value() == "open":
            return queryset.filter(booked__lt=F("capacity"))
        if self.value() == "full":
            return queryset.filter(booked__gte=F("capacity"))
        return queryset


@admin.register(Slot)
class SlotAdmin(PublicPagesAdminMixin, AuditedChangesMixin, admin.ModelAdmin):
    audit_action_prefix = "reservations.slot"
    audit_tracked_fields = ["capacity", "opens_at", "closes_at"]
    form = SlotAdminForm
    list_display = ["starts_at", "screening_type", "venue", "fill_rate", "opens_at", "closes_at"]
    list_filter = [
        "screening_type",
        "venue",
        FillRateFilter,
        ("starts_at", admin.DateFieldListFilter),
    ]
    date_hierarchy = "starts_at"
    readonly_fields = ["booked"]
    list_select_related = ["venue", "screening_type"]
    change_list_template = "admin/reservations/slot/change_list.html"

    @admin.display(description=_("booked / capacity"), ordering="booked")
    def fill_rate(self, slot: Slot) -> str:
        rate = slot.fill_rate
        shown = format_html(
            '<span title="{}">{} / {} ({}%)</span>',
            f"{rate:.0%}",
            slot.booked,
            slot.capacity,
            round(rate * 100),
        )
        if slot.held:
            # Places held for waiting-list offers (キャンセル待ち), taken until answered.
            shown = format_html("{} {}", shown, _("+%(n)s held") % {"n": slot.held})
        return shown

    def save_model(
        self, request: HttpRequest, obj: Slot, form: forms.ModelForm[Slot], change: bool
    ) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Never a full save(): it would write back the `booked` read when the form was
        # loaded and undo every booking made since. Capacity goes through a conditional
        # UPDATE, so a booking that arrived after the form was checked cannot end overbooked.
        if "capacity" in form.changed_data and not services.slot_set_capacity(
            slot=obj, capacity=obj.capacity
        ):
            obj.refresh_from_db(fields=["capacity", "booked"])
            messages.error(
                request,
                _("Capacity was not changed: %(booked)s places are booked now.")
                % {"booked": obj.booked},
            )
        fields = [f for f in form.changed_data if f not in ("capacity", "booked")]
        if fields:
            obj.save(update_fields=fields)
        if {"starts_at", "ends_at"} & set(fields):
            # Same transaction as the save: everyone booked is mailed and the next export
            # batch carries the booking as changed (変更).
            told = services.slot_times_changed(slot=obj)
            if told:
                messages.info(
                    request,
                    _("%(n)s booked residents will be mailed the new time.") % {"n": told},
                )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "bulk-create/",
                self.admin_site.admin_view(self.bulk_create_view),
                name="reservations_slot_bulk_create",
            ),
            *super().get_urls(),
        ]

    def bulk_create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = SlotBulkCreateForm(request.POST or None)
        preview = None
        # The first submit only previews (the closed days in the range, the slot count);
        # the "create" button appears with the preview.
        if request.method == "POST" and form.is_valid() and "create" not in request.POST:
            preview = form.preview()
        elif request.method == "POST" and form.is_valid():
            with transaction.atomic():
                created, skipped = services.slots_bulk_create(**form.cleaned_data)
                audit.record(
                    action="reservations.slot.bulk_created",
                    request=request,
                    target=form.cleaned_data["venue"],
                    details=_bulk_create_details(form.cleaned_data, created, skipped),
                )
            messages.success(
                request,
                _("%(created)s slots created, %(skipped)s already existed.")
                % {"created": created, "skipped": skipped},
            )
            return redirect(reverse("admin:reservations_slot_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
            "title": _("Create slots in bulk"),
        }
        return render(request, "admin/reservations/slot/bulk_create.html", context)


def _bulk_create_details(data: dict[str, Any], created: int, skipped: int) -> dict[str, Any]:
    """The bulk-creation pattern as audit details: ids, counts, dates and times only."""
    return {
        "created": created,
        "skipped": skipped,
        "venue_id": data["venue"].pk,
        "screening_type_ids": sorted(s.pk for s in data["screening_types"]),
        "first_date": data["first_date"],
        "last_date": data["last_date"],
        "weekdays": sorted(data["weekdays"]),
        "start_times": [t.strftime("%H:%M") for t in data["start_times"]],
        "duration_minutes": data["duration_minutes"],
        "capacity": data["capacity"],
        "opens_at": data["opens_at"],
        "closes_at": data["closes_at"],
        "include_closed_days": data.get("include_closed_days", False),
    }


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class SlotBulkCreateForm(forms.Form):
    venue = forms.ModelChoiceField(Venue.objects.all(), label=_("venue"))
    screening_types = forms.ModelMultipleChoiceField(
        ScreeningType.objects.filter(is_active=True),
        label=_("screening types"),
        widget=forms.CheckboxSelectMultiple,
    )
    first_date = forms.DateField(
        label=_("from (date)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_date = forms.DateField(
        label=_("to (date)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, label=_("weekdays"), widget=forms.CheckboxSelectMultiple
    )
    start_times = forms.CharField(
        label=_("start times"),
        help_text=_("Comma-separated, e.g. 09:00, 09:30, 10:00"),
        max_length=500,
    )
    duration_minutes = forms.IntegerField(
        label=_("duration (minutes)"), min_value=5, max_value=480, initial=30
    )
    capacity = forms.IntegerField(label=_("capacity per slot"), min_value=1, max_value=1000)
    opens_at = forms.DateTimeField(
        label=_("booking opens at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label=_("booking closes at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    include_closed_days = forms.BooleanField(
        label=_("also on public holidays and 年末年始 (29 Dec – 3 Jan)"),
        required=False,
        help_text=_("Left unticked, those days are skipped; the preview lists them."),
    )

    MAX_SLOTS = 5000

    def _days(self, data: dict[str, Any]) -> list[date]:
        first, last = data["first_date"], data["last_date"]
        return [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() in data["weekdays"]
        ]

    def preview(self) -> dict[str, Any]:
        """What the pattern would do: the chosen weekdays that are closed days (skipped,
        or included on purpose) and how many slots it makes."""
        data = self.cleaned_data
        days = self._days(data)
        closed = [(day, closed_reason(day)) for day in days if closed_reason(day)]
        include = data.get("include_closed_days", False)
        used = len(days) if include else len(days) - len(closed)
        return {
            "closed": closed,
            "included": include,
            "days": used,
            "slots": used * len(data["start_times"]) * len(data["screening_types"]),
        }

    def clean_start_times(self) -> list[time]:
        raw = self.cleaned_data["start_times"].replace("、", ",").replace("，", ",")
        times = []
        for part in filter(None, (p.strip() for p in raw.split(","))):
            try:
                times.append(datetime.strptime(part, "%H:%M").time())
            except ValueError:
                raise ValidationError(
                    _("%(value)s is not a time like 09:30."), params={"value": part[:10]}
                ) from None
        if not times:
            raise ValidationError(_("Enter at least one start time."))
        return sorted(set(times))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_date"), data.get("last_date")
        if first and last:
            if last < first:
                self.add_error("last_date", _("The last date is before the first date."))
            elif (last - first).days > 366:
                self.add_error("last_date", _("At most one year at a time."))
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("Booking must close after it opens."))
        if not self.errors and first and last:
            days = sum(
                1
                for day in self._days(data)
                if data.get("include_closed_days") or not closed_reason(day)
            )
            total = days * len(data["start_times"]) * len(data["screening_types"])
            if total > self.MAX_SLOTS:
                raise ValidationError(
                    _("This would create %(total)s slots; at most %(max)s at a time."),
                    params={"total": total, "max": self.MAX_SLOTS},
                )
        return data


class ReservationItemInline(admin.TabularInline):
    model = ReservationItem
    fields = readonly_fields = ("slot", "screening_type", "fiscal_year", "is_live")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NotificationInline(admin.TabularInline):
    model = Notification
    fields = readonly_fields = (
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reservation)
class ReservationAdmin(AuditedViewMixin, AuditedSearchMixin, admin.ModelAdmin):
    # Who looked at whose booking, and who searched for whom (the term is not kept).
    audit_view_action = "reservations.reservation.viewed"
    audit_search_action = "reservations.reservation.searched"
    list_display = ["display_number", "status", "channel", "first_slot", "created_at", "changed_at"]
    list_filter = ["status", "channel", "items__screening_type", "items__slot__venue"]
    search_fields = ["number", "citizen__furigana"]
    readonly_fields = (
        "number",
        "status",
        "channel",
        "booked_by",
        "language",
        "created_at",
        "changed_at",
        "cancelled_at",
        "cancelled_by_kind",
        "cancelled_by",
        "citizen_link",
    )
    fields = readonly_fields
    inlines = [ReservationItemInline, NotificationInline]
    actions = ["cancel_on_behalf"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Bookings are made through the services (web or phone desk), never typed into admin.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deletion is the purge's job (audited); staff cancel instead.
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # Staff type フリガナ as it comes: hiragana, half-width, with or without hyphens.
        term = search_term.strip()
        digits = term.replace("-", "").replace(" ", "")
        if digits.isdigit():
            return queryset.filter(number=digits), False
        if term:
            furigana = normalise_furigana(term)
            return (
                queryset.filter(
                    Q(citizen__furigana__icontains=furigana)
                    | Q(citizen__furigana__icontains=furigana.replace(" ", ""))
                ),
                False,
            )
        return queryset, False

    def audit_view_details(self, reservation: Reservation) -> dict[str, Any]:
        return {"citizen_id": reservation.citizen_id}

    def audit_search_details(self, term: str) -> dict[str, Any]:
        digits = term.replace("-", "").replace(" ", "")
        return {"by": "number" if digits.isdigit() else "furigana"}

    @admin.display(description=_("reservation number"), ordering="number")
    def display_number(self, reservation: Reservation) -> str:
        return reservation.display_number

    @admin.display(description=_("screening time"))
    def first_slot(self, reservation: Reservation) -> str:
        item = reservation.items.select_related("slot").first()
        return timezone.localtime(item.slot.starts_at).strftime("%Y-%m-%d %H:%M") if item else "-"

    @admin.display(description=_("personal details"))
    def citizen_link(self, reservation: Reservation) -> str:
        url = reverse("admin:citizens_citizen_change", args=[reservation.citizen_id])
        return format_html('<a href="{}">{}</a>', url, _("Open the resident's details"))

    @admin.action(description=_("Cancel the selected reservations on the resident's behalf"))
    def cancel_on_behalf(self, request: HttpRequest, queryset: QuerySet[Reservation]) -> None:
        cancelled = refused = 0
        context = AuditContext.from_request(request)
        for reservation in queryset:
            try:
                # The cancellation and its audit record commit together, or neither does.
                services.reservation_cancel(
                    reservation=reservation,
                    by=Reservation.CancelledBy.STAFF,
                    user=context.actor,
                    audit_context=context,
                    audit_details={"via": "admin"},
                )
                cancelled += 1
            except services.NotCancellable:
                audit.record(
                    action="reservations.reservation.cancelled",
                    context=context,
                    target=reservation,
                    outcome="failed",
                    details={"via": "admin", "reason": "not_cancellable"},
                )
                refused += 1
        if cancelled:
            messages.success(request, _("%(n)s reservations cancelled.") % {"n": cancelled})
        if refused:
            messages.warning(
                request,
                _("%(n)s reservations were already cancelled or past and were left as they were.")
                % {"n": refused},
            )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The mail outbox. Failed messages are one filter away and can be sent again.

    Nothing personal is shown: the reservation number identifies the booking, and
    last_error holds only an error class and SMTP codes (reservations.notifications).
    """

    list_display = [
        "id",
        "reservation",
        "kind",
        "about",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["reservation"]
    search_fields = ["reservation__number"]
    search_help_text = _("Reservation number, with or without hyphens.")
    ordering = ["-created_at"]
    actions = ["retry_failed"]
    readonly_fields = [
        "reservation",
        "kind",
        "about",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The outbox is the record of what was mailed; it goes with its reservation's purge.
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        digits = search_term.replace("-", "").replace(" ", "").strip()
        if digits:
            return queryset.filter(reservation__number=digits), False
        return queryset, False

    @admin.action(description=_("Send the selected failed messages again"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from reservations import notifications

        selected = list(queryset.values_list("pk", flat=True))
        retried = notifications.retry_failed(notification_ids=selected)
        if retried:
            messages.success(
                request,
                _("%(n)s failed messages are queued again; the mail worker will send them.")
                % {"n": retried},
            )
        if len(selected) > retried:
            messages.warning(
                request,
                _("%(n)s selected messages had not failed and were left as they were.")
                % {"n": len(selected) - retried},
            )


# Bookings for several people (reservations.group): read only.
from reservations import group_admin as group_admin  # noqa: E402

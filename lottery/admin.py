"""Rounds in admin: create one over some screenings (venues, dates), see its slots and
commitment, and draw it (once) with an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.context import AuditContext
from core.outbox_admin import OutboxAdmin
from lottery import services
from lottery.errors import AlreadyDrawn, DrawTooEarly, RoundNotOpen, SlotsTaken
from lottery.models import LotteryNotification, Round


class RoundAdminForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = [
            "name",
            "name_en",
            "screening_types",
            "venues",
            "first_date",
            "last_date",
            "opens_at",
            "closes_at",
            "draw_at",
            "first_come_at",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        times = [data.get(f) for f in ("opens_at", "closes_at", "draw_at", "first_come_at")]
        if all(times) and not (times[0] < times[1] <= times[2] <= times[3]):  # type: ignore[operator]
            raise forms.ValidationError(
                _(
                    "The times must come in this order: applications open, applications "
                    "close, the draw, first-come booking of the places left."
                )
            )
        if self.instance.pk and self.instance.drawn_at is not None:
            raise forms.ValidationError(_("A drawn round can no longer be changed."))
        screenings = data.get("screening_types")
        if screenings:
            wanted = services.round_candidate_slots(
                screening_type_ids=[s.pk for s in screenings],
                venue_ids=[v.pk for v in data.get("venues") or []],
                first_date=data.get("first_date"),
                last_date=data.get("last_date"),
            )
            if not wanted:
                raise forms.ValidationError(_("No slots match these screenings, venues and dates."))
            taken = services.slots_held_elsewhere(wanted, round_id=self.instance.pk)
            if taken:
                raise forms.ValidationError(
                    _(
                        "%(n)s of these slots already belong to another round that has not "
                        "been drawn. A slot belongs to at most one open round."
                    )
                    % {"n": len(taken)}
                )
        return data


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    form = RoundAdminForm
    list_display = ["name", "opens_at", "closes_at", "draw_at", "phase_label", "slot_count"]
    readonly_fields = ["commitment", "published_seed", "drawn_at", "drawn_by_label"]
    actions = ["draw_rounds"]
    filter_horizontal = ["screening_types", "venues"]

    @admin.display(description=gettext_lazy("state"))
    def phase_label(self, round_: Round) -> str:
        return str(round_.phase().label)

    @admin.display(description=gettext_lazy("slots"))
    def slot_count(self, round_: Round) -> int:
        return round_.round_slots.count()

    @admin.display(description=gettext_lazy("drawn by"))
    def drawn_by_label(self, round_: Round) -> str:
        return round_.drawn_by.get_username() if round_.drawn_by else "—"

    def save_model(self, request: HttpRequest, obj: Round, form: Any, change: bool) -> None:
        if not change:
            services.round_seal_seed(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        try:
            count = services.round_assign_slots(
                round_=form.instance, audit_context=AuditContext.from_request(request)
            )
        except RoundNotOpen:
            messages.warning(
                request, _("People have applied already: the round's slots were left as they were.")
            )
        except SlotsTaken as taken:
            messages.error(
                request,
                _("%(n)s slots belong to another round that has not been drawn.")
                % {"n": len(taken.slot_ids)},
            )
        else:
            messages.info(request, _("The round holds %(n)s slots.") % {"n": count})

    @admin.action(description=gettext_lazy("Draw the selected rounds (once)"))
    def draw_rounds(self, request: HttpRequest, queryset: QuerySet[Round]) -> None:
        context = AuditContext.from_request(request)
        for round_ in queryset:
            try:
                summary = services.round_draw(
                    round_id=round_.pk, user=context.actor, audit_context=context
                )
            except (AlreadyDrawn, DrawTooEarly) as refused:
                services.round_draw_refused(
                    round_id=round_.pk, code=refused.code, user=context.actor, audit_context=context
                )
                text = (
                    _("%(round)s has already been drawn: a round is drawn once.")
                    if isinstance(refused, AlreadyDrawn)
                    else _("%(round)s cannot be drawn before its applications close.")
                )
                messages.error(request, text % {"round": round_})
                continue
            messages.success(
                request,
                _("%(round)s drawn: %(winners)s of %(applications)s applications won a place.")
                % {
                    "round": round_,
                    "winners": summary.winners,
                    "applications": summary.applications,
                },
            )


@admin.register(LotteryNotification)
class LotteryNotificationAdmin(OutboxAdmin):
    """The lottery's mails: received, changed, withdrawn, results."""

    list_display = ["id", "application", *OutboxAdmin.outbox_fields, "sent_at"]
    list_select_related = ["application"]

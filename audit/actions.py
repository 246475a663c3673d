"""Human labels for the dotted action names shown on the staff audit page.

The dotted name is what is stored and what filters match; a label is only a reading aid.
Add a line here when you add an audited action (docs/audit.md lists them all).
"""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "audit.events.exported": _("Audit records exported as CSV"),
    "citizens.citizen.viewed": _("Resident's personal details opened"),
    "reservations.reservation.viewed": _("Reservation opened"),
    "reservations.reservation.searched": _("Reservations searched"),
    "reservations.reservation.cancelled": _("Reservation cancelled by staff"),
    "reservations.reservation.screening_dropped": _(
        "One screening taken out of a set booking by staff"
    ),
    "reservations.screening_type.created": _("Screening type created"),
    "reservations.screening_type.changed": _("Screening type changed"),
    "reservations.screening_type.deleted": _("Screening type deleted"),
    "reservations.venue.created": _("Venue created"),
    "reservations.venue.changed": _("Venue changed"),
    "reservations.venue.deleted": _("Venue deleted"),
    "reservations.slot.created": _("Slot created"),
    "reservations.slot.changed": _("Slot changed"),
    "reservations.slot.deleted": _("Slot deleted"),
    "reservations.slot.bulk_created": _("Slots created in bulk"),
    # Export batches and retention (exports app; Japanese in exports/locale).
    "exports.batch.created": _("Export batch written"),
    "exports.batch.downloaded": _("Export batch downloaded"),
    "exports.batch.import_confirmed": _("Export batch import confirmed, file deleted"),
    "exports.batch.discarded": _("Export batch deleted without import"),
    "exports.batch.expired": _("Unconfirmed export batch deleted after retention period"),
    "reservations.reservation.purged": _("Reservations past retention deleted"),
    "reservations.history.pruned": _("Screening history past every interval deleted"),
}


def action_label(action: str) -> str:
    return str(LABELS.get(action, ""))

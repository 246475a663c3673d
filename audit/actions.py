"""Every audited action: its dotted name (what is stored and filtered on) and its label.

The label is a reading aid for the staff audit page and its action filter. Add a line here
when you add an audited action: tests/audit/test_action_labels.py finds every action name
in the code and fails for one without a label (docs/audit.md lists them all).
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

LABELS: dict[str, Promise] = {
    # Staff sign-in and sessions.
    "staff.login.password_accepted": _("Password accepted (second factor next)"),
    "staff.login.succeeded": _("Logged in"),
    "staff.login.failed": _("Login failed"),
    "staff.login.locked_out": _("Locked out after too many failures"),
    "staff.second_factor.enrolled": _("Phone enrolled for the second factor"),
    "staff.second_factor.failed": _("Wrong second-factor code"),
    "staff.second_factor.backup_code_used": _("Backup code used"),
    "staff.second_factor.backup_codes_renewed": _("New backup codes made"),
    "staff.second_factor.reset": _("Second factor reset by an administrator"),
    "staff.logout": _("Logged out"),
    "staff.session.idle_timeout": _("Logged out: no activity for too long"),
    "staff.session.absolute_timeout": _("Logged out: signed in for too long"),
    "staff.session.expired": _(
        "Logged out: session too old (before the two limits were told apart)"
    ),
    # Staff accounts and groups (admin).
    "staff.user.created": _("Staff account created"),
    "staff.user.changed": _("Staff account changed"),
    "staff.user.deleted": _("Staff account deleted"),
    "staff.user.password_set": _("Staff password set"),
    "staff.group.created": _("Group created"),
    "staff.group.changed": _("Group changed"),
    "staff.group.deleted": _("Group deleted"),
    # The city's list of screening tickets (受診券).
    "vouchers.list.imported": _("List of screening tickets imported (previous list replaced)"),
    "vouchers.list.previewed": _("List of screening tickets uploaded for preview"),
    "vouchers.list.refused": _("List of screening tickets refused (bad lines)"),
    "vouchers.fee_class.created": _("Fee class created"),
    "vouchers.fee_class.changed": _("Fee class changed"),
    "vouchers.fee_class.deleted": _("Fee class deleted"),
    # Residents' data.
    "citizens.citizen.viewed": _("Resident's personal details opened"),
    "citizens.citizen.listed": _("Residents' names and phones listed"),
    "reservations.reservation.viewed": _("Reservation opened"),
    "reservations.reservation.searched": _("Reservations searched"),
    "reservations.reservation_group.viewed": _("Booking for several people opened"),
    "reservations.reservation.booked": _("Reservation made by staff"),
    "reservations.reservation.booked_by_phone": _("Reservation made at the phone desk"),
    "reservations.reservation.booked_by_lottery": _("Reservation made by a lottery draw"),
    "reservations.reservation.moved": _("Reservation moved to another time"),
    "reservations.reservation.cancelled": _("Reservation cancelled by staff"),
    "reservations.reservation.screening_dropped": _(
        "One screening taken out of a set booking by staff"
    ),
    # The screening calendar (admin).
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
    "waitingroom.opening.created": _("Waiting room opening added"),
    "waitingroom.opening.changed": _("Waiting room opening changed"),
    "waitingroom.opening.deleted": _("Waiting room opening deleted"),
    # Export batches and retention (exports app; Japanese in exports/locale).
    "exports.batch.created": _("Export batch written"),
    "exports.batch.downloaded": _("Export batch downloaded"),
    "exports.batch.import_confirmed": _("Export batch import confirmed, file deleted"),
    "exports.batch.discarded": _("Export batch deleted without import"),
    "exports.batch.expired": _("Unconfirmed export batch deleted after retention period"),
    "reservations.reservation.purged": _("Reservations past retention deleted"),
    "reservations.history.pruned": _("Screening history past every interval deleted"),
    "reservations.person_keys.rekeyed": _("Person keys of bookings computed again"),
    # The waiting list (waitlist app; Japanese in audit/locale).
    "waitlist.entries.listed": _("Waiting list or its offers viewed by staff"),
    "waitlist.entries.searched": _("Waiting-list entries searched by staff"),
    "lottery.applications.searched": _("Lottery applications searched by staff"),
    "lottery.application.withdrawn_by_phone": _(
        "Lottery application withdrawn by staff for a caller"
    ),
    "waitlist.entry.added": _("Waiting-list entry added by staff"),
    "waitlist.entry.removed": _("Waiting-list entry removed by staff"),
    "waitlist.offer.confirmed_by_desk": _("Waiting-list offer confirmed at the desk"),
    "waitlist.offer.declined": _("Waiting-list offer declined by staff"),
    # Lottery rounds (lottery app; Japanese in lottery/locale).
    "lottery.round.created": _("Lottery round created"),
    "lottery.round.drawn": _("Lottery round drawn"),
    "lottery.round.draw_refused": _("Lottery draw refused (already drawn or too early)"),
    "lottery.application.entered_by_phone": _("Lottery application entered at the phone desk"),
    "lottery.call_list.viewed": _("Lottery call list (results without email) opened"),
    "lottery.application.erased": _("Lottery applicants' details past retention erased"),
    # The screening day (reception app).
    "reception.roster.viewed": _("Reception roster opened"),
    "reception.roster.printed": _("Reception roster opened for printing"),
    "reception.attendance.marked": _("Attendance marked"),
    "reception.attendance.undone": _("Attendance mark undone"),
    "reception.session.called_off": _("Session called off, its bookings cancelled"),
    # The audit trail itself.
    "audit.events.exported": _("Audit records exported as CSV"),
}

# The groups the action filter offers above the single actions: every action starting so.
GROUPS: dict[str, Promise] = {
    "staff.login.": _("All sign-in events"),
    "staff.second_factor.": _("All second-factor events"),
    "staff.session.": _("All session time-outs"),
    "staff.user.": _("All changes to staff accounts"),
    "staff.group.": _("All changes to groups"),
    "reservations.reservation.": _("All reservation events"),
    "citizens.": _("All openings of residents' details"),
    "reservations.screening_type.": _("All changes to screening types"),
    "reservations.venue.": _("All changes to venues"),
    "reservations.slot.": _("All changes to slots"),
    "waitingroom.": _("All changes to waiting room openings"),
    "waitlist.": _("All waiting-list events"),
    "exports.": _("All export batch events"),
    "reception.": _("All screening-day events"),
    "audit.": _("All audit exports"),
}


def action_label(action: str) -> str:
    return str(LABELS.get(action, ""))

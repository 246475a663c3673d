"""Every action the code can record has a label, in Japanese, on the audit page.

The action names are found in the source itself, so a new audit.record(action=...) without
a line in audit/actions.py fails here instead of showing up unlabelled.
"""

import ast
import re
from pathlib import Path

from django.utils import translation

from audit.actions import GROUPS, LABELS

ROOT = Path(__file__).resolve().parents[2]
# Every first-party app (a folder with apps.py), so a new app's actions are checked too.
APPS = tuple(sorted(path.parent.name for path in ROOT.glob("*/apps.py")))
ACTION = re.compile(rf"^({'|'.join(APPS)})\.[a-z_]+\.[a-z_]+$")
# Dotted strings of that shape that are not audit actions, and why.
NOT_ACTIONS = {
    "reservations.booking.state": "the signing salt of the booking form's state",
    "reservations.lookup.failed": "a log line, not an audit record",
    "waitingroom.ticket.refused": "a log line, not an audit record",
    "waitlist.lookup.failed": "a log line, not an audit record",
    "lottery.lookup.failed": "a log line, not an audit record",
    "vouchers.list.commit": "the signing salt of the upload's commit token",
    "reservations.done.browser": "the signing salt of the done page's cookie",
    "reservations.booking.draft": "the signing salt of a details form kept for the language switch",
}
# Admin classes record <prefix>.created / .changed / .deleted (audit/admin_hooks.py).
PREFIX_VERBS = ("created", "changed", "deleted")


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def action_names_in_the_code() -> dict[str, str]:
    """{action: where} for every string in the apps' code that names an audit action."""
    found = {}
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {t.id for t in targets if isinstance(t, ast.Name)}
                if "audit_action_prefix" in names and isinstance(node.value, ast.Constant):
                    if node.value.value:
                        for verb in PREFIX_VERBS:
                            found[f"{node.value.value}.{verb}"] = where
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if ACTION.match(node.value) and node.value not in NOT_ACTIONS:
                    found[node.value] = f"{where}:{node.lineno}"
    return found


def test_the_scan_finds_the_actions_recorded_in_different_ways():
    found = action_names_in_the_code()
    assert "exports.batch.downloaded" in found  # audit.record(action="…")
    assert "reservations.reservation.booked_by_phone" in found  # chosen in an expression
    assert "reservations.slot.changed" in found  # an admin's audit_action_prefix
    assert "staff.user.deleted" in found  # an admin's audit_deleted_action
    assert "staff.session.idle_timeout" in found  # a table of actions
    assert len(found) >= 40


def test_every_action_in_the_code_has_a_label():
    missing = {a: where for a, where in action_names_in_the_code().items() if a not in LABELS}
    assert not missing, "add a label in audit/actions.py for:\n" + "\n".join(
        f"{action} ({where})" for action, where in sorted(missing.items())
    )


def test_strings_that_are_not_actions_are_still_in_the_code():
    """The exceptions above may not outlive the code they excuse."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in _sources())
    for string in NOT_ACTIONS:
        assert f'"{string}"' in text, string


def test_every_label_and_group_reads_in_japanese():
    with translation.override("ja"):
        english = [
            f"{code}: {label}"
            for code, label in [*LABELS.items(), *GROUPS.items()]
            if re.fullmatch(r"[ -~]+", str(label))
        ]
    assert not english, "\n".join(english)


def test_every_group_holds_at_least_one_action():
    for prefix in GROUPS:
        assert any(code.startswith(prefix) for code in LABELS), prefix

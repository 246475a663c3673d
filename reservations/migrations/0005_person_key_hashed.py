"""Person keys become keyed hashes, with 「・」 and dashes after kana folded (issue 11).

ReservationItem.person_key held "ヤマダ・タロウ|1970-05-01" in readable form: the unique
constraint's error DETAIL printed it into the PostgreSQL server log. It now holds the
keyed hash of the new folding (citizens.models.person_key), computed again from each
booking's Citizen row by reservations.person_keys — the same code `manage.py
rekey_persons` runs after a SECRET_KEY rotation.

ScreeningHistory is not rewritten: its hashes were made with the same key and the same
derivation, so every row whose フリガナ had no 「・」 already equals the new key, and the
others cannot be recomputed (the names behind them were purged). Eligibility also looks
them up by the old spelling's key (citizens.models.person_keys).

Live bookings that the new folding makes into one person's second booking of a screening
in a fiscal year are all kept, and printed by reservation number for staff to resolve
(see reservations.person_keys); the migration does not stop for them.

Reversible: going back stores the readable key of the old folding again.

It runs today's code (reservations.person_keys, citizens.models.person_key) on purpose, not
a frozen copy: a database upgraded across several releases should end with the keys of the
newest folding, which a later folding change re-keys in its own migration anyway (an empty
database, the only other case, has nothing to re-key).
"""

import sys

from django.db import migrations


def forwards(apps, schema_editor):
    from reservations.person_keys import double_booking_lines, person_keys_rekey

    result = person_keys_rekey(item_model=apps.get_model("reservations", "ReservationItem"))
    lines = double_booking_lines(result)
    if lines:
        # After migrate's "Applying …" on its own line, for the operator to act on.
        sys.stdout.write("\n" + "".join(f"  reservations 0005: {line}\n" for line in lines))


def backwards(apps, schema_editor):
    from citizens.models import legacy_person_identity

    item_model = apps.get_model("reservations", "ReservationItem")
    items = [
        item_model(pk=pk, person_key=legacy_person_identity(furigana, born))
        for pk, furigana, born in item_model.objects.values_list(
            "pk", "reservation__citizen__furigana", "reservation__citizen__birth_date"
        )
    ]
    item_model.objects.bulk_update(items, ["person_key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("citizens", "0001_initial"),
        ("reservations", "0004_screening_history"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

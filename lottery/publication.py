"""What a drawn round publishes, and checking a draw from it alone.

Two CSV files (UTF-8, header row, CRLF), free of personal data:
- results: application_number, draw_position, order_key (hex SHA-256(seed || number)),
  preference_1..3, result (won / lost / void), won_preference, won_slots.
  A preference is written as its groups (one per screening, ascending screening id)
  joined by "+", each group its candidate slot ids in order joined by " ".
- places: slot_id, screening, venue_id, starts_at (local ISO 8601), places (free at the draw).

`verify` recomputes the allocation from the seed and these two files with
lottery.allocation and lists every difference; docs/lottery.md describes the same
computation for anyone writing their own.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator

from django.utils import timezone

from lottery import allocation
from lottery.models import Application, Round, RoundSlot

RESULT_HEADER = [
    "application_number",
    "draw_position",
    "order_key",
    "preference_1",
    "preference_2",
    "preference_3",
    "result",
    "won_preference",
    "won_slots",
]
PLACES_HEADER = ["slot_id", "screening", "venue_id", "starts_at", "places"]


def encode_preference(groups: list[list[int]]) -> str:
    return "+".join(" ".join(str(slot_id) for slot_id in group) for group in groups)


def decode_preference(text: str) -> allocation.Preference:
    if not text.strip():
        return ()
    return tuple(tuple(int(s) for s in group.split()) for group in text.split("+"))


def _csv(rows: Iterator[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def results_csv(round_: Round) -> str:
    seed = bytes.fromhex(round_.published_seed)

    def rows() -> Iterator[list[str]]:
        yield RESULT_HEADER
        drawn = round_.applications.exclude(draw_position=None).order_by("draw_position")
        for application in drawn:
            prefs = [encode_preference(p) for p in application.draw_preferences]
            prefs += [""] * (3 - len(prefs))
            yield [
                application.number,
                str(application.draw_position),
                allocation.order_key(seed, application.number).hex(),
                *prefs,
                application.result,
                str(application.won_rank or ""),
                " ".join(str(s) for s in application.won_slot_ids),
            ]

    return _csv(rows())


def places_csv(round_: Round) -> str:
    def rows() -> Iterator[list[str]]:
        yield PLACES_HEADER
        for row in (
            RoundSlot.objects.filter(round=round_)
            .select_related("slot__screening_type")
            .order_by("slot_id")
        ):
            slot = row.slot
            yield [
                str(slot.pk),
                slot.screening_type.code,
                str(slot.venue_id),
                timezone.localtime(slot.starts_at).isoformat(),
                str(row.places_at_draw or 0),
            ]

    return _csv(rows())


def verify(*, seed_hex: str, commitment: str, results: str, places: str) -> list[str]:
    """Every way the published files disagree with a recomputation; [] when they agree."""
    problems = []
    seed = bytes.fromhex(seed_hex)
    if hashlib.sha256(seed).hexdigest() != commitment:
        problems.append("the seed does not match the commitment published before the draw")
    free = {int(r["slot_id"]): int(r["places"]) for r in csv.DictReader(io.StringIO(places))}
    rows = list(csv.DictReader(io.StringIO(results)))
    entries = [
        allocation.Entry(
            r["application_number"],
            tuple(
                decode_preference(r[f"preference_{i}"]) for i in (1, 2, 3) if r[f"preference_{i}"]
            ),
        )
        for r in rows
        if r["result"] != Application.Result.VOID
    ]
    outcomes = {o.number: o for o in allocation.allocate(seed, entries, free)}
    for r in rows:
        number = r["application_number"]
        if r["order_key"] != allocation.order_key(seed, number).hex():
            problems.append(f"{number}: order key differs")
        if r["result"] == Application.Result.VOID:
            continue
        outcome = outcomes[number]
        expected = (
            ("won", str(outcome.rank), " ".join(map(str, outcome.slot_ids)))
            if outcome.rank
            else ("lost", "", "")
        )
        if (r["result"], r["won_preference"], r["won_slots"]) != expected:
            problems.append(
                f"{number}: published {r['result']} {r['won_preference']}, "
                f"recomputed {expected[0]} {expected[1]}"
            )
    return problems


def verify_round(round_: Round) -> list[str]:
    """verify() over what the round's public page serves."""
    if round_.drawn_at is None:
        return ["the round has not been drawn"]
    return verify(
        seed_hex=round_.published_seed,
        commitment=round_.commitment,
        results=results_csv(round_),
        places=places_csv(round_),
    )

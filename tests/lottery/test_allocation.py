"""The draw as a pure function: order, serial dictatorship, capacity, determinism."""

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.allocation import Entry, allocate, draw_order, order_key

SEED = bytes(range(32))


def test_order_is_sha256_of_seed_and_ascii_number_ascending():
    numbers = ["000000000001", "123456789012", "999999999999"]
    expected = sorted(numbers, key=lambda n: hashlib.sha256(SEED + n.encode()).hexdigest())
    assert draw_order(SEED, numbers) == expected
    assert order_key(SEED, "000000000001") == hashlib.sha256(SEED + b"000000000001").digest()


def test_first_drawn_gets_first_preference_next_gets_second():
    first, second = draw_order(SEED, ["111111111111", "222222222222"])
    entries = [Entry(first, (((1,),), ((2,),))), Entry(second, (((1,),), ((2,),)))]
    outcomes = {o.number: o for o in allocate(SEED, entries, {1: 1, 2: 1})}
    assert (outcomes[first].rank, outcomes[first].slot_ids) == (1, (1,))
    assert (outcomes[second].rank, outcomes[second].slot_ids) == (2, (2,))


def test_set_application_is_won_or_lost_whole():
    entries = [Entry("111111111111", (((1,), (2,)),))]
    assert allocate(SEED, entries, {1: 1, 2: 0})[0].rank is None
    assert allocate(SEED, entries, {1: 1, 2: 1})[0].slot_ids == (1, 2)


def test_day_preference_takes_the_earliest_time_with_a_place():
    entries = [Entry("111111111111", (((5, 6, 7),),))]
    assert allocate(SEED, entries, {5: 0, 6: 1, 7: 1})[0].slot_ids == (6,)


# --- Property: random rounds ------------------------------------------------------------------

slot_ids = st.integers(min_value=1, max_value=6)
preference = st.lists(
    st.lists(slot_ids, min_size=1, max_size=3, unique=True).map(tuple), min_size=1, max_size=2
).map(tuple)
rounds = st.tuples(
    st.binary(min_size=32, max_size=32),
    st.lists(st.lists(preference, min_size=1, max_size=3).map(tuple), max_size=25),
    st.dictionaries(slot_ids, st.integers(min_value=0, max_value=4)),
)


def _fits(preference, free):
    return all(any(free.get(s, 0) > 0 for s in group) for group in preference) and len(
        preference
    ) == len({next(s for s in g if free.get(s, 0) > 0) for g in preference})


@settings(max_examples=300, deadline=None)
@given(rounds)
def test_random_rounds_respect_capacity_preferences_and_order(data):
    seed, prefs, places = data
    entries = [Entry(f"{i:012d}", p) for i, p in enumerate(prefs)]
    outcomes = allocate(seed, entries, places)
    by_number = {e.number: e for e in entries}

    # Never over capacity.
    used = {}
    for outcome in outcomes:
        for slot_id in outcome.slot_ids:
            used[slot_id] = used.get(slot_id, 0) + 1
    assert all(used[s] <= places.get(s, 0) for s in used)

    # Every winner got exactly one of their preferences (one candidate per group).
    for outcome in outcomes:
        if outcome.rank is not None:
            groups = by_number[outcome.number].preferences[outcome.rank - 1]
            assert len(outcome.slot_ids) == len(groups)
            assert all(s in g for s, g in zip(outcome.slot_ids, groups, strict=True))

    # Nobody could have had a better preference with the places free at their turn:
    # replaying the order, each better preference was already unmet at that moment.
    free = dict(places)
    for outcome in outcomes:
        entry = by_number[outcome.number]
        better = entry.preferences[: (outcome.rank or len(entry.preferences) + 1) - 1]
        assert not any(_fits(p, free) for p in better)
        for slot_id in outcome.slot_ids:
            free[slot_id] -= 1

    # Deterministic, whatever order the applications come in.
    assert allocate(seed, list(reversed(entries)), dict(places)) == outcomes

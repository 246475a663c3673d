"""reservations.precompiled: a queryset compiled once answers later calls with their own
values, exactly as the queryset built from those values would (issue #12)."""

from datetime import date, timedelta

import pytest
from django.db.models import F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from reservations.models import Slot
from reservations.precompiled import Precompiled
from tests.factories import ScreeningTypeFactory, SlotFactory, VenueFactory, local_dt

pytestmark = pytest.mark.django_db


def slots_after(*, screening, now, venue=None):
    slots = Slot.objects.filter(screening_type=screening, starts_at__gt=now)
    if venue:
        slots = slots.filter(venue_id=venue)
    return slots.order_by("starts_at").values_list(
        "id", TruncMonth("starts_at"), F("capacity") - F("booked")
    )


def test_each_call_gets_the_rows_of_its_own_values():
    lung, stomach = ScreeningTypeFactory(), ScreeningTypeFactory(code="stomach")
    hall, centre = VenueFactory(), VenueFactory()
    day = timezone.localdate() + timedelta(days=20)
    for n, (screening, venue) in enumerate(
        [(lung, hall), (lung, centre), (stomach, hall), (lung, hall)]
    ):
        SlotFactory(screening_type=screening, venue=venue, starts_at=local_dt(day, 9 + n))
    query = Precompiled(slots_after)
    now = timezone.now()
    later = local_dt(day, 10, 30)
    for values in (
        {"screening": lung.pk, "now": now},
        {"screening": lung.pk, "now": later},
        {"screening": stomach.pk, "now": now},
        {"screening": lung.pk, "now": now, "venue": centre.pk},
        {"screening": lung.pk, "now": now, "venue": hall.pk},
    ):
        # The ORM's own rows, converters included (TruncMonth answers an aware datetime).
        assert query.rows(**values) == list(slots_after(**values)), values
    assert len(query.rows(screening=lung.pk, now=now)) == 3


def test_a_shape_is_compiled_once_per_time_zone():
    built = []

    def build(**values):
        built.append(sorted(values))
        return slots_after(**values)

    query = Precompiled(build)
    screening = ScreeningTypeFactory().pk
    now = timezone.now()
    query.rows(screening=screening, now=now)
    query.rows(screening=screening, now=now + timedelta(days=1))
    assert len(built) == 1
    query.rows(screening=screening, now=now, venue=1)  # another shape
    assert len(built) == 2
    # Months are cut in the current time zone: another zone is another SQL.
    first = local_dt(date(timezone.localdate().year + 1, 3, 1), 0, 30)
    SlotFactory(screening_type_id=screening, starts_at=first)
    with timezone.override("UTC"):
        [(_pk, month, _left)] = query.rows(screening=screening, now=now)
    assert len(built) == 3
    assert (month.month, month.day) == (2, 1)  # 0:30 in Japan is still February in UTC


def test_a_value_the_query_does_not_use_is_refused():
    """A value found nowhere in the compiled parameters would be silently ignored."""
    ignores_screening = Precompiled(
        lambda *, screening, now: Slot.objects.filter(starts_at__gt=now)
    )
    with pytest.raises(ValueError, match="'screening' is not a parameter"):
        ignores_screening.rows(screening=1, now=timezone.now())
    with pytest.raises(TypeError):
        Precompiled(slots_after).rows(screening=1.5, now=timezone.now())  # type: ignore[arg-type]


def test_objects_are_the_querysets_instances_with_their_related_objects(
    django_assert_num_queries,
):
    from reservations import queries

    lung, stomach = ScreeningTypeFactory(), ScreeningTypeFactory(code="stomach")
    day = timezone.localdate() + timedelta(days=20)
    slots = [
        SlotFactory(screening_type=screening, starts_at=local_dt(day, 9 + n))
        for n, screening in enumerate([lung, stomach, lung])
    ]
    ids = [slots[2].pk, slots[0].pk]
    with django_assert_num_queries(1):  # screening and venue come with the slots
        found = queries.slots_by_id(ids)
        assert found is not None
        assert [(s.screening_type.code, s.venue.name) for s in found] == [
            (s.screening_type.code, s.venue.name) for s in (slots[2], slots[0])
        ]
    expected = Slot.objects.select_related("screening_type", "venue").get(pk=slots[1].pk)
    got = queries.active_slot(slots[1].pk)
    assert got is not None
    fields = [f.attname for f in Slot._meta.concrete_fields]
    assert [getattr(got, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert got.screening_type == stomach and got._state.adding is False
    # Withdrawn screening, an id that is no slot, one no database integer can hold.
    type(stomach).objects.filter(pk=stomach.pk).update(is_active=False)
    assert queries.active_slot(slots[1].pk) is None
    assert queries.active_slot(10**6) is None and queries.active_slot(10**30) is None
    assert queries.slots_by_id([slots[0].pk, 10**30]) is None
    with pytest.raises(TypeError):
        Precompiled(slots_after).objects(screening=lung.pk, now=timezone.now())


def test_objects_refuses_what_it_would_silently_leave_out():
    from django.db.models import Count

    for build in (
        lambda *, now: Slot.objects.filter(starts_at__gt=now).annotate(n=Count("items")),
        lambda *, now: Slot.objects.filter(starts_at__gt=now).prefetch_related("items"),
    ):
        with pytest.raises(TypeError):
            Precompiled(build).objects(now=timezone.now())


def test_many_datetime_arguments_get_samples_of_their_own():
    values = {f"after{i}": timezone.now() - timedelta(days=i) for i in range(70)}

    def build(**moments):
        return Slot.objects.filter(*[Q(starts_at__gt=m) for m in moments.values()]).values_list(
            "pk"
        )

    assert Precompiled(build).rows(**values) == list(build(**values))

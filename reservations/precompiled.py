"""Querysets of a fixed shape, compiled by the ORM once and then run with new values.

Building and compiling a queryset costs 0.5–0.7 ms of Python, more than PostgreSQL takes to
answer the availability page's season queries (issue #12: the page's budget is 10 ms). Only
the values change between requests, never the SQL: `Precompiled(build)` makes the queryset
once (per thread and time zone) from sample values, and each call puts its own
values where the samples were.

The samples are values no query writes by itself (large negative ints, datetimes in 1901,
strings with a marker), so
the compiled parameters equal to a sample are exactly where its value goes; a sample found
nowhere is a programming error and raises. Rows pass through the compiler's converters,
as the queryset's own rows would. For read queries whose shape `build` fixes completely:
the same keyword arguments give the same SQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

Value = int | str | datetime


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    # Each argument's name, the positions of its value among the parameters, and the type
    # the ORM gave it there (psycopg's Int2 for a small-integer column, say).
    slots: tuple[tuple[str, tuple[int, ...], type], ...]
    compiler: SQLCompiler
    alias: str
    # How objects() makes instances from rows, worked out once: the model, where its
    # columns are in a row and their names, and the select_related objects' populators.
    # None for a queryset that is not one of plain model instances.
    instances: _Instances | None


@dataclass(frozen=True)
class _Instances:
    model: Any
    start: int
    end: int
    names: list[str]
    populators: list[Any]


class Precompiled:
    """`build(**values)` → a queryset, compiled once; `rows(**values)` its rows.

    The values may be ints (ids), strs (keys) or aware datetimes; a different set of
    argument names is a different shape, compiled on its own. `small`: the prefixes of
    the names whose ints go to a positive small-integer column (a fiscal year): their
    samples must be in that column's range, or the ORM drops or empties the condition.
    """

    def __init__(self, build: Callable[..., QuerySet[Any]], *, small: tuple[str, ...] = ()) -> None:
        self._build = build
        self._small = small
        # Per thread: the compiler holds the thread's database connection.
        self._local = threading.local()

    def objects(self, **values: Value) -> list[Any]:
        """The queryset's model instances (with their select_related objects), made from
        the rows as Django's ModelIterable makes them. For querysets of instances."""
        compiled = self._compiled(values)
        made = compiled.instances
        if made is None:
            raise TypeError(
                "objects() needs a plain queryset of model instances (no values(), "
                "annotations, known related objects or prefetch_related)"
            )
        found = []
        for row in self._rows(compiled, values):
            obj = made.model.from_db(compiled.alias, made.names, row[made.start : made.end])
            for populator in made.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def rows(self, **values: Value) -> list[tuple[Any, ...]]:
        return self._rows(self._compiled(values), values)

    def _rows(self, compiled: _Compiled, values: dict[str, Value]) -> list[tuple[Any, ...]]:
        connection = connections[compiled.alias]
        params = list(compiled.params)
        for name, positions, kind in compiled.slots:
            value = _adapted(values[name], connection)
            if type(value) is not kind and type(value) is int:
                value = kind(value)  # as the ORM would have sent it
            for i in positions:
                params[i] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        return [tuple(row) for row in compiled.compiler.results_iter(results=[fetched])]

    def _compiled(self, values: dict[str, Value]) -> _Compiled:
        cache: dict[Any, _Compiled] | None = getattr(self._local, "cache", None)
        if cache is None:
            cache = self._local.cache = {}
        key = (
            tuple(sorted((name, type(value).__name__) for name, value in values.items())),
            timezone.get_current_timezone_name(),
        )
        compiled = cache.get(key)
        if compiled is None:
            compiled = cache[key] = self._compile(values)
        return compiled

    def _compile(self, values: dict[str, Value]) -> _Compiled:
        samples = {
            name: _sample(value, n, small=name.startswith(self._small))
            for n, (name, value) in enumerate(values.items())
        }
        queryset = self._build(**samples)
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        connection = connections[queryset.db]
        slots = []
        for name, sample in samples.items():
            adapted = _adapted(sample, connection)
            positions = tuple(i for i, param in enumerate(params) if param == adapted)
            if not positions:
                raise ValueError(f"{name!r} is not a parameter of the compiled query")
            slots.append((name, positions, type(params[positions[0]])))
        return _Compiled(
            sql, tuple(params), tuple(slots), compiler, queryset.db, _instances(queryset, compiler)
        )


def _instances(queryset: QuerySet[Any], compiler: SQLCompiler) -> _Instances | None:
    """How to make the queryset's instances as ModelIterable does; None unless it is a
    plain queryset of instances (objects() would leave out what a queryset adds to them
    afterwards: annotations, known related objects, prefetches)."""
    klass_info, select = compiler.klass_info, compiler.select
    if (
        queryset._iterable_class is not ModelIterable
        or klass_info is None
        or queryset.query.annotation_select
        or getattr(queryset, "_known_related_objects", None)
        or getattr(queryset, "_prefetch_related_lookups", None)
    ):
        return None
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    return _Instances(
        model=klass_info["model"],
        start=start,
        end=end,
        names=[column[0].target.attname for column in select[start:end]],
        # django-stubs describes Django 6 (a fetch_mode argument); 5.2 takes three.
        populators=get_related_populators(klass_info, select, queryset.db),  # type: ignore[call-arg]
    )


def _sample(value: Value, n: int, *, small: bool = False) -> Value:
    if isinstance(value, datetime):
        return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
    if isinstance(value, str):
        return f"@@kenshin-precompiled-sample-{n}@@"
    if isinstance(value, int) and small:
        # Inside a PositiveSmallIntegerField's range (0 … 32767), yet no fiscal year.
        return 30000 + n
    if isinstance(value, int):
        # Inside PostgreSQL's integer range (a sample outside it would be dropped from the
        # SQL as an overflow on a plain integer column), yet no id or count.
        return -(2**31 - 1) + n
    raise TypeError(
        f"a precompiled query takes ints, strs and datetimes, not {type(value).__name__}"
    )


def _adapted(value: Value, connection: Any) -> Any:
    """The parameter the compiler writes for `value` (SQLite keeps datetimes as text)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value

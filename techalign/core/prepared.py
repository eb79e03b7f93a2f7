"""Queries whose SQL is compiled once per process: `@prepared` on a function that builds a
QuerySet from plain values.

Turning a QuerySet into SQL is the costliest thing Django does for a small query: resolving
the select list of every `select_related` table, the ordering and the filters takes longer
than SQLite takes to answer, and the hottest reads (who the caller is, which requirement they
named, the rows of a plan) run it on every request with the same shape and other values. A
prepared query builds its QuerySet once with stand-in values, compiles it, notes where each
stand-in landed among the SQL's parameters, and from then on runs that SQL with the real values,
through Django's own iterables (model instances, `select_related`, annotations, `values()`) and
its `prefetch_related`.

What may vary is only what lands in a parameter: ints and strings, each passed as is, and lists
of them, whose length is part of the shape. Anything else (None, which compiles to `IS NULL`;
an empty list, which compiles to no query at all; a value Django would put into the SQL text)
is simply built and compiled the ordinary way, as is a shape whose stand-ins did not all land
where expected; so a prepared query answers exactly what its QuerySet would.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection, connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

T = TypeVar("T")

# Stand-ins: integers and strings that no real query would compare with.
_INT_MARK = 7_000_000_000_000_000_000
_STR_MARK = "\x1fprepared-{}\x1f"

Shape = tuple[Any, ...]


class _Compiled:
    """One shape's SQL, where its values go among the parameters, and the compiler that knows
    how its rows become objects."""

    def __init__(
        self,
        queryset: Any,  # a QuerySet; its private parts are used below
        compiler: SQLCompiler,
        sql: str,
        params: list[Any],
        slots: list[tuple[int, int, int | None]],
    ) -> None:
        self.queryset = queryset
        # Objects a related manager would attach were the stand-ins' (see `known`).
        queryset._known_related_objects = {}
        self.compiler = compiler
        # How each column's value is read back (dates, decimals, booleans on SQLite): what the
        # SQL selects is fixed, and they depend on settings alone, not on the connection.
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[0 : compiler.col_count]]
        )
        self.sql = sql
        self.params = params
        # (position among the parameters, argument, index within a list argument or None)
        self.slots = slots

    def run(self, args: Sequence[Any]) -> list[Any]:
        params = list(self.params)
        for position, argument, index in self.slots:
            params[position] = args[argument] if index is None else args[argument][index]
        sql = self.sql
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[self.queryset.db]
        compiler.as_sql = lambda *_args, **_kwargs: (sql, tuple(params))  # type: ignore[method-assign]
        converters = self.converters
        compiler.get_converters = lambda *_args, **_kwargs: converters  # type: ignore[method-assign]
        queryset = self.queryset._chain()
        # The iterable asks the query for a compiler: it gets the one already compiled.
        queryset.query.get_compiler = lambda *_args, **_kwargs: compiler
        return list(queryset)


def _shape(args: Sequence[Any]) -> Shape | None:
    """What the SQL depends on: each argument's kind, and a list's length; None when an
    argument cannot be a parameter (see the module's docstring)."""
    shape: list[Any] = []
    for value in args:
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int | str):
            shape.append(_kind(value))
        elif isinstance(value, list | tuple) and value:
            if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in value):
                return None
            shape.append(tuple(_kind(v) for v in value))
        else:
            return None
    return tuple(shape)


def _kind(value: int | str) -> type:
    """int or str, also for their subclasses (the choices of a model field)."""
    return int if isinstance(value, int) else str


def _stand_ins(shape: Shape) -> tuple[list[Any], dict[Any, tuple[int, int | None]]]:
    """Arguments of `shape` made of distinct stand-ins, and where each stand-in stands."""
    args: list[Any] = []
    where: dict[Any, tuple[int, int | None]] = {}
    counter = 0

    def mark(kind: type, argument: int, index: int | None) -> Any:
        nonlocal counter
        counter += 1
        value = _INT_MARK + counter if kind is int else _STR_MARK.format(counter)
        where[value] = (argument, index)
        return value

    for argument, kind in enumerate(shape):
        if isinstance(kind, tuple):
            args.append([mark(k, argument, i) for i, k in enumerate(kind)])
        else:
            args.append(mark(kind, argument, None))
    return args, where


class Prepared(Generic[T]):
    # Shapes kept per query: list arguments of many lengths compile one each, and a query
    # asked with more than this many is compiled the ordinary way past them.
    MAX_SHAPES = 32

    def __init__(self, build: Callable[..., QuerySet[Any, T]]) -> None:
        self.build = build
        self._compiled: dict[tuple[str, Shape], _Compiled | None] = {}
        self._lock = threading.Lock()
        functools.update_wrapper(self, build)

    def __call__(self, *args: Any) -> list[T]:
        shape = _shape(args)
        if shape is None:
            return list(self.build(*args))
        # The vendor too: SQL compiled for SQLite is not PostgreSQL's.
        key = (connection.vendor, shape)
        if key not in self._compiled:
            if len(self._compiled) >= self.MAX_SHAPES:
                return list(self.build(*args))
            with self._lock:
                if key not in self._compiled:
                    self._compiled[key] = self._compile(shape)
        compiled = self._compiled[key]
        if compiled is None:
            return list(self.build(*args))
        return compiled.run(args)

    def _compile(self, shape: Shape) -> _Compiled | None:
        args, where = _stand_ins(shape)
        try:
            queryset = self.build(*args)
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
        except Exception:  # a stand-in the field refuses, an empty result set: the ordinary way
            return None
        slots = [(i, *where[p]) for i, p in enumerate(params) if _hashable(p) and p in where]
        placed = {(argument, index) for _, argument, index in slots}
        if placed != set(where.values()) or any(str(mark) in sql for mark in where):
            return None  # a stand-in went missing or into the SQL text
        return _Compiled(queryset, compiler, sql, list(params), slots)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def prepared(build: Callable[..., QuerySet[Any, T]]) -> Prepared[T]:
    """Decorate a function of plain values that returns a QuerySet: calling it returns the rows
    (a list), with the SQL compiled once per shape of its arguments (see the module)."""
    return Prepared(build)


def known(rows: list[T], relation: str, obj: Any) -> list[T]:
    """`rows`, each the `relation` of `obj`, knowing it, as when read through obj's related
    manager: a prepared query filters by id, and reading `row.<relation>` would cost a query."""
    for row in rows:
        type(row)._meta.get_field(relation).set_cached_value(row, obj)  # type: ignore[attr-defined]
    return rows


def first(rows: list[T]) -> T | None:
    return rows[0] if rows else None

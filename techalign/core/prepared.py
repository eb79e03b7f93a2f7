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
of them, whose length is part of the shape. None and booleans are part of the shape too (None
compiles to `IS NULL`, a flag may choose a filter): each value is compiled once, as itself.
Anything else (an empty list, which compiles to no query at all; a value Django would put into
the SQL text) is simply built and compiled the ordinary way, as is a shape whose stand-ins did
not all land where expected; so a prepared query answers exactly what its QuerySet would.

A list answered a page at a time (`Listing`) prepares its page and its count the same way: the
page's LIMIT and OFFSET, which Django writes into the SQL text, become two more parameters.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection, connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

T = TypeVar("T")

# Stand-ins: integers and strings that no real query would compare with.
_INT_MARK = 7_000_000_000_000_000_000
_STR_MARK = "\x1fprepared-{}\x1f"
# A page's stand-ins: apart from the others and from their sum, the high mark Django derives.
_OFFSET_MARK = 5_000_000_000_000_000_003
_LIMIT_MARK = 1_000_000_000_000_000_009

Shape = tuple[Any, ...]
# (position among the parameters, argument, index within a list argument or None)
Slot = tuple[int, int, int | None]


class _Compiled:
    """One shape's SQL, where its values go among the parameters, and the compiler that knows
    how its rows become objects."""

    def __init__(
        self,
        queryset: Any,  # a QuerySet; its private parts are used below
        compiler: SQLCompiler,
        sql: str,
        params: list[Any],
        slots: list[Slot],
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
        self.slots = slots

    def run(self, args: Sequence[Any]) -> list[Any]:
        params = _placed(self.params, self.slots, args)
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
            shape.append(_Fixed(value))
        elif isinstance(value, int | str):
            shape.append(_kind(value))
        elif isinstance(value, list | tuple) and value:
            if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in value):
                return None
            shape.append(tuple(_kind(v) for v in value))
        else:
            return None
    return tuple(shape)


@dataclass(frozen=True)
class _Fixed:
    """A value that is part of the shape (None or a flag): the query is built with it as is."""

    value: bool | None


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
        if isinstance(kind, _Fixed):
            args.append(kind.value)
        elif isinstance(kind, tuple):
            args.append([mark(k, argument, i) for i, k in enumerate(kind)])
        else:
            args.append(mark(kind, argument, None))
    return args, where


class _CompiledCount:
    """One shape's count: the SQL Django ran for `.count()` of the stand-ins' QuerySet."""

    def __init__(self, using: str, sql: str, params: list[Any], slots: list[Slot]) -> None:
        self.using = using
        self.sql = sql
        self.params = params
        self.slots = slots

    def run(self, args: Sequence[Any]) -> int:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, _placed(self.params, self.slots, args))
            return int(cursor.fetchone()[0])


class _NotRun(Exception):
    """Raised in place of running a statement that was only to be seen."""


class Prepared(Generic[T]):
    # Shapes kept per query: list arguments of many lengths compile one each, and a query
    # asked with more than this many is compiled the ordinary way past them.
    MAX_SHAPES = 32

    def __init__(self, build: Callable[..., QuerySet[Any, T]]) -> None:
        self.build = build
        self._compiled: dict[tuple[str, str, Shape], _Compiled | _CompiledCount | None] = {}
        self._lock = threading.Lock()
        functools.update_wrapper(self, build)

    def __call__(self, *args: Any) -> list[T]:
        compiled = self._prepared("rows", args)
        return compiled.run(args) if compiled else list(self.build(*args))

    def page(self, offset: int, limit: int, *args: Any) -> list[T]:
        """At most `limit` rows from `offset`: `build(*args)[offset : offset + limit]`."""
        compiled = self._prepared("page", args)
        if compiled is None:
            return list(self.build(*args)[offset : offset + limit])
        rows: list[T] = compiled.run((*args, limit, offset))
        return rows

    def count(self, *args: Any) -> int:
        """How many rows `build(*args)` has: its `.count()`."""
        compiled = self._prepared("count", args)
        return compiled.run(args) if compiled else self.build(*args).count()

    def _prepared(self, kind: str, args: Sequence[Any]) -> Any:
        """The compiled `kind` of query for the shape of `args`, or None: the ordinary way."""
        shape = _shape(args)
        if shape is None:
            return None
        # The vendor too: SQL compiled for SQLite is not PostgreSQL's.
        key = (connection.vendor, kind, shape)
        if key not in self._compiled:
            if len(self._compiled) >= self.MAX_SHAPES:
                return None
            with self._lock:
                if key not in self._compiled:
                    self._compiled[key] = (
                        self._compile_count(shape)
                        if kind == "count"
                        else self._compile(shape, paged=kind == "page")
                    )
        return self._compiled[key]

    def _compile(self, shape: Shape, *, paged: bool) -> _Compiled | None:
        args, where = _stand_ins(shape)
        try:
            queryset = self.build(*args)
            if paged:
                queryset = queryset[_OFFSET_MARK : _OFFSET_MARK + _LIMIT_MARK]
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
        except Exception:  # a stand-in the field refuses, an empty result set: the ordinary way
            return None
        params = list(params)
        if paged:
            # Django writes the page's bounds at the end of the SQL; they become parameters.
            bounds = connections[queryset.db].ops.limit_offset_sql(
                _OFFSET_MARK, _OFFSET_MARK + _LIMIT_MARK
            )
            if not sql.endswith(bounds):
                return None
            sql = sql.removesuffix(bounds) + "LIMIT %s OFFSET %s"
            params += [_LIMIT_MARK, _OFFSET_MARK]
            where[_LIMIT_MARK], where[_OFFSET_MARK] = (len(shape), None), (len(shape) + 1, None)
        slots = _slots(sql, params, where)
        return None if slots is None else _Compiled(queryset, compiler, sql, params, slots)

    def _compile_count(self, shape: Shape) -> _CompiledCount | None:
        """Ask `.count()` of the stand-ins' QuerySet and keep the SQL it would run, without
        running it: how Django counts a QuerySet (a subquery for a distinct or sliced one,
        annotations kept or not) stays Django's. Run, the stand-ins' count would match no row
        but could still read every one, and on SQLite inside the write lock of a savepoint."""
        args, where = _stand_ins(shape)
        ran: list[tuple[str, Any]] = []

        def keep(execute: Callable[..., Any], sql: str, params: Any, *rest: Any) -> Any:
            ran.append((sql, params))
            raise _NotRun

        try:
            queryset = self.build(*args)
            with connections[queryset.db].execute_wrapper(keep):
                queryset.count()
        except _NotRun:
            pass
        except Exception:
            return None
        if len(ran) != 1:
            return None  # no query (an empty result set): the ordinary way
        sql, params = ran[0][0], list(ran[0][1] or ())
        slots = _slots(sql, params, where)
        return None if slots is None else _CompiledCount(queryset.db, sql, params, slots)

    def listing(
        self,
        *args: Any,
        then: Callable[[list[T]], list[Any]] | None = None,
        counted: Prepared[Any] | None = None,
    ) -> Listing:
        """`build(*args)` to be answered a page at a time (see `Listing`); `then` is applied to
        each page's rows (to set what they belong to with `known`, or make them plain values).
        `counted`, taking the same arguments, is counted instead of `build`: the same rows
        without the columns whose joins a count would keep."""
        return Listing(self, args, then, counted)


class Listing:
    """A prepared query to be read a page at a time, with its count: what a paginated API
    operation returns instead of a QuerySet (techalign.api.common.Pages reads it)."""

    def __init__(
        self,
        query: Prepared[Any],
        args: tuple[Any, ...],
        then: Callable[[list[Any]], list[Any]] | None,
        counted: Prepared[Any] | None = None,
    ) -> None:
        self.query = query
        self.args = args
        self.then = then
        self.counted = counted or query

    def page(self, offset: int, limit: int) -> list[Any]:
        rows = self.query.page(offset, limit, *self.args)
        return self.then(rows) if self.then else rows

    def count(self) -> int:
        return self.counted.count(*self.args)


def _slots(
    sql: str, params: list[Any], where: dict[Any, tuple[int, int | None]]
) -> list[Slot] | None:
    """Where each stand-in landed among `params`, or None when one went missing or into the
    SQL text."""
    slots = [(i, *where[p]) for i, p in enumerate(params) if _hashable(p) and p in where]
    placed = {(argument, index) for _, argument, index in slots}
    if placed != set(where.values()) or any(str(mark) in sql for mark in where):
        return None
    return slots


def _placed(params: list[Any], slots: list[Slot], args: Sequence[Any]) -> list[Any]:
    """`params` with each slot's stand-in replaced by its argument's value."""
    placed = list(params)
    for position, argument, index in slots:
        placed[position] = args[argument] if index is None else args[argument][index]
    return placed


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

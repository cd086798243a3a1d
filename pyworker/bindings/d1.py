"""D1 databases (``d1_databases = [{ binding, database_name, database_id, migrations_dir }]``).

``env.DB.prepare(sql).bind(...).all() / first() / run() / raw()``, ``batch``, ``exec`` and
``withSession`` behave as workerd's ``D1Database`` (``d1-api.ts``) over D1's local engine:
results are dicts with attribute access, BLOBs arrive as lists of byte values, numbers as
JavaScript numbers, and SQL errors raise :class:`~pyworker.runtime.jsvalues.JsException`
``Error: D1_ERROR: no such table: t: SQLITE_ERROR``. The file is the one ``wrangler dev``
uses for the same ``database_id`` (:mod:`pyworker.storage.state`).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyworker.bindings import declared
from pyworker.bindings.jsapi import MAX_SAFE_INTEGER, arg, as_bytes, call_args, js_number, js_string, options
from pyworker.bindings.promises import promise
from pyworker.bindings.provider import BindingHost
from pyworker.config.model import WorkerConfig
from pyworker.errors import QueryError
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.runtime.wrappers import _BindingWrapper
from pyworker.storage.d1 import D1Store, Query, Result
from pyworker.storage.sqltext import is_blank

KEY = "d1_databases"
EXAMPLE = '{ binding = "DB", database_name = "my-db", database_id = "<uuid>" }'
FIRST_UNCONSTRAINED = "first-unconstrained"
FIRST_PRIMARY = "first-primary"


@dataclass(frozen=True)
class Declared:
    """One ``d1_databases`` entry; ``local_id`` names the local file (wrangler's ``preview_database_id ??
    database_id ?? binding``)."""

    binding: str
    name: str | None
    local_id: str
    migrations_dir: str
    migrations_table: str


def databases(config: WorkerConfig) -> list[Declared]:
    found = []
    for entry in declared.entries(config, KEY, EXAMPLE):
        name = declared.text(config, KEY, entry, "database_name")
        database_id = declared.text(config, KEY, entry, "database_id")
        preview = declared.text(config, KEY, entry, "preview_database_id")
        migrations = declared.text(config, KEY, entry, "migrations_dir") or "migrations"
        table = declared.text(config, KEY, entry, "migrations_table") or "d1_migrations"
        found.append(Declared(entry["binding"], name, preview or database_id or entry["binding"], migrations, table))
    return found


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    found = databases(config)
    if not found:
        return {}
    storage = host.state()
    return {db.binding: D1Database(D1Store(storage, db.local_id)) for db in found}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``DB -> D1 database my-db (.wrangler/state/v3/d1/miniflare-D1DatabaseObject/....sqlite)``."""
    if host.storage is None:
        return []
    state = host.storage.state
    return [f"{db.binding} -> D1 database {db.name or db.local_id} ({state.display(state.d1(db.local_id))})"
            for db in databases(config)]  # fmt: skip


def bind_value(value: Any) -> Any:
    """A bound value as D1's ``bind()`` takes it after the SDK converted it to JavaScript."""
    kind = type(value)  # exact types first: this runs for every bound value
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
    elif kind is str or kind is float or value is None:
        return value
    if isinstance(value, str | float):
        return value
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:  # the SDK sends it as a BigInt, which D1 refuses
            raise _type_error("bigint", str(value))
        return value
    data = as_bytes(value)
    if data is not None:
        return data
    if isinstance(value, list) and all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256 for b in value):
        return bytes(value)
    if isinstance(value, datetime.datetime):
        raise _type_error("object", value.strftime("%a %b %d %Y %H:%M:%S"))
    raise _type_error("object", js_string(value))


def _type_error(kind: str, shown: str) -> JsException:
    return JsException("Error", f"D1_TYPE_ERROR: Type '{kind}' not supported for value '{shown}'")


def _cell(value: Any) -> Any:
    kind = type(value)  # exact types first: this runs for every value of every row
    if kind is str or value is None:
        return value
    if kind is int:
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else float(value)
    if kind is bytes:
        return list(value)  # D1 returns a BLOB as an array of byte values
    return js_number(value) if kind is float else value


def _rows(result: Result) -> list[JsDict]:
    columns = result.columns
    return [JsDict(zip(columns, map(_cell, row), strict=True)) for row in result.rows]


def _d1_result(result: Result) -> JsDict:
    meta = JsDict(result.meta)
    meta["timings"] = JsDict(meta["timings"])
    return JsDict(success=True, meta=meta, results=_rows(result))


class D1DatabaseSession(_BindingWrapper):
    """``env.DB.withSession(...)``: queries that carry a bookmark; ``getBookmark()`` gives the latest."""

    JS_NAME = "D1DatabaseSession"
    __slots__ = ("_bookmark", "_store")

    def __init__(self, store: D1Store, bookmark: str | None) -> None:
        self._store = store
        self._bookmark = bookmark

    def prepare(self, query: Any) -> D1PreparedStatement:
        return D1PreparedStatement(self, js_string(query), [])

    @promise
    def batch(self, *args: Any, **kwargs: Any) -> Any:
        """All statements in one transaction: every result, or an error and no change."""
        return self._batch(arg(call_args(args, kwargs), 0))

    async def _batch(self, statements: Any) -> list[JsDict]:
        if not isinstance(statements, list) or not all(isinstance(s, D1PreparedStatement) for s in statements):
            raise JsException("TypeError", "batch() takes a list of D1PreparedStatement objects (from prepare()).")
        results = await self.query([Query(s.statement, s.params) for s in statements])
        return [_d1_result(result) for result in results]

    def getBookmark(self) -> str | None:
        return None if self._bookmark in (None, FIRST_PRIMARY, FIRST_UNCONSTRAINED) else self._bookmark

    async def query(self, queries: Sequence[Query], code: str = "D1_ERROR") -> list[Result]:
        try:
            results = await self._store.query(queries)
        except QueryError as exc:
            raise JsException("Error", f"{code}: {exc}") from None
        if self._bookmark is not None:
            self._bookmark = f"{time.time_ns():020d}"  # opaque, and later ones sort after earlier ones
        return results

    async def one(self, statement: D1PreparedStatement) -> Result:
        """:meth:`query` for one statement (``first()``, ``all()``, ``run()``), with one frame less."""
        try:
            result = await self._store.one(statement.statement, statement.params)
        except QueryError as exc:
            raise JsException("Error", f"D1_ERROR: {exc}") from None
        if self._bookmark is not None:
            self._bookmark = f"{time.time_ns():020d}"
        return result


class D1Database(D1DatabaseSession):
    """``env.<BINDING>`` for a D1 database: queries always go to the primary, so it has no bookmark."""

    JS_NAME = "D1Database"
    __slots__ = ()

    def __init__(self, store: D1Store) -> None:
        super().__init__(store, None)

    def withSession(self, constraint_or_bookmark: Any = None) -> D1DatabaseSession:
        value = "" if constraint_or_bookmark is None else js_string(constraint_or_bookmark).strip()
        return D1DatabaseSession(self._store, value or FIRST_UNCONSTRAINED)

    @promise
    def exec(self, query: Any) -> Any:
        """Each line a query, all in one transaction: ``{count, duration}``."""
        return self._exec(js_string(query))

    async def _exec(self, sql: str) -> JsDict:
        lines = sql.strip().split("\n")
        try:
            results = await self._store.query([Query(line) for line in lines if not is_blank(line)])
        except QueryError as exc:
            raise JsException("Error", f"D1_EXEC_ERROR: Error in line 1: {lines[0]}: {exc}") from None
        return JsDict(count=len(results), duration=sum(result.meta["duration"] for result in results))

    def __repr__(self) -> str:
        return f"<D1 database binding ({self._store.path.name})>"


class D1PreparedStatement(_BindingWrapper):
    """``prepare(sql)``; ``bind(...)`` returns a new statement with the values, checked as D1 checks them."""

    JS_NAME = "D1PreparedStatement"
    __slots__ = ("_session", "params", "statement")

    def __init__(self, session: D1DatabaseSession, statement: str, params: list[Any]) -> None:
        self._session = session
        self.statement = statement
        self.params = params

    def bind(self, *values: Any, **kwargs: Any) -> D1PreparedStatement:
        return D1PreparedStatement(self._session, self.statement, [bind_value(v) for v in call_args(values, kwargs)])

    @promise
    async def all(self) -> JsDict:
        return _d1_result(await self._session.one(self))

    @promise
    async def run(self) -> JsDict:
        return _d1_result(await self._session.one(self))

    @promise
    async def first(self, column: Any = None) -> Any:
        result = await self._session.one(self)
        if not result.rows:
            return None
        row = JsDict(zip(result.columns, map(_cell, result.rows[0]), strict=True))
        if column is None:
            return row
        name = js_string(column)
        if name not in row:
            raise JsException("Error", f"D1_COLUMN_NOTFOUND: Column not found ({name})")
        return row[name]

    @promise
    async def raw(self, *args: Any, **kwargs: Any) -> list[list[Any]]:
        given = options(arg(call_args(args, kwargs), 0), "raw")
        result = await self._session.one(self)
        rows = [[_cell(value) for value in row] for row in result.rows]
        return [list(result.columns), *rows] if given.get("columnNames") else rows

    def __repr__(self) -> str:
        return f"<D1PreparedStatement {self.statement!r}>"

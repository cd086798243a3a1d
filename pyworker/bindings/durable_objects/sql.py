"""``ctx.storage.sql``: ``exec(query, *bindings)`` → a cursor, and ``databaseSize``, on the object's own file.

As on Cloudflare the call is synchronous and runs every statement of ``query`` (the bindings
fill their ``?`` in order); the cursor holds the last statement's rows. SQL errors, and what
workerd refuses (``BEGIN``, ``SAVEPOINT``, ``_cf_`` tables), are ``JsException`` ``Error`` with
workerd's wording (``no such table: t: SQLITE_ERROR``). ``rowsRead`` counts the rows returned
(SQLite does not report the rows it scanned), ``rowsWritten`` the rows changed.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

from pyworker.bindings.durable_objects.adapter import JsObject, js_result
from pyworker.bindings.jsapi import as_bytes
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.storage.d1 import error_message
from pyworker.storage.sqltext import split_statements

_USES = re.compile(r"uses (\d+)")


class SqlStorage(JsObject):
    """``ctx.storage.sql``."""

    __slots__ = ("_owner",)
    JS_NAME = "SqlStorage"

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    @property
    def databaseSize(self) -> int:
        self._owner.check()
        return self._owner.store.size()  # type: ignore[no-any-return]

    def exec(self, query: Any, *bindings: Any) -> SqlStorageCursor:
        self._owner.check()
        if not isinstance(query, str):
            raise JsException("TypeError", f"sql.exec() takes the query as a string, got {type(query).__name__}.")
        params = [_binding(value) for value in bindings]
        store = self._owner.store
        conn = store.conn
        before = conn.total_changes
        store.user_sql = True
        try:
            columns, rows = _run(conn, query, params)
        except sqlite3.Error as exc:
            raise JsException("Error", error_message(exc, query)) from None
        finally:
            store.user_sql = False
        return SqlStorageCursor(columns, rows, conn.total_changes - before)


def _run(conn: sqlite3.Connection, query: str, params: list[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    statements = split_statements(query) or [query]
    columns: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for index, statement in enumerate(statements):
        last = index == len(statements) - 1
        used = params if last or not params else params[: _parameters(conn, statement, params)]
        cursor = conn.execute(statement, used)
        rows = cursor.fetchall()
        columns = [column[0] for column in cursor.description or ()]
        params = params[len(used) :]
    return columns, rows


def _parameters(conn: sqlite3.Connection, statement: str, params: list[Any]) -> int:
    """How many ``?`` a statement takes: SQLite says so when given the wrong number."""
    try:
        conn.execute("EXPLAIN " + statement, params).fetchall()
    except sqlite3.ProgrammingError as exc:
        match = _USES.search(str(exc))
        if match:
            return int(match.group(1))
        raise
    return len(params)


def _binding(value: Any) -> Any:
    if value is None or (isinstance(value, str | int | float) and not isinstance(value, bool)):
        return value
    data = as_bytes(value)
    if data is not None:
        return data
    raise JsException("TypeError", f"Unsupported type for a SQL binding: {type(value).__name__}.")


class SqlStorageCursor(JsObject):
    """What ``sql.exec()`` returns: iterate it, or ``toArray()``, ``one()``, ``raw()``, ``next()``."""

    __slots__ = ("_columns", "_position", "_rows", "_written")
    JS_NAME = "SqlStorageCursor"

    def __init__(self, columns: list[str], rows: list[tuple[Any, ...]], written: int) -> None:
        self._columns = columns
        self._rows = rows
        self._written = written
        self._position = 0

    @property
    def columnNames(self) -> list[str]:
        return list(self._columns)

    @property
    def rowsRead(self) -> int:
        return len(self._rows)

    @property
    def rowsWritten(self) -> int:
        return self._written

    def _take(self) -> list[tuple[Any, ...]]:
        rest = self._rows[self._position :]
        self._position = len(self._rows)
        return rest

    def _object(self, row: tuple[Any, ...]) -> JsDict:
        return js_result(dict(zip(self._columns, (_value(v) for v in row), strict=True)))  # type: ignore[no-any-return]

    def toArray(self) -> list[JsDict]:
        return [self._object(row) for row in self._take()]

    def one(self) -> JsDict:
        rows = self._take()
        if len(rows) != 1:
            got = "no results" if not rows else "multiple results"
            raise JsException("Error", f"Expected exactly one result from SQL query, but got {got}.")
        return self._object(rows[0])

    def raw(self) -> Iterator[list[Any]]:
        return iter([[_value(v) for v in row] for row in self._take()])

    def next(self) -> JsDict:
        if self._position >= len(self._rows):
            return JsDict(done=True)
        row = self._rows[self._position]
        self._position += 1
        return JsDict(done=False, value=self._object(row))

    def __iter__(self) -> Iterator[JsDict]:
        while self._position < len(self._rows):
            row = self._rows[self._position]
            self._position += 1
            yield self._object(row)


def _value(value: Any) -> Any:
    return memoryview(value) if isinstance(value, bytes) else js_result(value)

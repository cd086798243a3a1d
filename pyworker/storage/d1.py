"""A D1 database in SQLite, run as D1 runs it: the same limits, refusals, atomicity and error wording.

Each call is one query or a batch of queries; a batch (and a query holding several
statements, of which only the last may take parameters) is one transaction, so it lands
whole or not at all. SQL errors become :class:`~pyworker.errors.QueryError` with workerd's
message (``no such table: t: SQLITE_ERROR``); explicit transactions, ``ATTACH`` and tables
named ``_cf_...`` are refused as on Cloudflare, and the limits are D1's (100 bound
parameters, 100 columns, 100,000-byte statements, 2,000,000-byte values). Python's
``sqlite3`` reports neither the error offset nor rows read: ``at offset N`` is given when the
token can only be in one place, and ``rows_read`` counts the rows returned, or for a ``DELETE`` or
``UPDATE`` the rows it changed and at least the one it looked up, found or not (workerd's
meter counts that seek, and code such as django-cf tells "no row matched" from it). Messages were
checked against ``wrangler d1 execute --local`` (workerd) on the same file.
"""

from __future__ import annotations

import contextlib
import operator
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyworker.errors import QueryError
from pyworker.storage.host import Storage
from pyworker.storage.sqlite import Database
from pyworker.storage.sqltext import Plan, plan_of, rows_read, split_statements

SERVED_BY = "pyworker.db"
_name = operator.itemgetter(0)  # a column's name in cursor.description
_clock = time.perf_counter  # a query's duration (tests pin it with a clock of their own)
_SAVEPOINT = "_pyworker_d1_query"  # the one savepoint user SQL cannot open: pyworker's own transaction
_LIMITS = (
    (sqlite3.SQLITE_LIMIT_LENGTH, 2_000_000),
    (sqlite3.SQLITE_LIMIT_SQL_LENGTH, 100_000),
    (sqlite3.SQLITE_LIMIT_COLUMN, 100),
    (sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100),
    (sqlite3.SQLITE_LIMIT_ATTACHED, 0),
    (sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 10),
)
# workerd's allowed pragmas; page_count (read-only) too, which pyworker reads for meta.size_after.
_PRAGMAS = frozenset(
    {"data_version", "page_size", "page_count", "case_sensitive_like", "foreign_keys", "defer_foreign_keys",
     "ignore_check_constraints", "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects",
     "foreign_key_check", "foreign_key_list", "index_info", "index_list", "index_xinfo", "quick_check",
     "optimize", "table_list", "table_info", "table_xinfo"}
)  # fmt: skip
_NAMED = frozenset(
    {sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_DELETE, sqlite3.SQLITE_DROP_TABLE, sqlite3.SQLITE_INSERT,
     sqlite3.SQLITE_CREATE_VIEW, sqlite3.SQLITE_DROP_VIEW, sqlite3.SQLITE_READ, sqlite3.SQLITE_UPDATE,
     sqlite3.SQLITE_ALTER_TABLE, sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_DROP_INDEX,
     sqlite3.SQLITE_CREATE_TRIGGER, sqlite3.SQLITE_DROP_TRIGGER, sqlite3.SQLITE_REINDEX}
)  # fmt: skip
_NEAR = re.compile(r'^near "(.+)": syntax error$', re.DOTALL)
_TRANSACTION_SQL = re.compile(r"^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
TRANSACTIONS_REFUSED = (
    "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() "
    "APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it "
    "will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' "
    "automatic atomic write coalescing."
)


def _allowed(name: str | None) -> bool:
    return name is None or not name.lower().startswith("_cf_")


def _authorize(action: int, first: str | None, second: str | None, db: str | None, trigger: str | None) -> int:
    """workerd's rules for user SQL (the essentials): what it refuses, SQLite reports as "not authorized"."""
    if action in _NAMED:
        ok = _allowed(first) and (action not in (sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_DROP_INDEX,
                                                 sqlite3.SQLITE_CREATE_TRIGGER, sqlite3.SQLITE_DROP_TRIGGER)
                                  or _allowed(second))  # fmt: skip
    elif action == sqlite3.SQLITE_TRANSACTION:
        ok = False
    elif action == sqlite3.SQLITE_SAVEPOINT:
        ok = second == _SAVEPOINT
    elif action == sqlite3.SQLITE_PRAGMA:
        ok = (first or "").lower() in _PRAGMAS and _allowed(second)
    else:
        ok = action not in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH)
    return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY


def _undo(conn: sqlite3.Connection) -> None:
    """Roll pyworker's own transaction back (user SQL may not say ROLLBACK, so neither can a generic undo)."""
    for statement in (f"ROLLBACK TO {_SAVEPOINT}", f"RELEASE {_SAVEPOINT}"):
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled it back already (an interrupt)
            conn.execute(statement)


def _configure(conn: sqlite3.Connection) -> None:
    for limit, value in _LIMITS:
        conn.setlimit(limit, value)
    conn.set_authorizer(_authorize)


@dataclass(slots=True)
class Query:
    """One query as D1 receives it: SQL (one or more statements) and the last statement's parameters."""

    sql: str
    params: Sequence[Any] = ()


class Result:
    """What one query gave: column names, rows (tuples of SQLite values) and D1's ``meta``.

    ``meta`` is made when first read (``first()`` never reads it) from the figures the query recorded.
    """

    __slots__ = ("_facts", "_meta", "columns", "rows")

    def __init__(
        self,
        columns: list[str],
        rows: list[tuple[Any, ...]],
        meta: dict[str, Any] | None = None,
        facts: tuple[float, int, int, int, bool, int] | None = None,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self._meta = meta if meta is not None or facts is not None else {}
        self._facts = facts  # (seconds taken, changes, last row id, rows read, changed the database, size after)

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            assert self._facts is not None
            self._meta = _meta(*self._facts)
        return self._meta

    def __repr__(self) -> str:
        return f"Result(columns={self.columns!r}, rows={self.rows!r}, meta={self.meta!r})"


def _meta(took: float, changes: int, last_row_id: int, rows_read: int, changed: bool, size: int) -> dict[str, Any]:
    duration = took * 1000
    return {
        "served_by": SERVED_BY,
        "served_by_primary": True,
        "timings": {"sql_duration_ms": duration},
        "duration": duration,
        "changes": changes,
        "last_row_id": last_row_id,
        "changed_db": changed,
        "size_after": size,
        "rows_read": rows_read,
        "rows_written": changes,
    }


def error_message(exc: BaseException, sql: str = "") -> str:
    """workerd's wording of a SQLite error: ``message: SQLITE_CODE`` (and the extended code when it differs)."""
    if isinstance(exc, sqlite3.ProgrammingError) and "bindings" in str(exc):
        return "Wrong number of parameter bindings for SQL query."
    name = getattr(exc, "sqlite_errorname", None) or "SQLITE_ERROR"
    primary = "_".join(name.split("_")[:2])
    if primary == "SQLITE_AUTH" and _TRANSACTION_SQL.match(sql):
        return TRANSACTIONS_REFUSED
    message = f"{exc}{_offset(str(exc), sql)}: {primary}"
    return message if name == primary else f"{message} (extended: {name})"


def _offset(message: str, sql: str) -> str:
    """workerd's `` at offset N`` for a syntax error, where the token can only be one place in the statement.

    SQLite reports the offset (``sqlite3_error_offset``) but Python's ``sqlite3`` does not pass it
    on; when the token named by ``near "..."`` occurs more than once, the suffix is left out.
    """
    match = _NEAR.match(message)
    if match is None or sql.count(match.group(1)) != 1:
        return ""
    return f" at offset {len(sql[: sql.index(match.group(1))].encode())}"


class D1Store:
    """D1 database ``database_id`` (its local id) in the storage's state directory, where wrangler keeps it."""

    def __init__(self, storage: Storage, database_id: str) -> None:
        self.path = storage.state.d1(database_id)
        self.db: Database = storage.database(self.path, f'D1 database "{database_id}"', configure=_configure)
        self._page_size = 0
        self._size = 0
        self._writes = 0
        self._statements: dict[str, Plan | None] = {}

    async def query(self, queries: Sequence[Query]) -> list[Result]:
        """Run ``queries`` as one transaction; any error undoes all of them and raises :class:`QueryError`."""
        split = [(plan, query.params) for query in queries if (plan := self._split(query.sql)) is not None]
        if not split:
            raise QueryError("No SQL statements detected.")
        failed: list[str] = [""]
        try:
            if len(split) == 1 and not split[0][0].leading:  # one statement: SQLite's autocommit makes it atomic
                return [await self.db.run(self._run, split[0][0], split[0][1], failed)]
            return await self.db.run(self._transaction, split, failed)
        except (sqlite3.Error, OverflowError) as exc:
            raise QueryError(error_message(exc, failed[0])) from None

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """:meth:`query` for one query, the hot path of ``first()``/``all()``/``run()``: a single statement
        whose plan is known runs straight away (SQLite's autocommit makes it atomic)."""
        plan = self._statements.get(sql)
        if plan is None or plan.leading:
            return (await self.query([Query(sql, params)]))[0]
        try:
            return await self.db.run(self._run, plan, params, [""])
        except (sqlite3.Error, OverflowError) as exc:
            raise QueryError(error_message(exc, plan.last)) from None

    def _split(self, sql: str) -> Plan | None:
        """``sql``'s statements (``None`` for blank text); remembered, as D1 code runs the same few SQL strings
        over and over."""
        try:
            return self._statements[sql]
        except KeyError:
            pass
        plan: Plan | None = None
        if sql.strip():
            statements = split_statements(sql)
            if not statements:
                raise QueryError("SQL code did not contain a statement.")
            plan = plan_of(statements)
        if len(self._statements) >= 512:
            self._statements.clear()
        self._statements[sql] = plan
        return plan

    def _transaction(
        self, split: list[tuple[Plan, Sequence[Any]]], failed: list[str], conn: sqlite3.Connection
    ) -> list[Result]:
        conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            results = [self._run(plan, params, failed, conn) for plan, params in split]
        except BaseException:
            _undo(conn)
            raise
        conn.execute(f"RELEASE {_SAVEPOINT}")
        return results

    def _run(self, plan: Plan, params: Sequence[Any], failed: list[str], conn: sqlite3.Connection) -> Result:
        if not self._page_size:  # the size before the first statement, so it alone never looks like a change
            self._size = self._db_size(conn)
        started = _clock()
        before = conn.total_changes
        for statement in plan.leading:
            failed[0] = statement
            try:
                conn.execute(statement).fetchall()
            except sqlite3.ProgrammingError as exc:
                raise QueryError(
                    "When executing multiple SQL statements in a single call, only the last statement can have "
                    "parameters."
                ) from exc
        failed[0] = plan.last
        cursor = conn.execute(plan.last, params)
        rows = cursor.fetchall()
        description = cursor.description  # made anew on each read
        columns = list(map(_name, description)) if description else []
        changes = conn.total_changes - before
        size_before = self._size
        # A PRAGMA costs half a small insert: the size is read after schema changes and every 32nd write.
        if changes:
            self._writes += 1
            if self._writes % 32 == 1:
                self._size = self._db_size(conn)
        elif not columns or not self._page_size:
            self._size = self._db_size(conn)
        changed = bool(changes) or self._size != size_before or plan.schema
        read = rows_read(plan.seeks, len(rows), changes) if plan.seeks else len(rows)
        facts = (_clock() - started, changes, cursor.lastrowid or 0, read, changed, self._size)
        return Result(columns, rows, None, facts)

    def _db_size(self, conn: sqlite3.Connection) -> int:
        if not self._page_size:
            self._page_size = conn.execute("PRAGMA page_size").fetchall()[0][0]
        return int(conn.execute("PRAGMA page_count").fetchall()[0][0]) * self._page_size

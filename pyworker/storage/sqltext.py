"""Splitting SQL text into statements, as SQLite itself reads it (strings, comments and triggers included).

Python's ``sqlite3`` runs one statement per call, while D1 (like a Durable Object's
``sql.exec``) runs every statement of a string. A ``;`` ends a statement only where
``sqlite3.complete_statement`` agrees, so ``';'`` in a literal, a comment, or the body of
a ``CREATE TRIGGER ... BEGIN ...; END`` never splits it.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass


def split_statements(sql: str) -> list[str]:
    """The statements of ``sql``, each with its ``;``; blank and comment-only pieces are dropped."""
    if sql.find(";") in (-1, len(sql.rstrip()) - 1):  # the common case: one statement
        return [] if is_blank(sql) else [sql]
    statements: list[str] = []
    start = 0
    semicolon = sql.find(";")
    while semicolon != -1:
        piece = sql[start : semicolon + 1]
        if sqlite3.complete_statement(piece):
            if not is_blank(piece):
                statements.append(piece.strip())
            start = semicolon + 1
        semicolon = sql.find(";", semicolon + 1)
    if not is_blank(sql[start:]):
        statements.append(sql[start:].strip())
    return statements


def is_blank(sql: str) -> bool:
    """Whether ``sql`` holds only whitespace, ``;`` and comments."""
    index, end = 0, len(sql)
    while index < end:
        char = sql[index]
        if char.isspace() or char == ";":
            index += 1
        elif sql.startswith("--", index):
            newline = sql.find("\n", index)
            index = end if newline == -1 else newline + 1
        elif sql.startswith("/*", index):
            close = sql.find("*/", index + 2)
            index = end if close == -1 else close + 2
        else:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Plan:
    """A SQL text's statements and what its last one is, worked out once per text (D1 code runs the
    same few texts over and over, and sqlite3 keeps their prepared statements by the same text)."""

    statements: list[str]
    leading: tuple[str, ...]  # the statements before the last, which take no parameters
    last: str
    schema: bool  # the last statement is a CREATE, DROP or ALTER: it changes the database without a row
    seeks: int  # the last statement: 2 a DELETE or UPDATE with WHERE, 1 an UPDATE without, else 0


def plan_of(statements: list[str]) -> Plan:
    words = statements[-1].split(None, 1)
    verb = words[0].upper() if words else ""
    seeks = 0
    if verb in ("DELETE", "UPDATE"):
        seeks = 2 if _WHERE.search(statements[-1]) else int(verb == "UPDATE")
    return Plan(statements, tuple(statements[:-1]), statements[-1], verb in ("CREATE", "DROP", "ALTER"), seeks)


_WHERE = re.compile(r"\bWHERE\b", re.IGNORECASE)


def rows_read(seeks: int, returned: int, changes: int) -> int:
    """D1's ``rows_read`` as near as Python's sqlite3 allows: a DELETE or UPDATE reads each row it changes
    and, found or not, the row it seeks (``seeks`` 2, :class:`Plan`); other statements count the rows they
    return."""
    if seeks == 2:
        return max(returned, changes, 1)
    if seeks == 1:
        return max(returned, changes)
    return returned

"""Splitting SQL text into statements, as SQLite itself reads it (strings, comments and triggers included).

Python's ``sqlite3`` runs one statement per call, while D1 (like a Durable Object's
``sql.exec``) runs every statement of a string. A ``;`` ends a statement only where
``sqlite3.complete_statement`` agrees, so ``';'`` in a literal, a comment, or the body of
a ``CREATE TRIGGER ... BEGIN ...; END`` never splits it.
"""

from __future__ import annotations

import sqlite3


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

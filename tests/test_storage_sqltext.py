from __future__ import annotations

import pytest

from pyworker.storage.sqltext import is_blank, split_statements


@pytest.mark.parametrize(
    ("sql", "statements"),
    [
        ("SELECT 1", ["SELECT 1"]),
        ("SELECT 1;", ["SELECT 1;"]),
        ("SELECT 1; SELECT 2", ["SELECT 1;", "SELECT 2"]),
        ("SELECT ';'; SELECT 2;", ["SELECT ';';", "SELECT 2;"]),
        ("-- a; b\nSELECT 1; /* ; */ SELECT 2;", ["-- a; b\nSELECT 1;", "/* ; */ SELECT 2;"]),
        (
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET n = n + 1; DELETE FROM z; END; SELECT 1;",
            ["CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET n = n + 1; DELETE FROM z; END;", "SELECT 1;"],
        ),
        ("SELECT 1; -- trailing comment", ["SELECT 1;"]),
        (";;  ;", []),
        ("-- only a comment", []),
    ],
)
def test_split_statements(sql: str, statements: list[str]) -> None:
    assert split_statements(sql) == statements


def test_blank() -> None:
    assert is_blank(" ;\n-- x\n/* y */ ;")
    assert not is_blank("/* y */ SELECT 1")

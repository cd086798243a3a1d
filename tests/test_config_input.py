"""Hostile or careless config input: every bad file is one ``ConfigError`` sentence, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyworker.config import load_config
from pyworker.errors import ConfigError

ENTRY = "x = 1\n"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w/src").mkdir(parents=True)
    (tmp_path / "w/src/entry.py").write_text(ENTRY)
    return tmp_path


def write(root: Path, text: str, filename: str = "wrangler.toml") -> Path:
    for old in (root / "w").glob("wrangler.*"):
        old.unlink()
    (root / "w" / filename).write_text(text)
    return root / "w"


def error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message
    return message


TOP_TOML = 'name = "w"\nmain = "src/entry.py"\n'
TOP_JSON = '"name": "w", "main": "src/entry.py"'


def test_deeply_nested_toml_arrays_are_one_error(root: Path) -> None:
    message = error(write(root, TOP_TOML + "x = " + "[" * 100_000 + "]" * 100_000 + "\n"))
    assert message == "wrangler.toml in w: nested too deeply (more than 64 levels); a wrangler config never is."


def test_deeply_nested_toml_inline_tables_are_one_error(root: Path) -> None:
    message = error(write(root, TOP_TOML + "x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n"))
    assert message == "wrangler.toml in w: nested too deeply (more than 64 levels); a wrangler config never is."


def test_nesting_that_parses_but_is_absurd_is_refused_too(root: Path) -> None:
    message = error(write(root, TOP_TOML + "x = " + "[" * 300 + "]" * 300 + "\n"))
    assert message == "wrangler.toml in w: nested too deeply (more than 64 levels); a wrangler config never is."


@pytest.mark.parametrize("filename", ["wrangler.json", "wrangler.jsonc"])
def test_deeply_nested_json_is_one_error(root: Path, filename: str) -> None:
    text = "{" + TOP_JSON + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    message = error(write(root, text, filename))
    assert message == f"{filename} in w: nested too deeply (more than 64 levels); a wrangler config never is."


def test_a_5000_digit_integer_in_toml_is_one_error(root: Path) -> None:
    message = error(write(root, TOP_TOML + "[dev]\nport = " + "9" * 5000 + "\n"))
    assert message.startswith("wrangler.toml in w: invalid TOML: an integer with more than 4300 digits")


def test_a_5000_digit_integer_in_json_is_one_error(root: Path) -> None:
    message = error(write(root, "{" + TOP_JSON + ', "x": ' + "9" * 5000 + "}", "wrangler.json"))
    assert message.startswith("wrangler.json in w: invalid JSON: an integer with more than 4300 digits")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = 123\nmain = "src/entry.py"\n', 'wrangler.toml in w: "name" must be a string, got 123.'),
        ('name = ["a"]\nmain = "src/entry.py"\n', "wrangler.toml in w: \"name\" must be a string, got ['a']."),
        ('name = "w"\nmain = 5\n', 'wrangler.toml in w: "main" must be a string such as "src/entry.py", got 5.'),
    ],
)
def test_a_value_of_the_wrong_type_is_not_called_missing(root: Path, text: str, message: str) -> None:
    assert error(write(root, text)) == message


def test_main_pointing_at_a_directory_says_so(root: Path) -> None:
    message = error(write(root, 'name = "w"\nmain = "src"\n'))
    assert message == (
        'wrangler.toml in w: "main" points to src, which is a directory. '
        'Point it at the worker\'s Python module, e.g. main = "src/entry.py".'
    )


def test_unterminated_block_comment_in_jsonc_names_its_line(root: Path) -> None:
    text = '{\n  "name": "w",\n  "main": "src/entry.py"\n  /* never closed\n}\n'
    message = error(write(root, text, "wrangler.jsonc"))
    assert message == "wrangler.jsonc in w: a /* comment opened at line 4, column 3 is never closed."


def test_a_huge_bad_value_is_quoted_short(root: Path) -> None:
    message = error(write(root, 'name = "w"\nmain = "src/entry.py"\nroutes = "' + "r" * 10_000 + '"\n'))
    assert message.startswith('wrangler.toml in w: "routes" must be a list, got \'rrrr')
    assert message.endswith("...")


# Whatever the bytes, reading a config gives a WorkerConfig or a ConfigError: nothing else escapes.
SNIPPETS = st.sampled_from(
    ['name = "w"\n', 'main = "src/entry.py"\n', "[dev]\n", "port = 0\n", "port = 99999\n", "[[services]]\n",
     'binding = "B"\n', "services = 3\n", "vars = []\n", "[env.x]\n", "routes = [1]\n", "x = [[[[]]]]\n",
     'main = "/"\n', 'main = "\\u0000"\n', "compatibility_flags = [1]\n", "= 1\n", "[[dev]]\n", "\x00", "\ud7ff"]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(SNIPPETS | st.text(max_size=12), max_size=8))
def test_any_toml_input_is_a_config_or_one_error(root: Path, parts: list[str]) -> None:
    _read_anything(write(root, "".join(parts)))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
KEYS = st.sampled_from(["name", "main", "dev", "services", "vars", "routes", "route", "env", "workers_dev"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(KEYS, JSON_VALUES, max_size=6), tail=st.text(max_size=6))
def test_any_jsonc_input_is_a_config_or_one_error(root: Path, data: dict[str, object], tail: str) -> None:
    _read_anything(write(root, json.dumps(data) + tail, "wrangler.jsonc"))


def _read_anything(path: Path) -> None:
    try:
        load_config(path)
    except ConfigError as exc:
        assert "\n" not in str(exc)

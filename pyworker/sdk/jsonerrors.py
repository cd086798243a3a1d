"""The ``SyntaxError`` message V8 (workerd's ``JSON.parse``) gives for text Python's ``json`` refuses.

Python's decoder finds the same faults at nearly the same places; this module turns its
``JSONDecodeError`` into V8's sentence: ``Unexpected token 'o', "not json" is not valid JSON``,
``Unexpected end of JSON input``, ``Expected ',' or ']' after array element in JSON at position 4
(line 1 column 5)``... (``tests/test_sdk_jsonerrors.py`` holds what workerd answered for each case).
"""

from __future__ import annotations

import json

_CONTEXT = 10  # characters V8 quotes on each side of the fault in a long text
_SHORT = 20  # a text up to this long is quoted whole
_SPECIAL = frozenset({"NaN", "Infinity", "-Infinity", "undefined", "[object Object]"})
_LITERALS = ("null", "true", "false")
_WHITESPACE = " \t\n\r"


def v8_message(text: str, error: json.JSONDecodeError | None) -> str:
    """V8's message for ``JSON.parse(text)`` failing where ``error`` says (``None``: a NaN or Infinity)."""
    if text.strip(_WHITESPACE) in _SPECIAL:
        return f'"{text}" is not valid JSON'
    if error is None:  # NaN / Infinity inside a value, which Python's json would accept
        position = min((text.find(name) for name in ("NaN", "Infinity") if name in text), default=0)
        if position and text[position - 1] == "-":
            return _at("No number after minus sign", text, position)
        return _unexpected(text, position)
    position, reason = error.pos, error.msg
    if reason == "Expecting value":
        return _value_expected(text, position)
    if reason.startswith("Expecting property name"):
        before = text[:position].rstrip(_WHITESPACE)
        what = "Expected property name or '}'" if before.endswith("{") else "Expected double-quoted property name"
        return _at(what, text, position)
    if reason.startswith("Illegal trailing comma"):  # Python 3.13 points at the comma; V8 at what follows
        after = position + 1
        while text[after] in _WHITESPACE:
            after += 1
        if reason.endswith("object"):
            return _at("Expected double-quoted property name", text, after)
        return _unexpected(text, after)
    if reason == "Expecting ':' delimiter":
        return _at("Expected ':' after property name", text, position)
    if reason == "Expecting ',' delimiter":
        inside_array = _innermost(text, position) == "["
        what = "Expected ',' or ']' after array element" if inside_array else "Expected ',' or '}' after property value"
        return _at(what, text, position)
    if reason.startswith("Unterminated string"):
        return _at("Unterminated string", text, len(text))
    if reason.startswith("Invalid control character"):
        return _at("Bad control character in string literal", text, position)
    if reason.startswith("Invalid \\uXXXX"):
        end = position + 2
        while end < len(text) and end < position + 6 and text[end] in "0123456789abcdefABCDEF":
            end += 1
        return _at("Bad Unicode escape", text, end)
    if reason.startswith("Invalid \\escape"):
        return _at("Bad escaped character", text, position + 1)
    return _extra(text, position)


def _value_expected(text: str, position: int) -> str:
    if not text[position:].strip(_WHITESPACE):
        return "Unexpected end of JSON input"
    char = text[position]
    if char == "-":
        return _at("No number after minus sign", text, position + 1)
    for literal in _LITERALS:
        if char == literal[0]:
            for offset, expected in enumerate(literal):
                if position + offset >= len(text):
                    return "Unexpected end of JSON input"
                if text[position + offset] != expected:
                    return _unexpected(text, position + offset)
    return _unexpected(text, position)


def _extra(text: str, position: int) -> str:
    """Python's "Extra data": a number cut short, a second number, or anything after the value."""
    char = text[position]
    if char == "." and position and text[position - 1].isdigit():
        return _at("Unterminated fractional number", text, position + 1)
    if char in "eE" and position and text[position - 1].isdigit():
        return _at("Exponent part is missing a number", text, position + 1)
    if char.isdigit():
        return _at("Unexpected number", text, position)
    return _at("Unexpected non-whitespace character after JSON", text, position, within="")


def _unexpected(text: str, position: int) -> str:
    token = text[position]
    if len(text) <= _SHORT:
        return f"Unexpected token '{token}', \"{text}\" is not valid JSON"
    if position < _CONTEXT:
        return f"Unexpected token '{token}', \"{text[: position + _CONTEXT]}\"... is not valid JSON"
    if position < len(text) - _CONTEXT:
        shown = text[position - _CONTEXT : position + _CONTEXT]
        return f"Unexpected token '{token}', ...\"{shown}\"... is not valid JSON"
    return f"Unexpected token '{token}', ...\"{text[position - _CONTEXT :]}\" is not valid JSON"


def _at(what: str, text: str, position: int, within: str = " in JSON") -> str:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"{what}{within} at position {position} (line {line} column {column})"


def _innermost(text: str, position: int) -> str:
    """The bracket that is open at ``position`` (strings skipped): ``[`` or ``{``."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:position]:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append(char)
        elif char in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""

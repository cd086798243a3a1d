"""``JSON.parse`` errors as V8 words them (pyworker/sdk/jsonerrors.py): each expected message is what
workerd (wrangler dev 4.86, compatibility_date 2025-11-01) answered for the same text."""

from __future__ import annotations

import pytest

from pyworker.runtime.jsvalues import JsException
from pyworker.sdk import jsjson

WORKERD = [
    ("!", "Unexpected token '!', \"!\" is not valid JSON"),
    ("xxxxx!", "Unexpected token 'x', \"xxxxx!\" is not valid JSON"),
    ("xxxxxxxxx!", "Unexpected token 'x', \"xxxxxxxxx!\" is not valid JSON"),
    ("xxxxxxxxxx!", "Unexpected token 'x', \"xxxxxxxxxx!\" is not valid JSON"),
    ("xxxxxxxxxxx!", "Unexpected token 'x', \"xxxxxxxxxxx!\" is not valid JSON"),
    ("xxxxxxxxxxxxxxx!", "Unexpected token 'x', \"xxxxxxxxxxxxxxx!\" is not valid JSON"),
    ("xxxxxxxxxxxxxxxxxxxx!", "Unexpected token 'x', \"xxxxxxxxxx\"... is not valid JSON"),
    ("xxxxxxxxxxxxxxxxxxxxx!", "Unexpected token 'x', \"xxxxxxxxxx\"... is not valid JSON"),
    ("xxxxxxxxxxxxxxxxxxxxxx!", "Unexpected token 'x', \"xxxxxxxxxx\"... is not valid JSON"),
    ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx!", "Unexpected token 'x', \"xxxxxxxxxx\"... is not valid JSON"),
    ("!xxxxx", "Unexpected token '!', \"!xxxxx\" is not valid JSON"),
    ("!xxxxxxxxx", "Unexpected token '!', \"!xxxxxxxxx\" is not valid JSON"),
    ("!xxxxxxxxxx", "Unexpected token '!', \"!xxxxxxxxxx\" is not valid JSON"),
    ("!xxxxxxxxxxx", "Unexpected token '!', \"!xxxxxxxxxxx\" is not valid JSON"),
    ("!xxxxxxxxxxxxxxxxxxxx", "Unexpected token '!', \"!xxxxxxxxx\"... is not valid JSON"),
    ("!xxxxxxxxxxxxxxxxxxxxx", "Unexpected token '!', \"!xxxxxxxxx\"... is not valid JSON"),
    ("!xxxxxxxxxxxxxxxxxxxxxx", "Unexpected token '!', \"!xxxxxxxxx\"... is not valid JSON"),
    ("!xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "Unexpected token '!', \"!xxxxxxxxx\"... is not valid JSON"),
    ("yyyyyyyyyyyyyyy!zzzzzzzzzzzzzzz", "Unexpected token 'y', \"yyyyyyyyyy\"... is not valid JSON"),
    ("[1,\n2,\n]", "Unexpected token ']', \"[1,\n2,\n]\" is not valid JSON"),
    ('"a\x01"', "Bad control character in string literal in JSON at position 2 (line 1 column 3)"),
    ("[NaN]", "Unexpected token 'N', \"[NaN]\" is not valid JSON"),
    ("Infinity", '"Infinity" is not valid JSON'),
    ("undefined", '"undefined" is not valid JSON'),
    ("[object Object]", '"[object Object]" is not valid JSON'),
    ("-", "No number after minus sign in JSON at position 1 (line 1 column 2)"),
    ("[-]", "No number after minus sign in JSON at position 2 (line 1 column 3)"),
    ("1.", "Unterminated fractional number in JSON at position 2 (line 1 column 3)"),
    ('{"a":1,"b"}', "Expected ':' after property name in JSON at position 10 (line 1 column 11)"),
    ("[1}", "Expected ',' or ']' after array element in JSON at position 2 (line 1 column 3)"),
    ('{"a":1]', "Expected ',' or '}' after property value in JSON at position 6 (line 1 column 7)"),
    ('"\\u12"', "Bad Unicode escape in JSON at position 5 (line 1 column 6)"),
    ('["a" "b"]', "Expected ',' or ']' after array element in JSON at position 5 (line 1 column 6)"),
    ("nulx", "Unexpected token 'x', \"nulx\" is not valid JSON"),
    ("[tru]", "Unexpected token ']', \"[tru]\" is not valid JSON"),
    ('{"a":1 "b":2}', "Expected ',' or '}' after property value in JSON at position 7 (line 1 column 8)"),
    ("\n\n  x", "Unexpected token 'x', \"\n\n  x\" is not valid JSON"),
    ("not json", "Unexpected token 'o', \"not json\" is not valid JSON"),
    ("", "Unexpected end of JSON input"),
    ("   ", "Unexpected end of JSON input"),
    ("{", "Expected property name or '}' in JSON at position 1 (line 1 column 2)"),
    ("{'a':1}", "Expected property name or '}' in JSON at position 1 (line 1 column 2)"),
    ("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON"),
    ('{"a":1}x', "Unexpected non-whitespace character after JSON at position 7 (line 1 column 8)"),
    ("tru", "Unexpected end of JSON input"),
    ("nul", "Unexpected end of JSON input"),
    ('{"a" 1}', "Expected ':' after property name in JSON at position 5 (line 1 column 6)"),
    ("[1 2]", "Expected ',' or ']' after array element in JSON at position 3 (line 1 column 4)"),
    ('"abc', "Unterminated string in JSON at position 4 (line 1 column 5)"),
    ('{"a":}', 'Unexpected token \'}\', "{"a":}" is not valid JSON'),
    ("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ", "Unexpected token 'a', \"abcdefghij\"... is not valid JSON"),
    ("01", "Unexpected number in JSON at position 1 (line 1 column 2)"),
    ("[1,2", "Expected ',' or ']' after array element in JSON at position 4 (line 1 column 5)"),
    ('{"a":1,}', "Expected double-quoted property name in JSON at position 7 (line 1 column 8)"),
    ("NaN", '"NaN" is not valid JSON'),
    ('"\\x"', "Bad escaped character in JSON at position 2 (line 1 column 3)"),
]


@pytest.mark.parametrize(("text", "message"), WORKERD)
def test_json_parse_fails_with_the_message_workerd_gives(text, message):
    with pytest.raises(JsException) as caught:
        jsjson.parse(text)
    assert (caught.value.name, caught.value.message) == ("SyntaxError", message)

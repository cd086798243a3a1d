"""Framing checks on what a client sends, beside the parser: both lengths, raw UTF-8 in the request line."""

from __future__ import annotations

import re

_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _percent(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match.group()[0]


def percent_encode_non_ascii(line: bytes) -> bytes:
    """A request line with its raw non-ASCII bytes percent-encoded, as the WHATWG URL parser writes them."""
    return _NON_ASCII.sub(_percent, line)


def both_lengths(headers: list[tuple[bytes, bytes]]) -> bool:
    names = {name for name, _ in headers}
    return b"content-length" in names and b"transfer-encoding" in names

"""Framing checks on what a client sends, beside h11: both lengths, bare LFs, raw UTF-8 in the request line."""

from __future__ import annotations

import re

import h11
from h11._readers import ChunkedReader

_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _percent(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match.group()[0]


def percent_encode_non_ascii(line: bytes) -> bytes:
    """A request line with its raw non-ASCII bytes percent-encoded, as the WHATWG URL parser writes them."""
    return _NON_ASCII.sub(_percent, line)


def both_lengths(headers: list[tuple[bytes, bytes]]) -> bool:
    names = {name for name, _ in headers}
    return b"content-length" in names and b"transfer-encoding" in names


def bare_lf_in_framing(conn: h11.Connection) -> bool:
    """Whether h11 waits for the end of a chunked body's framing line that already ended in a bare LF."""
    reader = getattr(conn, "_reader", None)
    if not isinstance(reader, ChunkedReader) or reader._bytes_in_chunk or reader._bytes_to_discard:
        return False  # not chunked, or inside a chunk's data (where any byte goes) or its CRLF (h11 checks it)
    pending = bytes(conn._receive_buffer)
    end = pending.find(b"\n")
    return end != -1 and (end == 0 or pending[end - 1] != 0x0D)

"""JavaScript globals plain Python provides faithfully: encodings, base64, URI escaping, crypto, timers, typed arrays.

Each follows JavaScript's semantics, errors included: ``atob`` refuses what the forgiving
base64 decoder refuses (``InvalidCharacterError``), ``encodeURIComponent`` leaves exactly
``A-Z a-z 0-9 - _ . ! ~ * ' ( )`` alone and raises ``URIError`` on a lone surrogate,
``crypto.getRandomValues`` fills the array it is given (at most 65,536 bytes),
``crypto.subtle.digest`` takes a buffer, not a Python ``bytes`` (a proxy in JavaScript).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from pyworker.runtime.jsvalues import JsBuffer, JsException, JsProxy
from pyworker.runtime.scope import current_worker
from pyworker.sdk.jsjson import js_string

_BASE64 = re.compile(r"[A-Za-z0-9+/]*")
_ASCII_WHITESPACE = "\t\n\f\r "
_ATOB_ERROR = (
    "atob() called with invalid base64-encoded data. (Only whitespace, '+', '/', alphanumeric ASCII, and up "
    "to two terminal '=' signs when the input data length is divisible by 4 are allowed.)"
)


class Uint8Array(bytearray, JsProxy):
    """A ``Uint8Array``: mutable bytes with ``.buffer``, ``.length``, ``byteLength`` and Pyodide's ``to_*``."""

    @classmethod
    def new(cls, source: Any = 0) -> Uint8Array:
        if isinstance(source, int):
            return cls(source)
        if isinstance(source, bytes | bytearray | memoryview):
            return cls(source)
        return cls(int(item) & 0xFF for item in source)

    @property
    def buffer(self) -> JsBuffer:
        return JsBuffer(self)

    @property
    def length(self) -> int:
        return len(self)

    byteLength = length

    def to_bytes(self) -> bytes:
        return bytes(self)

    def to_py(self) -> memoryview:
        return memoryview(self)

    def to_string(self, encoding: str | None = None) -> str:
        return bytes(self).decode(encoding or "utf-8")


def atob(data: Any) -> str:
    """Base64 to a binary string (one character per byte), by the forgiving-base64 rules."""
    text = "".join(ch for ch in js_string(data) if ch not in _ASCII_WHITESPACE)
    if len(text) % 4 == 0 and text.endswith("="):
        text = text[:-2] if text.endswith("==") else text[:-1]
    if len(text) % 4 == 1 or not _BASE64.fullmatch(text):
        raise JsException("InvalidCharacterError", _ATOB_ERROR)
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise JsException("InvalidCharacterError", _ATOB_ERROR) from None
    return raw.decode("latin-1")


def btoa(data: Any) -> str:
    """A binary string (characters up to U+00FF) to base64."""
    text = js_string(data)
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        raise JsException(
            "InvalidCharacterError", "btoa() can only operate on characters in the Latin1 (ISO/IEC 8859-1) range."
        ) from None
    return base64.b64encode(raw).decode("ascii")


def _encode(text: Any, safe: str) -> str:
    try:
        return quote(js_string(text).encode("utf-8"), safe=safe)
    except UnicodeEncodeError:  # a lone surrogate
        raise JsException("URIError", "URI malformed") from None


def encodeURIComponent(text: Any) -> str:
    return _encode(text, "!*'()")


def encodeURI(text: Any) -> str:
    return _encode(text, "!*'();/?:@&=+$,#")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_RESERVED = frozenset(";/?:@&=+$,#")


def _decode(text: Any, keep: frozenset[str]) -> str:
    source = js_string(text)

    def run(match: re.Match[str]) -> str:
        raw = bytes.fromhex(match.group().replace("%", ""))
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise JsException("URIError", "URI malformed") from None
        if not keep:
            return decoded
        escapes = iter(re.findall("%..", match.group()))
        # A reserved character stays escaped (decodeURI); multi-byte characters are never reserved.
        return "".join(next(escapes) if ch in keep else _skip(escapes, ch) for ch in decoded)

    if "%" in _ESCAPES.sub("", source):
        raise JsException("URIError", "URI malformed")
    return _ESCAPES.sub(run, source)


def _skip(escapes: Any, ch: str) -> str:
    for _ in range(len(ch.encode("utf-8"))):
        next(escapes)
    return ch


def decodeURIComponent(text: Any) -> str:
    return _decode(text, frozenset())


def decodeURI(text: Any) -> str:
    return _decode(text, _RESERVED)


class TextEncoder(JsProxy):
    """``new TextEncoder()``: ``encode(text)`` gives a ``Uint8Array`` of UTF-8."""

    encoding = "utf-8"

    @classmethod
    def new(cls) -> TextEncoder:
        return cls()

    def encode(self, text: Any = "") -> Uint8Array:
        return Uint8Array(_LONE_SURROGATE.sub("\ufffd", js_string(text)).encode("utf-8"))


class TextDecoder(JsProxy):
    """``new TextDecoder(label, {fatal, ignoreBOM})``: ``decode(buffer)`` gives a string."""

    def __init__(self, label: str = "utf-8", options: Any = None) -> None:
        settings = dict(options or {})
        try:
            self.encoding = {"utf8": "utf-8", "unicode-1-1-utf-8": "utf-8"}.get(label.lower(), label.lower())
            "".encode(self.encoding)
        except LookupError:
            raise JsException("RangeError", f'The "{label}" encoding is not supported.') from None
        self.fatal = bool(settings.get("fatal", False))
        self.ignoreBOM = bool(settings.get("ignoreBOM", False))

    @classmethod
    def new(cls, label: str = "utf-8", options: Any = None) -> TextDecoder:
        return cls(label, options)

    def decode(self, data: Any = b"") -> str:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise JsException("TypeError", 'The "input" argument must be an ArrayBuffer or ArrayBufferView.')
        raw = bytes(data)
        if self.encoding == "utf-8" and not self.ignoreBOM and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            return raw.decode(self.encoding, errors="strict" if self.fatal else "replace")
        except UnicodeDecodeError:
            raise JsException("TypeError", f"The encoded data was not valid for encoding {self.encoding}") from None


_DIGESTS = {"SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512", "MD5": "md5"}


class _Subtle(JsProxy):
    async def digest(self, algorithm: Any, data: Any) -> JsBuffer:
        name = str(algorithm.get("name") if isinstance(algorithm, dict) else algorithm).upper()
        if name not in _DIGESTS:
            raise JsException("NotSupportedError", f"Unrecognized name: {name}.")
        if isinstance(data, bytes) and not isinstance(data, JsBuffer):
            raise JsException(
                "TypeError",
                "Failed to execute 'digest' on 'SubtleCrypto': parameter 2 is not of type 'ArrayBuffer or "
                "ArrayBufferView' (a Python bytes is a proxy in JavaScript: pass to_js(data)).",
            )
        if not isinstance(data, bytes | bytearray | memoryview):
            raise JsException(
                "TypeError",
                "Failed to execute 'digest' on 'SubtleCrypto': parameter 2 is not of type 'ArrayBuffer or "
                "ArrayBufferView'.",
            )
        return JsBuffer(hashlib.new(_DIGESTS[name], bytes(data)).digest())


class _Crypto(JsProxy):
    subtle = _Subtle()

    def randomUUID(self) -> str:
        return str(uuid.uuid4())

    def getRandomValues(self, array: Any) -> Any:
        if not isinstance(array, bytearray):
            raise JsException(
                "TypeMismatchError", "getRandomValues() only accepts integer typed arrays (pass Uint8Array.new(n))."
            )
        if len(array) > 65536:
            raise JsException(
                "QuotaExceededError",
                f"getRandomValues() only accepts buffers of size <= 64K but provided {len(array)} bytes.",
            )
        array[:] = secrets.token_bytes(len(array))
        return array


crypto = _Crypto()


class Timer(int):
    """What ``setTimeout`` returns: a number, as in JavaScript, that ``clearTimeout`` takes back."""

    handle: asyncio.TimerHandle | None = None


def setTimeout(callback: Callable[..., Any], delay: float = 0, *args: Any) -> Timer:
    """Call ``callback(*args)`` after ``delay`` ms on the event loop (a coroutine it returns is run as a task)."""
    handle = asyncio.get_running_loop().call_later(max(float(delay or 0), 0) / 1000, _run, callback, args)
    timer = Timer(id(handle) & 0x7FFFFFFF)
    timer.handle = handle
    return timer


def _run(callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
    scope = current_worker.get()
    try:
        result = callback(*args)
    except Exception as exc:  # an uncaught error in a timer: reported under the worker's name, as in the runtime
        if scope is None or scope.printer is None:
            raise
        scope.printer.worker(scope.name, "Uncaught error in a setTimeout/setInterval callback:", "error")
        scope.printer.exception(scope.name, exc)
        return
    if asyncio.iscoroutine(result):  # a Promise in JavaScript: it runs as the worker's background work
        if scope is not None:
            scope.schedule(result)
        else:
            asyncio.get_running_loop().create_task(result).add_done_callback(lambda task: task.exception())


def clearTimeout(timer: Any) -> None:
    handle = getattr(timer, "handle", None)
    if handle is not None:
        handle.cancel()


def setInterval(callback: Callable[..., Any], delay: float = 0, *args: Any) -> Timer:
    """Call ``callback(*args)`` every ``delay`` ms until ``clearInterval``."""
    loop = asyncio.get_running_loop()
    seconds = max(float(delay or 0), 1) / 1000

    def tick() -> None:
        timer.handle = loop.call_later(seconds, tick)
        _run(callback, args)

    handle = loop.call_later(seconds, tick)
    timer = Timer(id(handle) & 0x7FFFFFFF)
    timer.handle = handle
    return timer


clearInterval = clearTimeout

"""Which HTTP parser and event loop serve: httptools and uvloop when installed, else h11 and asyncio's own loop.

httptools (llhttp) and uvloop serve 3-4x the requests per second of h11 on asyncio's loop
(``bench/throughput.py``); both are optional dependencies of pyworker (not on Windows, where
uvloop does not exist), so h11 and asyncio stay the fallback. ``--http h11`` / ``--loop asyncio``
(or ``PYWORKER_HTTP`` / ``PYWORKER_LOOP``) choose the fallback by hand.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable

from pyworker.errors import ConfigError

HTTP_CHOICES = ("auto", "httptools", "h11")
LOOP_CHOICES = ("auto", "uvloop", "asyncio")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def http_parser(choice: str = "auto") -> str:
    """``"httptools"`` or ``"h11"``: what ``--http`` ``choice`` means on this machine."""
    return _pick(choice, "httptools", "h11", "--http")


def event_loop(choice: str = "auto") -> str:
    """``"uvloop"`` or ``"asyncio"``: what ``--loop`` ``choice`` means on this machine."""
    return _pick(choice, "uvloop", "asyncio", "--loop")


def _pick(choice: str, fast: str, fallback: str, option: str) -> str:
    if choice == "auto":
        return fast if _installed(fast) else fallback
    if choice == fast and not _installed(fast):
        raise ConfigError(
            f"{option} {fast}: {fast} is not installed; install it (pip install {fast}) or use {option} {fallback}."
        )
    if choice not in (fast, fallback):
        raise ConfigError(f'{option} "{choice}" is not known; use auto, {fast} or {fallback}.')
    return choice


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """What makes the event loop ``name`` (``None``: asyncio's default)."""
    if name != "uvloop":
        return None
    import uvloop

    return uvloop.new_event_loop

"""Tracebacks as a worker's author wants them: their own frames, with framework frames folded.

Each run of consecutive frames in framework code (Starlette, FastAPI, Django, anyio,
uvicorn... and pyworker itself) becomes one line naming how many frames and whose; the
dev server's own frames before the first of the worker's are left out. Worker modules
show under the names their author knows (``entry``, not ``_pyworker_w_1.entry``), and
exceptions of the SDK under the names worker code imports them by
(``pyodide.ffi.JsException``, not ``pyworker.runtime.jsvalues.JsException``).
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_WORKER_PREFIX = re.compile(r"\b_pyworker_\w+?_\d+\.")
_SDK = "pyworker.sdk."
_PUBLIC_SDK = frozenset({"workers", "asgi", "js", "pyodide"})  # the SDK modules worker code imports by name
# Packages whose frames fold: web frameworks and the libraries under them.
FRAMEWORKS = frozenset(
    {"starlette", "fastapi", "django", "anyio", "asgiref", "uvicorn", "flask", "werkzeug", "sniffio", "h11"}
)
_SITE = re.compile(r"[/\\](?:site|dist)-packages[/\\]([A-Za-z0-9_]+)")


def users_names(text: str) -> str:
    """``text`` with worker module names as users know them (``entry.X``, not ``_pyworker_w_1.entry.X``)."""
    return _WORKER_PREFIX.sub("", text)


def framework(filename: str) -> str | None:
    """The framework a frame's file belongs to (``"starlette"``, ``"pyworker"``), or None for other code."""
    if filename.startswith(_PACKAGE_DIR):
        return "pyworker"
    match = _SITE.search(filename)
    return match.group(1) if match is not None and match.group(1) in FRAMEWORKS else None


class _Fold(traceback.FrameSummary):
    """Stands for a run of framework frames in a stack: formats as one line."""

    def __init__(self, count: int, owners: list[str]) -> None:
        super().__init__("<folded>", None, "<folded>", lookup_line=False, line="")
        noun = "frame" if count == 1 else "frames"
        self.text = f"  [... {count} {noun} in {', '.join(owners)} ...]\n"


class _FoldedStack(traceback.StackSummary):
    def format_frame_summary(self, frame_summary: Any, **kwargs: Any) -> str:
        if isinstance(frame_summary, _Fold):
            return frame_summary.text
        return str(super().format_frame_summary(frame_summary, **kwargs))


def fold(frames: Iterable[traceback.FrameSummary]) -> traceback.StackSummary:
    """The stack with each run of framework frames as one :class:`_Fold`; pyworker's leading frames dropped."""
    folded = _FoldedStack()
    run: list[str] = []
    for frame in frames:
        owner = framework(frame.filename)
        if owner is not None:
            if folded or owner != "pyworker":  # before the worker's first frame, pyworker's own say nothing
                run.append(owner)
            continue
        if run:
            folded.append(_Fold(len(run), list(dict.fromkeys(run))))
            run = []
        folded.append(frame)
    if run:
        folded.append(_Fold(len(run), list(dict.fromkeys(run))))
    return folded


def format_user_traceback(exc: BaseException) -> list[str]:
    """Format ``exc`` (and its chain) with framework frames folded, as users know their names."""
    info = traceback.TracebackException.from_exception(exc)
    renames: dict[str, str] = {}
    for link in _chain(info):
        link.stack = fold(link.stack)
    for raised in _chain(exc):
        if (public := public_name(type(raised))) is not None:
            renames[f"{type(raised).__module__}.{type(raised).__qualname__}"] = public
    lines = [users_names(line) for line in info.format()]
    if renames:
        lines = [_renamed(line, renames) for line in lines]
    return lines


def _renamed(line: str, renames: dict[str, str]) -> str:
    for internal, public in renames.items():
        if line.startswith(internal) and line[len(internal) : len(internal) + 1] in (":", "\n", ""):
            return public + line[len(internal) :]
    return line


def public_name(cls: type) -> str | None:
    """``pyodide.ffi.JsException`` for a class worker code imports from the SDK under that name
    (a module that exports it in its ``__all__``)."""
    if not cls.__module__.startswith("pyworker."):
        return None
    found = [
        public
        for name, module in list(sys.modules.items())
        if name.startswith(_SDK)
        and (public := name[len(_SDK) :]).partition(".")[0] in _PUBLIC_SDK
        and cls.__name__ in getattr(module, "__all__", ())
        and getattr(module, cls.__name__, None) is cls
    ]
    return f"{min(found, key=lambda name: (len(name), name))}.{cls.__qualname__}" if found else None


def _chain(first: T) -> list[T]:
    """``first`` and what it was raised from or during, in the order a traceback prints them last to first
    (exceptions and ``TracebackException`` objects alike: both have ``__cause__`` and ``__context__``)."""
    links, seen = [first], {id(first)}
    current: Any = first
    while True:
        nxt = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if nxt is None or id(nxt) in seen:
            return links
        links.append(nxt)
        seen.add(id(nxt))
        current = nxt

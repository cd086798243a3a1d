"""The one line a worker whose import failed is reported with: the file, the line, and what went wrong."""

from __future__ import annotations

import traceback
from pathlib import Path

from pyworker.config.files import display_path


def describe_load_error(worker: str, root: Path, exc: BaseException) -> str:
    """One line naming the file and line where a worker's import failed."""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{display_path(Path(exc.filename))}, line {exc.lineno}"
        source = "".join(traceback.format_exception_only(exc)[1:-1]).rstrip("\n")  # the line, and its caret
        return f"{worker}: {type(exc).__name__} in {where}: {exc.msg}. Fix the file." + (
            f"\n{source}" if source else ""
        )
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _inside(f.filename, root)]
    where = f" in {display_path(Path(frames[-1].filename))}, line {frames[-1].lineno}" if frames else ""
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{worker}: importing the worker failed{where}: {message}"


def _inside(filename: str, root: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(root)
    except ValueError:
        return False
    return True

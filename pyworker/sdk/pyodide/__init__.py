"""``import pyodide`` for worker code: ``pyodide.ffi`` and ``pyodide.http``, as pyworker emulates them.

Provided only to worker code and the libraries it imports, while it runs (see
:mod:`pyworker.loading.router`); outside workers, ``import pyodide`` finds what the
environment has (usually nothing), so libraries that probe for Pyodide stay in CPython mode.
"""

from __future__ import annotations

from typing import Any

from pyworker.sdk.jsobjects import not_emulated
from pyworker.sdk.pyodide import ffi, http

# The Pyodide release whose Python API this follows (what Python Workers on Python 3.13 run).
__version__ = "0.29.3"

__all__ = ["__version__", "ffi", "http"]


def __getattr__(name: str) -> Any:
    raise not_emulated("pyodide", name, ["ffi", "http", "__version__"])

"""Functions whose globals are not pyworker's: what worker code is handed leads nowhere by attribute.

A method of an object worker code holds (``self.ctx.wait_until``, a binding's stub, a call
under way) has ``__func__.__globals__``: the globals of the pyworker module that defined it,
and from there the invocation machinery of every worker. :func:`seal_methods` replaces a
class's functions with copies (same code, same closure) whose globals hold only the names
their code uses; a pyworker function among those is itself a sealed copy, so the walk ends
in builtins, classes, modules and constants at every depth. Behaviour does not change: a
copy runs the same code object on the same values.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Iterator
from typing import Any

_PACKAGE = "pyworker"


def seal_methods(*classes: type) -> None:
    """Replace every function, property and static or class method of ``classes`` with a sealed copy."""
    memo: dict[types.FunctionType, types.FunctionType] = {}
    for cls in classes:
        for name, value in list(vars(cls).items()):
            replaced = _sealed_member(value, memo)
            if replaced is not value:
                setattr(cls, name, replaced)


def sealed(func: types.FunctionType, memo: dict[types.FunctionType, types.FunctionType] | None = None) -> Any:
    """A copy of ``func`` whose globals are only the names its code uses (pyworker functions sealed in turn)."""
    memo = {} if memo is None else memo
    if func in memo:
        return memo[func]
    own: dict[str, Any] = {"__builtins__": builtins, "__name__": func.__globals__.get("__name__")}
    copy = types.FunctionType(func.__code__, own, func.__name__, func.__defaults__, func.__closure__)
    copy.__kwdefaults__ = func.__kwdefaults__
    copy.__qualname__, copy.__doc__, copy.__module__ = func.__qualname__, func.__doc__, func.__module__
    copy.__dict__.update({key: value for key, value in func.__dict__.items() if key != "__wrapped__"})
    memo[func] = copy
    for name in _global_names(func.__code__):
        if name in func.__globals__:
            value = func.__globals__[name]
            own[name] = sealed(value, memo) if _ours(value) else value
    return copy


def _sealed_member(value: Any, memo: dict[types.FunctionType, types.FunctionType]) -> Any:
    if isinstance(value, types.FunctionType) and _ours(value):
        return sealed(value, memo)
    if isinstance(value, property):
        fget: Any = sealed(value.fget, memo) if isinstance(value.fget, types.FunctionType) else value.fget
        fset: Any = sealed(value.fset, memo) if isinstance(value.fset, types.FunctionType) else value.fset
        return property(fget, fset, value.fdel, value.__doc__)
    if isinstance(value, staticmethod | classmethod) and isinstance(value.__func__, types.FunctionType):
        return type(value)(sealed(value.__func__, memo))
    return value


def _ours(value: Any) -> bool:
    return isinstance(value, types.FunctionType) and str(value.__globals__.get("__name__", "")).startswith(_PACKAGE)


def _global_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _global_names(const)

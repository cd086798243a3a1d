"""``workers.rpc``: the SDK's binding wrappers, ``JsDict`` and the RPC conversions.

pyworker's binding objects are instances of these classes (``isinstance(env.B,
_FetcherWrapper)``, ``isinstance(env.KV, _BindingWrapper)``, ``isinstance(self.env,
_EnvWrapper)`` hold, as on Cloudflare).
"""

from __future__ import annotations

import typing as _typing

from pyworker.bindings import values as _values
from pyworker.runtime.jsvalues import JsDict
from pyworker.runtime.wrappers import (
    _BindingWrapper,
    _DurableObjectNamespaceWrapper,
    _EnvWrapper,
    _FetcherWrapper,
    _RpcStubWrapper,
    _WorkflowBindingWrapper,
    _WorkflowInstanceWrapper,
)

__all__ = [
    "JsDict",
    "_BindingWrapper",
    "_DurableObjectNamespaceWrapper",
    "_EnvWrapper",
    "_FetcherWrapper",
    "_RpcStubWrapper",
    "_WorkflowBindingWrapper",
    "_WorkflowInstanceWrapper",
    "python_from_rpc",
    "python_to_rpc",
]


def python_to_rpc(value: _typing.Any) -> _typing.Any:
    """``value`` as it would cross a binding (copied under the RPC rules; refusals raise as for a call)."""
    return _values.copy_value(value, "the value", lambda function: function)


def python_from_rpc(obj: _typing.Any) -> _typing.Any:
    """Values pyworker hands over are Python values already; kept for code that calls it."""
    return obj

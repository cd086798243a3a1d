"""What a user reads when a wrangler dev worker cannot be reached as asked: one sentence each."""

from __future__ import annotations

MISSING = (
    "pycapnp is not installed, and pyworker needs it to reach wrangler dev workers (and to be reached by them): "
    "pip install 'pyworker[wrangler]'."
)


def rpc_to_wrangler(method: str, service: str) -> str:
    """A Python worker's ``env.JS.method()`` for a wrangler dev worker."""
    return (
        f'{method}() on the wrangler dev worker "{service}": RPC to a wrangler dev worker is not supported: workerd '
        "sends RPC arguments and results in V8's serialization format, which no maintained Python library reads or "
        "writes; use fetch()."
    )


def rpc_from_wrangler(worker: str, method: str) -> str:
    """A JavaScript worker's ``env.PY.method()`` for a pyworker worker."""
    return (
        f'{method}() on the pyworker worker "{worker}": RPC from a wrangler dev worker is not supported: workerd '
        "sends RPC arguments in V8's serialization format, which no maintained Python library reads; use fetch()."
    )

"""``workers.utils``: the SDK's public helpers (``import_from_javascript``, ``patch_env``, ``jsnull``,
``get_compat_flag``, ``HTTPMessageMapping``, ``RESPONSE_ACCEPTED_TYPES``)."""

from __future__ import annotations

from pyworker.runtime.message import HTTPMessageMapping
from pyworker.sdk.envaccess import import_from_javascript, patch_env
from pyworker.sdk.jsobjects import jsnull

# The JavaScript body types the SDK's Response accepts (a Python worker here passes their Python forms).
RESPONSE_ACCEPTED_TYPES = frozenset(
    {
        "Blob", "ArrayBuffer", "TypedArray", "DataView", "Uint8Array", "Uint8ClampedArray", "Int8Array",
        "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float16Array", "Float32Array",
        "Float64Array", "BigInt64Array", "BigUint64Array", "FormData", "ReadableStream", "URLSearchParams",
        "Response",
    }
)  # fmt: skip


def get_compat_flag(flag: str) -> bool:
    """Whether compatibility flag ``flag`` is on for the worker running now (``compatibility_flags``)."""
    from pyworker.runtime.scope import current_worker

    scope = current_worker.get()
    return scope is not None and flag in scope.compatibility_flags


async def import_sdk_javascript_module_async(name: str) -> object:
    """The SDK imports its bundled JavaScript modules with this; pyworker runs no JavaScript."""
    raise ImportError(f"Failed to import '{name}': pyworker runs no JavaScript modules.")


__all__ = [
    "RESPONSE_ACCEPTED_TYPES",
    "HTTPMessageMapping",
    "get_compat_flag",
    "import_from_javascript",
    "import_sdk_javascript_module_async",
    "jsnull",
    "patch_env",
]

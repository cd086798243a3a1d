"""pyworker's worker-facing ``workers`` modules against the ``workers-runtime-sdk`` wheel, name by name.

Every public name of each module of the wheel must exist here with the same parameters, every
public name here must exist in the wheel (code that uses a name production lacks fails here
too), and each class has the wheel's members. What still differs is :data:`KNOWN`, each with
its reason (the README's "The ``workers`` module" section lists them): a difference that
appears or goes away fails, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import importlib
import inspect
import types
from pathlib import Path
from typing import Any

import pytest

from tests.sdk_wheel import IMPORTED, Class, Function, find_wheel, module_names

MODULES = ["__init__", "request", "response", "formdata", "blob", "types", "utils", "fetch", "rpc",
           "entrypoints", "workflows", "wsgi", "asgi", "gateway/__init__", "gateway/options"]  # fmt: skip
# What classes of the wheel inherit from outside it (Pyodide's FetchResponse, collections.abc).
_MAPPING = {"get", "keys", "items", "values", "pop", "popitem", "clear", "update", "setdefault"}
EXTERNAL = {
    "pyodide.http.FetchResponse": {"body_used", "headers", "ok", "redirected", "status", "status_text", "type",
                                   "url", "js_response", "abort", "buffer", "bytes", "clone", "json", "memoryview",
                                   "raise_for_status", "string", "text", "unpack_archive", "abort_controller",
                                   "abort_signal"},
    "MutableMapping[str, FormDataValue]": _MAPPING,
    "http.client.HTTPMessage": None,  # compared as the class it is: the same stdlib class here
    "dict": None,
}  # fmt: skip
_SKIPPED_BASES = {"StrEnum", "TypedDict", "Protocol", "Exception", "BaseOptions"}
_BASES = (
    "pyworker's binding objects are the bindings themselves, not wrappers of a JavaScript object: "
    "they subclass these classes (for isinstance) and take their own arguments"
)
_METHODS = (
    "the base class carries no methods here: each binding kind's own class has them "
    "(service bindings: fetch; Durable Objects and Workflows: their branches)"
)
_JS_NAME = "binding classes name their JavaScript class in JS_NAME (the TypeError messages use it)"
_BRIDGE = (
    "internals of the SDK's bridge between an ASGI app and JavaScript's Request/Response; "
    "pyworker's bridge is pyworker.runtime.asgi_bridge"
)
KNOWN: dict[str, str] = {
    "workers.response.FetchResponse.json(*args, **kwargs): ours takes (data, status, status_text, headers)":
        "one descriptor serves Response.json(data, ...) on the class and await response.json() on an instance",
    "workers.rpc._BindingWrapper.__init__(binding): ours takes (*args, **kwargs)": _BASES,
    "workers.rpc._DurableObjectNamespaceWrapper.__init__(binding): ours takes (*args, **kwargs)": _BASES,
    "workers.rpc._EnvWrapper.__init__(env): ours takes (*args, **kwargs)": _BASES,
    "workers.rpc._BindingWrapper.JS_NAME: local-only": _JS_NAME,
    "workers.rpc._RpcStubWrapper.JS_NAME: local-only": _JS_NAME,
    "workers.rpc._FetcherWrapper.JS_NAME: local-only": _JS_NAME,
    "workers.rpc._WorkflowInstanceWrapper.JS_NAME: local-only": _JS_NAME,
    "workers.rpc._WorkflowBindingWrapper.JS_NAME: local-only": _JS_NAME,
    "workers.rpc._FetcherWrapper.fetch: missing": _METHODS,
    "workers.rpc._DurableObjectNamespaceWrapper.get: missing": _METHODS,
    "workers.rpc._DurableObjectNamespaceWrapper.getByName: missing": _METHODS,
    "workers.rpc._DurableObjectNamespaceWrapper.jurisdiction: missing": _METHODS,
    "workers.rpc._WorkflowInstanceWrapper.send_event: missing": _METHODS,
    "workers.rpc._WorkflowBindingWrapper.get: missing": _METHODS,
    "workers.rpc._WorkflowBindingWrapper.create: missing": _METHODS,
    "workers.rpc._WorkflowBindingWrapper.create_batch: missing": _METHODS,
    "workers.entrypoints.DurableObjectAbort.add_note: local-only": "BaseException's own members, as in the wheel",
    "workers.entrypoints.DurableObjectAbort.args: local-only": "BaseException's own members, as in the wheel",
    "workers.entrypoints.DurableObjectAbort.with_traceback: local-only": "BaseException's own members, as in the wheel",
    "workers.entrypoints.DurableObjectContext.__init__(ctx): ours takes (*args, **kwargs)": (
        "a base class for isinstance: pyworker's ctx (bindings/durable_objects) subclasses it"
    ),
    "workers.entrypoints.DurableObjectContext.abort: missing": (
        "ctx.abort(reason) is on the subclass pyworker hands to objects (bindings/durable_objects)"
    ),
    "workers.asgi.websocket: missing": "WebSockets are another branch's work (issue 17)",
    "workers.asgi.process_websocket: missing": "WebSockets are another branch's work (issue 17)",
    "workers.wsgi.process_request: missing": "the SDK's bridge to JavaScript (pyworker.runtime.wsgi_bridge)",
    "workers.asgi.background_tasks: missing": _BRIDGE,
    "workers.asgi.run_in_background: missing": _BRIDGE,
    "workers.asgi.close_stream_quietly: missing": _BRIDGE,
    "workers.asgi.acquire_js_buffer: missing": _BRIDGE,
    "workers.asgi.request_to_scope: missing": _BRIDGE,
    "workers.asgi.start_application: missing": _BRIDGE,
    "workers.asgi.process_request: missing": _BRIDGE,
}  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = find_wheel(tmp_path_factory.mktemp("sdk-wheel"))
    if found is None:
        pytest.skip("workers-runtime-sdk 1.9.5 is not available: set PYWORKER_SDK_WHEEL to its unpacked files")
    return found


def _ours(module: str) -> types.ModuleType:
    name = "pyworker.sdk.workers" + ("" if module == "__init__" else "." + module.replace("/", "."))
    return importlib.import_module(name.removesuffix(".__init__"))


def _signature(value: Any) -> list[tuple[str, str]] | None:
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):
        return None
    kinds = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**",
             inspect.Parameter.KEYWORD_ONLY: "kw"}  # fmt: skip
    return [(p.name, kinds.get(p.kind, "")) for p in signature.parameters.values() if p.name not in ("self", "cls")]


def _shown(params: list[tuple[str, str]]) -> str:
    return "(" + ", ".join(("*" if k == "kw" else k) + n if k != "kw" else n + "=" for n, k in params) + ")"


def _members(cls: Class, every: dict[str, Class]) -> set[str] | None:
    members = set(cls.members)
    for base in cls.bases:
        if base in _SKIPPED_BASES:
            return None
        if base in every:
            inherited = _members(every[base], every)
            if inherited is None:
                return None
            members |= inherited
        elif base in EXTERNAL:
            external = EXTERNAL[base]
            if external is None:
                return None
            members |= external
    return members


def _class_differences(where: str, theirs: Class, ours: Any, every: dict[str, Class]) -> list[str]:
    found: list[str] = []
    for name, member in theirs.members.items():
        target = ours.__init__ if name == "__init__" else getattr(ours, name, None)
        if name != "__init__" and not hasattr(ours, name) and name not in getattr(ours, "__annotations__", {}):
            found.append(f"{where}.{name}: missing")
        elif isinstance(member, Function):
            mine = _signature(target)
            if mine is not None and mine != member.params:
                found.append(f"{where}.{name}{_shown(member.params)}: ours takes {_shown(mine)}")
    allowed = _members(theirs, every)
    if allowed is not None and isinstance(ours, type):
        found += [
            f"{where}.{name}: local-only" for name in dir(ours) if not name.startswith("_") and name not in allowed
        ]
    return found


def differences(wheel: Path) -> list[str]:
    """Every way the modules here differ from the wheel's, one line each."""
    found: list[str] = []
    every: dict[str, Class] = {}
    parsed = {module: module_names(wheel / "workers" / f"{module}.py") for module in MODULES}
    for names in parsed.values():
        every.update({name: value for name, value in names.items() if isinstance(value, Class)})
    for module, names in parsed.items():
        ours = _ours(module)
        prefix = "workers" + ("" if module == "__init__" else "." + module.replace("/", ".").removesuffix(".__init__"))
        for name, value in names.items():
            if value == IMPORTED or (name.startswith("_") and not (module == "rpc" and name.endswith("Wrapper"))):
                continue
            if not hasattr(ours, name):
                found.append(f"{prefix}.{name}: missing")
            elif isinstance(value, Function):
                mine = _signature(getattr(ours, name))
                if mine is not None and mine != value.params:
                    found.append(f"{prefix}.{name}{_shown(value.params)}: ours takes {_shown(mine)}")
            elif isinstance(value, Class):
                found += _class_differences(f"{prefix}.{name}", value, getattr(ours, name), every)
        for name in dir(ours):
            value = getattr(ours, name)
            if name.startswith("_") or name == "annotations" or isinstance(value, types.ModuleType):
                continue
            if name not in names:
                found.append(f"{prefix}.{name}: local-only")
    return found


def test_the_workers_modules_match_the_sdk_wheel(wheel: Path) -> None:
    found = differences(wheel)
    assert sorted(set(found) - set(KNOWN)) == [], "new differences from the SDK wheel"
    assert sorted(set(KNOWN) - set(found)) == [], "differences listed in KNOWN that are gone: remove them"

"""Service bindings (``services = [...]``): ``env.B.method(...)`` (RPC) and ``env.B.fetch(...)``, in memory.

The call stays in memory but behaves as the SDK's ``_FetcherWrapper`` across the isolate
boundary: arguments are converted when the call is made (:mod:`pyworker.bindings.values`),
keyword arguments arrive as one trailing dict, errors arrive as ``JsException``
(:mod:`pyworker.bindings.errors`), each call is one subrequest one level deeper, and a call
starts whether or not it is awaited (:mod:`pyworker.bindings.started`). The target is a
:class:`~pyworker.types.Target` found by name on every call; this module never prints for
it: the target's own invocation frame reports what its code raised.
"""

from __future__ import annotations

from typing import Any

from pyworker.bindings.calls import Call, CallSite, Side
from pyworker.bindings.errors import crossing_error, raised_in
from pyworker.bindings.provider import BindingHost
from pyworker.bindings.values import SHARED, copy_args, copy_value
from pyworker.config.model import ServiceBinding, WorkerConfig
from pyworker.errors import BindingError, InvocationLimit, NoMethod, WorkerLoadError
from pyworker.runtime.call_trace import timed
from pyworker.runtime.http import Request, Response, transfer
from pyworker.runtime.invocation import TRACE
from pyworker.runtime.invocation import current as current_invocation
from pyworker.runtime.jsvalues import JsException
from pyworker.runtime.responses import respond
from pyworker.runtime.sealed import seal_methods
from pyworker.runtime.wrappers import _FetcherWrapper
from pyworker.types import FETCH, RPC, Directory, Route

KEY = "services"

# Looked up by Python and common libraries to probe an object's protocol; a stub has none of them.
_PROBES = frozenset(
    {"__wrapped__", "__signature__", "__aiter__", "__length_hint__", "__fspath__",
     "__array__", "__array_interface__", "__array_struct__", "__origin__", "__args__", "__parameters__"}
)  # fmt: skip


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    """One stub per entry of ``services``."""
    return {binding.binding: ServiceStub(binding, config.name, host) for binding in config.services}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``B -> worker_b (connected)``: one line per service binding, for the start-up table (``connected, pid
    1234`` for a worker of another process, ``not running`` when none runs)."""
    lines = []
    for binding in config.services:
        target = binding.service + (f"#{binding.entrypoint}" if binding.entrypoint else "")
        callee = host.directory.get(binding.service)
        if callee is not None and binding.entrypoint and not callee.exports(binding.entrypoint):
            status = f'no entrypoint "{binding.entrypoint}"'
        else:
            status = host.directory.status(binding.service)
        lines.append(f"{binding.binding} -> {target} ({status})")
    return lines


def not_running_message(service: str) -> str:
    """What a call to a worker that runs nowhere gets (RPC raises it, fetch answers 503 with it)."""
    return (
        f'Worker "{service}" is not running: start it in this pyworker dev, or in another pyworker dev or '
        "wrangler dev on this machine."
    )


class _Wiring:
    """Everything a stub knows; kept off the stub's attribute namespace."""

    __slots__ = ("binding", "call_prefix", "caller", "directory", "fetch_route", "fetch_site", "methods",
                 "to_callee", "to_caller")  # fmt: skip

    def __init__(self, binding: ServiceBinding, caller: str, host: BindingHost) -> None:
        self.binding = binding
        self.directory: Directory = host.directory
        self.caller = Side(caller, host.printer)
        callee = Side(binding.service, host.printer)
        self.to_callee = self.caller.callbacks_to(callee)
        self.to_caller = callee.callbacks_to(self.caller)
        self.call_prefix = f"self.env.{binding.binding}."
        self.fetch_site = CallSite(self.caller, self.call_prefix, "fetch")
        self.fetch_route = Route(FETCH, "fetch", binding.entrypoint, binding.props, caller)
        self.methods: dict[str, RpcMethod] = {}

    def route(self, method: str, site: CallSite) -> Route:
        """The route of RPC ``method``: its result is copied for the caller inside the callee's invocation,
        and what it raises reaches the caller as the SDK delivers it."""
        to_caller, where, callee = self.to_caller, f"the value {method}() returned", self.binding.service

        def returns(result: Any) -> Any:  # the frame passes SHARED values on without calling it
            return copy_value(result, where, to_caller)

        def raises(exc: BaseException) -> BaseException:
            return _arriving(exc, site, callee)

        binding = self.binding
        return Route(RPC, method, binding.entrypoint, binding.props, self.caller.name, returns, raises, passes=SHARED)


class ServiceStub(_FetcherWrapper):
    """What ``env.<BINDING>`` holds. Any other attribute is an RPC method; calls must be awaited.

    The target is looked up by name on each call, so it may start, stop or reload
    independently of the caller. Only the target's public entrypoint methods are
    reachable: every other name (``_private``, ``__dict__``, ``__init__``, ``env``...)
    reaches the target's refusal, so nothing of the target leaks through the stub.
    """

    _pyworker_rpc_passthrough = True  # a stub may itself be sent across a binding
    __slots__ = ("__wiring",)

    def __new__(cls, binding: ServiceBinding, caller: str, host: BindingHost) -> ServiceStub:
        # A class per stub, whose constructor refuses like any other name: so
        # ``env.B.__class__()`` cannot build a second stub.
        own = type(cls.__name__, (cls,), {"__slots__": (), "__module__": cls.__module__, "__new__": _refuse_class})
        stub: ServiceStub = object.__new__(own)
        object.__setattr__(stub, "_ServiceStub__wiring", _Wiring(binding, caller, host))
        return stub

    def __getattribute__(self, name: str) -> Any:
        wiring: _Wiring = _WIRING(self)
        method = wiring.methods.get(name)  # only names that are RPC methods are there: the common case first
        if method is not None:
            return method
        if name in _OWN:
            return object.__getattribute__(self, name)
        if name in _PROBES:
            raise AttributeError(name)
        method = wiring.methods[name] = RpcMethod(wiring, name)
        return method

    def fetch(self, input: str | Request, **options: Any) -> Call:
        """Hand a request to the target's ``fetch`` in memory; awaiting gives its :class:`Response`.
        Options are ``workers.fetch``'s keywords (``method``, ``headers``, ``body``, ``cf``...), as the SDK's."""
        wiring: _Wiring = object.__getattribute__(self, "_ServiceStub__wiring")
        request = Request(input, **options)  # made now: a bad URL or body fails where the call is written
        return Call(_fetch(wiring, request), wiring.fetch_site)

    def __repr__(self) -> str:
        binding = object.__getattribute__(self, "_ServiceStub__wiring").binding
        return f"<service binding {binding.binding} -> {binding.service}>"


_WIRING = vars(ServiceStub)["_ServiceStub__wiring"].__get__  # the slot, read past the guard without a Python call


def _refuse_class(cls: type, *args: Any, **kwargs: Any) -> Any:
    raise TypeError('The RPC receiver does not implement the method "__class__".')


# The stub's own names. ``__class__`` stays real (isinstance and ABC checks read it);
# the rest are what Python's object protocol reads from an instance (repr, hash, copy).
_OWN = frozenset(
    {"fetch", "__class__", "__repr__", "__str__", "__eq__", "__ne__", "__hash__",
     "__format__", "__sizeof__", "__reduce__", "__reduce_ex__", "__getstate__", "__dir__", "__iter__", "__len__",
     "__bool__"}
)  # fmt: skip


_METHOD_OWN = frozenset({"__call__", "__repr__", "__class__", "__hash__", "__eq__", "__ne__", "__str__", "__format__"})


class RpcMethod:
    """``env.B.name``: calling it makes the call. Nothing else of the binding is reachable from it."""

    __slots__ = ("_RpcMethod__plan",)

    def __init__(self, wiring: _Wiring, name: str) -> None:
        site = CallSite(wiring.caller, wiring.call_prefix, name)
        plan = _Plan(wiring, site, wiring.route(name, site), f"{wiring.binding.service}.{name}")
        object.__setattr__(self, "_RpcMethod__plan", plan)

    def __getattribute__(self, name: str) -> Any:
        if name in _METHOD_OWN:
            return object.__getattribute__(self, name)
        raise AttributeError(f"'function' object has no attribute {name!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Call:
        # Converted now, at the call site: a value that cannot cross raises here, and changes the
        # caller makes before awaiting do not reach the callee.
        plan: _Plan = _PLAN(self)
        if kwargs:
            _keywords_hint(plan.site, kwargs)
            args = (*args, kwargs)  # as the SDK sends them: one trailing JavaScript object
        for arg in args:  # immutable scalars cross as they are: no copy walk (a loop: no set is built)
            if type(arg) not in SHARED:
                args = copy_args(args, plan.to_callee)
                break
        callee = plan.lookup(plan.service)
        if callee is None:
            return Call(_unreachable(plan.service), plan.site)
        call = callee.invoke(plan.route, args, _NO_KWARGS)
        invocation = _invocation()
        if invocation is not None and invocation[TRACE] is not None:  # --log-level debug: listed, timed
            call = timed(call, invocation[TRACE], plan.label)
        return _made(call, plan.site, invocation)

    def __repr__(self) -> str:
        site: CallSite = _PLAN(self).site
        return f"<RPC method {site.prefix}{site.name}>"


class _Plan:
    """What every call of one RPC method needs, made once: its call site, route and target's name."""

    __slots__ = ("label", "lookup", "route", "service", "site", "to_callee")

    def __init__(self, wiring: _Wiring, site: CallSite, route: Route, label: str) -> None:
        self.site = site
        self.route = route
        self.label = label  # in --log-level debug's list of calls
        self.service = wiring.binding.service
        self.lookup = wiring.directory.get  # looked up by name on every call: the target may reload or restart
        self.to_callee = wiring.to_callee


_PLAN = vars(RpcMethod)["_RpcMethod__plan"].__get__  # the slot, read past the guard without a Python call
_invocation = current_invocation.get
_made = Call.made
_NO_KWARGS: dict[str, Any] = {}


async def _unreachable(service: str) -> Any:
    raise BindingError(not_running_message(service))


def _arriving(exc: BaseException, site: CallSite, callee: str) -> BaseException:
    """What the caller receives when the call raised ``exc`` (the callee reported it already)."""
    if isinstance(exc, InvocationLimit):
        return JsException("Error", str(exc))  # raised by the runtime where the call is made
    if isinstance(exc, NoMethod):
        return JsException("TypeError", str(exc))
    if isinstance(exc, BindingError | WorkerLoadError):
        return exc  # the binding itself cannot reach its target: pyworker's own message, as it is
    if not isinstance(exc, JsException):
        _crossing_hint(site, exc, callee)
    return crossing_error(exc, callee)


def _keywords_hint(site: CallSite, kwargs: dict[str, Any]) -> None:
    names = ", ".join(f"{key}=..." for key in kwargs)
    trailing = ", ".join(f"{key!r}: ..." for key in kwargs)
    side = site.side
    assert side is not None  # a binding's call site always knows its caller
    side.printer.hint(
        side.name,
        ("keywords", site.prefix, site.name),
        f"hint: {site.prefix}{site.name}({names}) passes keyword arguments; over RPC they reach the callee as one "
        f"trailing dict, {site.name}(..., {{{trailing}}}), as on Cloudflare. Pass them positionally, or let the "
        "method take that dict.",
    )


def _crossing_hint(site: CallSite, exc: BaseException, callee: str) -> None:
    kind = raised_in(exc)
    side = site.side
    assert side is not None
    side.printer.hint(
        side.name,
        ("crossing",),
        f"hint: {site.prefix}{site.name}() raised {kind} in {callee}; as on Cloudflare, a Python caller receives "
        f'it as pyodide.ffi.JsException (name "Error", message "PythonError: ..."), so except {kind} does not '
        "catch it: catch JsException and read its .message.",
    )


async def _fetch(wiring: _Wiring, request: Request) -> Response:
    # Always a new Request, as across the isolate boundary: the callee gets its own
    # headers, and the body moves to it (the caller's request counts as read).
    callee = wiring.directory.get(wiring.binding.service)
    if callee is None:
        return Response(not_running_message(wiring.binding.service), 503)
    invocation = _invocation()
    trace = None if invocation is None else invocation[TRACE]
    try:
        answer = respond(callee, wiring.fetch_route, transfer(request))
        if trace is not None:
            answer = timed(answer, trace, f"{wiring.binding.service}.fetch {request.method} {request.url}")
        response = await answer
    except InvocationLimit as exc:
        raise JsException("Error", str(exc)) from None  # raised by the runtime where the call is made
    return transfer(response)


seal_methods(ServiceStub, RpcMethod)  # what worker code holds leads nowhere by attribute

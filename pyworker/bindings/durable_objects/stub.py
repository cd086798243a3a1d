"""``namespace.get(id)``: a stub whose ``fetch`` and RPC methods call into the object, as the SDK's
``_FetcherWrapper`` does, with the binding rules of service bindings (:mod:`pyworker.bindings.service`):
arguments copied when the call is made, errors arriving as ``JsException``, each call a subrequest
one level deeper, started whether or not it is awaited."""

from __future__ import annotations

from typing import Any

from pyworker.bindings.calls import Call, CallSite, Side
from pyworker.bindings.durable_objects.ids import DurableObjectId
from pyworker.bindings.durable_objects.instance import ObjectSlot
from pyworker.bindings.service import _arriving, not_running_message
from pyworker.bindings.values import SHARED, copy_args, copy_value
from pyworker.errors import BindingError, InvocationLimit
from pyworker.runtime.http import Request, Response, transfer
from pyworker.runtime.jsvalues import JsException
from pyworker.runtime.wrappers import _FetcherWrapper
from pyworker.types import FETCH, RPC, Directory, Route

_OWN = frozenset(
    {"fetch", "id", "name", "__class__", "__repr__", "__str__", "__eq__", "__ne__", "__hash__", "__format__",
     "__sizeof__", "__reduce__", "__reduce_ex__", "__dir__", "__iter__", "__len__", "__bool__", "__getitem__"}
)  # fmt: skip
_PROBES = frozenset({"__wrapped__", "__signature__", "__aiter__", "__length_hint__", "__fspath__", "__await__"})


class Link:
    """What every stub of one namespace binding shares: who calls, where the object's worker is found."""

    __slots__ = ("binding", "caller", "directory", "script", "to_callee", "to_caller")

    def __init__(self, binding: str, caller: Side, script: str, directory: Directory) -> None:
        self.binding = binding
        self.caller = caller
        self.script = script
        self.directory = directory
        callee = Side(script, caller.printer)
        self.to_callee = caller.callbacks_to(callee)
        self.to_caller = callee.callbacks_to(caller)

    def route(self, slot: ObjectSlot, kind: str, method: str) -> Route:
        """The route of ``method`` on ``slot``, made once per object, kind, method and caller."""
        key = (kind, method, self.caller.name)
        found = slot.routes.get(key)
        if found is None:
            found = slot.routes[key] = self._make(slot, kind, method)
        return found

    def _make(self, slot: ObjectSlot, kind: str, method: str) -> Route:
        to_caller, where, script = self.to_caller, f"the value {method}() returned", self.script
        site = CallSite(self.caller, f"self.env.{self.binding}.get(...).", method)

        def returns(result: Any) -> Any:
            if kind == FETCH:
                return transfer(result)  # a new Response, as across the isolate boundary (a 101's socket moves)
            return result if type(result) in SHARED else copy_value(result, where, to_caller)

        def raises(exc: BaseException) -> BaseException:
            # As on Cloudflare, what the object raises rejects the caller's call, fetch() included.
            if isinstance(exc, InvocationLimit):
                return JsException("Error", str(exc))
            return _arriving(exc, site, script)

        return Route(kind, method, slot.class_name, None, self.caller.name, returns, raises, actor=slot)


class DurableObjectStub(_FetcherWrapper):
    """``env.NS.get(id)``: ``await stub.method(...)``, ``await stub.fetch(request)``, ``stub.id``, ``stub.name``.

    Any other attribute is an RPC method; the object's instance is reached (and built) on the first call.
    """

    __slots__ = ("_stub_link", "_stub_methods", "_stub_slot")
    JS_NAME = "DurableObject"

    def __init__(self, link: Link, slot: ObjectSlot) -> None:
        object.__setattr__(self, "_stub_link", link)
        object.__setattr__(self, "_stub_slot", slot)
        object.__setattr__(self, "_stub_methods", {})

    def __getattribute__(self, name: str) -> Any:
        if name in _OWN or name.startswith("_stub_"):
            return object.__getattribute__(self, name)
        if name in _PROBES:
            raise AttributeError(name)
        methods: dict[str, StubMethod] = object.__getattribute__(self, "_stub_methods")
        method = methods.get(name)
        if method is None:
            method = methods[name] = StubMethod(self._stub_link, self._stub_slot, name)
        return method

    @property
    def id(self) -> DurableObjectId:
        slot: ObjectSlot = self._stub_slot
        return slot.id

    @property
    def name(self) -> str | None:
        slot: ObjectSlot = self._stub_slot
        return slot.id.name

    def fetch(self, input: str | Request, **options: Any) -> Call:
        """Hand a request to the object's ``fetch``; awaiting gives its :class:`Response`.
        Options are ``workers.fetch``'s keywords, as the SDK's ``_FetcherWrapper`` passes them."""
        link: Link = self._stub_link
        request = Request(input, **options)
        site = CallSite(link.caller, f"self.env.{link.binding}.get(...).", "fetch")
        return Call(_fetch(link, self._stub_slot, request), site)

    def __repr__(self) -> str:
        return f"<Durable Object stub {self._stub_slot.label}>"


class StubMethod:
    """``stub.name``: calling it makes the RPC call."""

    __slots__ = ("_link", "_name", "_route", "_site")

    def __init__(self, link: Link, slot: ObjectSlot, name: str) -> None:
        self._link = link
        self._name = name
        self._route = link.route(slot, RPC, name)
        self._site = CallSite(link.caller, f"self.env.{link.binding}.get(...).", name)

    def __call__(self, *args: Any, **kwargs: Any) -> Call:
        link = self._link
        if kwargs:
            args = (*args, kwargs)  # as the SDK sends them: one trailing JavaScript object
        if args:
            args = copy_args(args, link.to_callee)
        target = link.directory.get(link.script)
        if target is None:
            return Call(_unreachable(link.script), self._site)
        return Call(target.invoke(self._route, args, _NO_KWARGS), self._site)

    def __repr__(self) -> str:
        return f"<RPC method {self._site.prefix}{self._name}>"


_NO_KWARGS: dict[str, Any] = {}


async def _unreachable(script: str) -> Any:
    raise BindingError(not_running_message(script))


async def _fetch(link: Link, slot: ObjectSlot, request: Request) -> Response:
    target = link.directory.get(link.script)
    if target is None:
        raise BindingError(not_running_message(link.script))
    response: Response = await target.invoke(link.route(slot, FETCH, "fetch"), (transfer(request),), _NO_KWARGS)
    return response

"""Workers of other pyworker processes, as bindings see them: :class:`RemoteTarget`, a ``Target``.

A binding's call is made exactly as for a worker of this process (its arguments copied at the
call site, its route made once per method); :meth:`RemoteTarget.invoke` sends it over the one
authenticated connection to that process (:class:`Dialer`), with the request's depth and
subrequest budget, and waits for the one answer frame. What the callee's frame let out comes
back as the same exception, and the caller's route turns it into what worker code receives,
here: the same ``JsException`` name and message as in-process. If the other process goes
away, every call waiting on it fails at once with one error naming the worker and its pid.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pyworker.bindings.calls import Side
from pyworker.errors import BindingError
from pyworker.interop.entries import Entry
from pyworker.interop.wire import _I64, Writer
from pyworker.interop.wire_auth import AuthError
from pyworker.interop.wire_frames import CALL
from pyworker.interop.wire_link import Link
from pyworker.printer import Printer
from pyworker.runtime import limits
from pyworker.types import FETCH, RPC, Route, Target

DEFAULT_ENTRYPOINT = "Default"
# A CALL's payload: u32 size + head (worker, kind, method, entrypoint, props, caller), u32 size + state
# (the request's chain, limit and where it is set; size 0: no request), i64 subrequests used (only with a
# state), then the arguments. Head and state are the same bytes for many calls: both sides remember them.
_NO_STATE = bytes(4)  # a call made outside any request: no chain, no budget
MAX_HEADS = 4096  # encoded routes remembered; forgotten all at once past this (routes are made per method)


class _NoPeer:
    """A route's head holds names and props: nothing that needs the connection."""

    def export(self, obj: Any, sides: Any) -> int:
        raise BindingError("A binding's props cannot hold functions or bindings when its worker is in another process.")

    def own_ref(self, obj: Any) -> int | None:
        return None


_NO_PEER: Any = _NoPeer()


def loopback(name: str, address: str) -> tuple[str, int]:
    """``("127.0.0.1", PORT)`` from an entry's address; refuses any host that is not loopback."""
    host, _, port = address.rpartition(":")
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
        number = int(port)
    except ValueError:
        raise BindingError(
            f'The registry entry of worker "{name}" gives the address "{address}": expected 127.0.0.1:PORT.'
        ) from None
    if not ip.is_loopback:
        raise BindingError(
            f'The registry entry of worker "{name}" gives the address "{address}", which is not on this machine: '
            "pyworker connects to other processes on loopback only."
        )
    return str(ip), number


class Dialer:
    """One authenticated connection per peer process, opened on first use and shared by its workers' targets."""

    def __init__(self, secret: bytes, printer: Printer) -> None:
        self.secret = secret
        self.printer = printer
        self._links: dict[tuple[str, int], Link] = {}
        self._connecting: dict[tuple[str, int], asyncio.Future[Link]] = {}

    async def link(self, name: str, address: str, pid: int) -> Link:
        key = (address, pid)
        link = self._links.get(key)
        if link is not None and not link.closed:
            return link
        connecting = self._connecting.get(key)
        if connecting is None:
            connecting = self._connecting[key] = asyncio.ensure_future(self._connect(name, address, pid))
            connecting.add_done_callback(lambda _: self._connecting.pop(key, None))
        return await asyncio.shield(connecting)

    async def _connect(self, name: str, address: str, pid: int) -> Link:
        host, port = loopback(name, address)
        loop = asyncio.get_running_loop()
        try:
            _transport, link = await loop.create_connection(
                lambda: Link(self.secret, endpoint=False, lost=self._lost), host, port
            )
            await link.ready
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise BindingError(f'Worker "{name}" (pid {pid}) does not answer at {address}: {reason}.') from None
        except AuthError as exc:
            raise BindingError(
                f'Could not authenticate with worker "{name}" (pid {pid}) at {address}: {exc}. No call was sent: '
                "both processes must use the same dev registry and its secret."
            ) from None
        if link.peer_pid != pid:
            link.close()
            raise BindingError(
                f'The process at {address} is pid {link.peer_pid}, not pid {pid} that registered worker "{name}": '
                "its registry entry is stale."
            )
        self._links[(address, pid)] = link
        return link

    def _lost(self, link: Link) -> None:
        for key, known in list(self._links.items()):
            if known is link:
                del self._links[key]

    def close(self) -> None:
        """Close every connection (the dev server is stopping)."""
        for link in list(self._links.values()):
            link.close()
        self._links.clear()


class RemoteTarget:
    """Worker ``name`` of the pyworker process ``pid`` listening at ``address``; satisfies ``Target``."""

    def __init__(self, name: str, pid: int, address: str, entrypoints: Iterable[str], durable_objects: Iterable[str],
                 dialer: Dialer) -> None:  # fmt: skip
        self._name = name
        self.pid = pid
        self.address = address
        self.entrypoints = frozenset(entrypoints)
        self.durable_objects = frozenset(durable_objects)
        self._dialer = dialer
        self._link: Link | None = None
        self._sides: dict[str | None, tuple[Side, Side]] = {}
        self._heads: dict[Route, bytes] = {}
        self._states: dict[tuple[Any, ...], bytes] = {}

    @property
    def name(self) -> str:
        return self._name

    def exports(self, entrypoint: str | None, durable: bool = False) -> bool:
        if durable:
            return (entrypoint or "") in self.durable_objects
        return entrypoint in (None, DEFAULT_ENTRYPOINT) or entrypoint in self.entrypoints

    async def invoke(self, route: Route, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        if route.kind not in (RPC, FETCH) or route.actor is not None:
            what = "Durable Objects" if route.actor is not None else f"{route.kind} handler"
            raise BindingError(
                f'Worker "{self._name}" runs in another process (pid {self.pid}): its {what} cannot be reached '
                "from this one yet. Run both workers in one pyworker dev."
            )
        link = self._link
        if link is None or link.closed:
            link = self._link = await self._dialer.link(self._name, self.address, self.pid)
        sides = self._sides.get(route.caller) or self._sides_of(route.caller)
        head = self._heads.get(route) or self._head(route)
        writer = link.writer(sides)
        out = writer.out
        out += head
        state = limits.carried()
        if state is None:
            out += _NO_STATE
        else:  # the part that is the same for every call of this request, encoded once; then what it used so far
            names, used, limit, source = state
            out += self._states.get((*names, limit, source)) or self._state(names, limit, source)
            out += _I64.pack(used)
        writer.value((*args, dict(kwargs)) if kwargs else args)
        ident, future = link.request(CALL, writer, sides, self._name)
        try:
            ok, result, used = await future
        except asyncio.CancelledError:
            link.stop(ident)
            raise
        if used:
            limits.spend(used)
        if ok:
            return result
        if route.raises is not None:
            raise route.raises(result)
        raise result

    def _head(self, route: Route) -> bytes:
        """What the call runs, encoded once per route (routes are made once per binding method)."""
        writer = Writer(_NO_PEER)
        for value in (self._name, route.kind, route.method, route.entrypoint, route.props, route.caller):
            writer.value(dict(value) if isinstance(value, Mapping) else value)
        head = len(writer.out).to_bytes(4, "little") + bytes(writer.out)
        if len(self._heads) >= MAX_HEADS:
            self._heads.clear()
        self._heads[route] = head
        return head

    def _state(self, names: list[str], limit: int, source: str) -> bytes:
        """A request's chain, limit and where it is set, encoded once (the same for all its calls)."""
        writer = Writer(_NO_PEER)
        writer.value((names, limit, source))
        state = len(writer.out).to_bytes(4, "little") + bytes(writer.out)
        if len(self._states) >= MAX_HEADS:
            self._states.clear()
        self._states[(*names, limit, source)] = state
        return state

    def _sides_of(self, caller: str | None) -> tuple[Side, Side]:
        printer = self._dialer.printer
        sides = self._sides[caller] = (Side(caller or self._name, printer), Side(self._name, printer))
        return sides

    def __repr__(self) -> str:
        return f"<worker {self._name} in pid {self.pid} at {self.address}>"


def remote_targets(printer: Printer) -> Callable[[Entry, bytes], Target]:
    """The factory the registry's ``Peers`` builds a pyworker entry's target with (one dialer per secret)."""
    dialers: dict[bytes, Dialer] = {}

    def target(entry: Entry, secret: bytes) -> Target:
        dialer = dialers.get(secret)
        if dialer is None:
            dialer = dialers[secret] = Dialer(secret, printer)
        assert entry.pid is not None and entry.address is not None  # a pyworker entry with an endpoint
        return RemoteTarget(entry.name, entry.pid, entry.address, entry.entrypoints, entry.durable_objects, dialer)

    return target

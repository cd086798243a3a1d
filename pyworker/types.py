"""The shared vocabulary, defined once: ASGI's types, and what a binding may ask of a worker.

Everything here is a type or a protocol, so any module may import it without pulling
in the layers above: bindings talk to a :class:`Target`, never to the concrete worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Handler kinds the runtime calls itself; "rpc" is a public method called through a binding;
# "workflow" is a Workflow's run(event, step), called by its engine.
FETCH = "fetch"
RPC = "rpc"
WORKFLOW = "workflow"


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """What one invocation runs: the handler kind, the method, the entrypoint class and its props.

    ``caller`` is the worker making a binding call (``None`` for an event arriving from
    outside, such as an HTTP request). ``returns``, when set, turns the handler's result
    into what the caller receives; it runs inside the callee's invocation, so a result
    that cannot be sent is the callee's error. ``raises``, when set, turns what the
    invocation raised (after it was reported) into what the caller receives. Both are the
    binding's policy; the frame only applies them, and passes a result of one of the types in ``passes``
    (immutable values) on without calling ``returns``. ``actor``, when set, is the Durable Object the
    handler runs on (see :class:`Actor`). Made once per binding method, not per call.
    """

    kind: str
    method: str
    entrypoint: str | None = None
    props: Mapping[str, Any] | None = None
    caller: str | None = None
    returns: Callable[[Any], Any] | None = None
    raises: Callable[[BaseException], BaseException] | None = None
    actor: Actor | None = None
    passes: frozenset[type] = frozenset()


class Actor(Protocol):
    """A Durable Object as the invocation frame sees it: a route with an ``actor`` runs its handler on the
    object's one instance (kept across invocations, on the class ``route.entrypoint`` names) rather than
    on a fresh entrypoint instance."""

    def run(self, handler: Any, code: Any, env: Any, args: tuple[Any, ...]) -> Any:
        """Call ``handler`` (a method of the Durable Object class) on the instance for generation ``code``."""
        ...


class Target(Protocol):
    """A worker as a binding sees it: a name, its entrypoints, and one way in."""

    @property
    def name(self) -> str: ...

    def exports(self, entrypoint: str | None, durable: bool = False) -> bool:
        """Whether the loaded code has entrypoint ``entrypoint`` (``None``: the default), or with ``durable``
        the Durable Object class of that name."""
        ...

    async def invoke(self, route: Route, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        """Run ``route`` with ``args``; exceptions raised by the handler reach the caller."""
        ...


class Directory(Protocol):
    """Looks targets up by name, on every call, so a reloaded or restarted worker is found anew."""

    def get(self, name: str) -> Target | None: ...

    def status(self, name: str) -> str:
        """How a binding to ``name`` stands, for the start-up table: ``connected``, ``connected, pid 1234``
        (another process), ``not running``..."""
        ...

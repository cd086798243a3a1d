"""Service binding stubs: ``env.B.method(...)`` (RPC) and ``env.B.fetch(...)`` (HTTP), in memory."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from pyworker.config.model import ServiceBinding
from pyworker.errors import BindingError
from pyworker.runtime.http import Request, Response

if TYPE_CHECKING:
    from pyworker.registry import WorkerRegistry
    from pyworker.worker import Worker


def not_found_message(service: str) -> str:
    return f'Worker "{service}" not found. Make sure it is running locally.'


class ServiceStub:
    """What ``env.<BINDING>`` holds. Every attribute is an RPC method; calls must be awaited.

    The target is looked up by name on each call, so it may start, stop or reload
    independently of the caller.
    """

    __slots__ = ("_binding", "_caller", "_registry")

    def __init__(self, binding: ServiceBinding, caller: str, registry: WorkerRegistry) -> None:
        self._binding = binding
        self._caller = caller
        self._registry = registry

    def __getattr__(self, method: str) -> Any:
        if method.startswith("__"):
            raise AttributeError(method)
        return partial(self._call, method)

    def _target(self) -> Worker:
        worker = self._registry.get(self._binding.service)
        if worker is None:
            raise BindingError(not_found_message(self._binding.service))
        return worker

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        binding = self._binding
        return await self._target().call(binding.entrypoint, method, args, kwargs, binding.props)

    async def fetch(self, input: str | Request, init: dict[str, Any] | None = None, **options: Any) -> Response:
        """Hand a request to the target's ``fetch`` in memory and return its :class:`Response`."""
        # Always a new Request, as across the isolate boundary: the callee gets its own
        # headers, and the body moves to it (the caller's request counts as read).
        request = Request(input, init, **options)
        worker = self._registry.get(self._binding.service)
        if worker is None:
            return Response(not_found_message(self._binding.service), 503)
        return await worker.fetch(request, self._binding.entrypoint, self._binding.props)

    def __repr__(self) -> str:
        return f"<service binding {self._binding.binding} -> {self._binding.service}>"

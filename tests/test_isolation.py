"""What one worker can reach of another: callbacks run as their owner, and no ordinary attribute path
leads from anything a worker holds to another worker's env, module or secrets, or to the server."""

from __future__ import annotations

import contextlib
import sys
import types
from collections import deque

import httpx
import pytest

from pyworker.runtime.jsvalues import JsException

pytestmark = pytest.mark.anyio

A = """
import json

import workers
from workers import Response, WorkerEntrypoint

GATHERED = {}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        def whoami(label):
            env = workers.env
            return [label, env.NAME, getattr(env, "SECRET", None), sorted(self.ctx.props)]

        return Response(json.dumps(await self.env.B.run(whoami, "from b")))

    async def gather(self):
        env = self.env
        GATHERED["env"] = env
        GATHERED["stub"] = env.B
        GATHERED["method"] = env.B.describe
        GATHERED["call"] = env.B.describe(1)
        GATHERED["described"] = await GATHERED["call"]
        GATHERED["callback"] = await env.B.give_function()
        GATHERED["response"] = await env.B.give_response()
        GATHERED["streamed"] = await env.B.give_stream()
        GATHERED["ctx"] = self.ctx
        GATHERED["workers_env"] = workers.env
        try:
            await env.B.fail()
        except Exception as exc:
            GATHERED["error"] = exc
        return sorted(GATHERED)
"""

B = """
import workers
from workers import Response, WorkerEntrypoint

B_MODULE_SECRET = "b-module-secret-value"


class BResponse(Response):
    pass


class Default(WorkerEntrypoint):
    async def run(self, callback, label):
        return await callback(label)

    async def describe(self, value):
        return {"value": value}

    async def give_function(self):
        secret = self.env.SECRET

        def inner(x):
            return f"{x} {secret}"

        return inner

    async def give_response(self):
        response = BResponse("body", headers={"x-b": "1"})
        response.private_env = self.env
        return response

    async def give_stream(self):
        env = self.env

        async def chunks():
            yield env.SECRET.encode()

        return Response(chunks())

    async def fail(self):
        secret_holder = self.env
        raise ValueError("b failed")
"""


@pytest.fixture
def pair(write_worker, make_server):
    a = write_worker(
        "a",
        {"src/entry.py": A},
        config='name = "a"\nmain = "src/entry.py"\nvars = { NAME = "a" }\n'
        'services = [{ binding = "B", service = "b" }]\n',
    )
    b = write_worker(
        "b",
        {"src/entry.py": B, ".dev.vars": "SECRET=b-secret-value\n"},
        config='name = "b"\nmain = "src/entry.py"\nvars = { NAME = "b" }\n',
    )
    return make_server(a, b)


async def test_a_callback_runs_as_the_worker_that_sent_it(pair):
    transport = httpx.ASGITransport(app=pair.app("a"))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        reply = await client.get("/")
    # b awaited it, but it ran as a: a's workers.env (no b secret), a's ctx.
    assert reply.json() == ["from b", "a", None, []]


async def test_an_error_in_a_callback_is_printed_under_its_owner(write_worker, make_server, output):
    a = write_worker(
        "a",
        {
            "src/entry.py": """
                from workers import WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def go(self):
                        def boom(x):
                            raise KeyError(x)

                        return await self.env.B.run(boom, "k")
            """
        },
        config='name = "a"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "b" }]\n',
    )
    b = write_worker("b", {"src/entry.py": B, ".dev.vars": "SECRET=s\n"})
    server = make_server(a, b)
    with pytest.raises(JsException):
        await server.worker("a").call(None, "go", (), {})
    assert "[a] KeyError: 'k'" in output.lines()


# Leaves, and the shared furniture of the interpreter (modules, classes, builtins): they hold no worker's state,
# and walking them would take minutes. Function globals and closures, tracebacks and frames ARE entered, and
# steps through them do not count against the depth: that is where a worker's objects hide.
_LEAVES = (types.ModuleType, str, bytes, int, float, type(None), type, types.BuiltinFunctionType)
# f_back: the frames above a worker's own are its own invocation (``sys._getframe()`` reaches them in-process);
# what must hold nothing of the callee is what travels with an error, its traceback's frames.
_NOT_ENTERED = {"f_builtins", "__builtins__", "f_code", "__code__", "gi_code", "cr_code", "f_back"}
_FREE = {"__traceback__", "tb_next", "tb_frame", "f_locals", "f_globals", "__globals__", "__func__",
         "__closure__", "cell_contents", "__wrapped__", "__self__"}  # fmt: skip
# pyworker's modules that run invocations and binding calls: their globals lead to every worker's machinery.
_MACHINERY = ("pyworker.worker", "pyworker.registry", "pyworker.runtime.entrypoint", "pyworker.runtime.invocation",
              "pyworker.bindings.calls", "pyworker.bindings.started",
              "pyworker.bindings.service", "pyworker.serving.server", "pyworker.serving.adapter")  # fmt: skip


def _walk(roots: dict[str, object], depth: int = 4):
    """Every object reachable from ``roots`` by attribute access (``dir()``, mangled private names
    included) and container items, to ``depth`` steps; yields (path, object). Modules are not entered:
    an in-process server cannot hide ``sys.modules``."""
    seen: set[int] = set()
    queue = deque((name, value, 0) for name, value in roots.items())
    while queue:
        path, value, level = queue.popleft()
        if id(value) in seen:
            continue
        seen.add(id(value))
        yield path, value
        if level >= depth or isinstance(value, _LEAVES):
            continue
        children: list[tuple[str, object]] = []
        if isinstance(value, dict):
            children += [(f"[{key!r}]", item) for key, item in list(value.items())[:200]]
        elif isinstance(value, list | tuple | set | frozenset | deque):
            children += [(f"[{index}]", item) for index, item in enumerate(list(value)[:200])]
        names = set()
        with contextlib.suppress(Exception):
            names.update(dir(value))
        for klass in type(value).__mro__:
            for slot in getattr(klass, "__slots__", ()):
                names.add(f"_{klass.__name__.lstrip('_')}{slot}" if slot.startswith("__") else slot)
        for name in sorted(names - _NOT_ENTERED):
            try:
                children.append((f".{name}", getattr(value, name)))
            except Exception:
                continue
        for step, child in children:
            free = step.lstrip(".") in _FREE or (step.startswith("[") and path.endswith((".f_locals", ".__closure__")))
            queue.append((path + step, child, level if free else level + 1))


async def test_no_attribute_path_leads_to_another_worker_or_the_server(pair):
    a, b = pair.worker("a"), pair.worker("b")
    names = await a.call(None, "gather", (), {})
    gathered = a.code.module.GATHERED
    assert names == sorted(gathered)
    forbidden = {
        id(b.env): "b's env",
        id(b.code.module): "b's module",
        id(vars(b.code.module)): "b's module globals",
        id(b): "b's worker",
        id(pair.registry): "the registry",
        id(pair): "the server",
    }
    for name in _MACHINERY:
        forbidden[id(vars(sys.modules[name]))] = f"the globals of {name}"
    leaks = []
    for path, value in _walk(gathered):
        if id(value) in forbidden:
            leaks.append(f"{path} -> {forbidden[id(value)]}")
        elif isinstance(value, str | bytes) and value in ("b-secret-value", b"b-secret-value", "b-module-secret-value"):
            leaks.append(f"{path} -> a secret of b")
    assert leaks == [], "\n".join(leaks)

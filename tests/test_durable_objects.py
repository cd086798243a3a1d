"""Durable Objects through real workers: namespaces and ids, stubs (RPC and fetch), one instance per id,
input gates and blockConcurrencyWhile, ctx.storage (KV and SQL), persistence, abort, alarms."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from pyworker.runtime.jsvalues import JsException
from pyworker.storage.state import durable_object_id

pytestmark = pytest.mark.anyio

WORKER = """
import asyncio
from workers import DurableObject, Response, WorkerEntrypoint


class Counter(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.built = getattr(env, "BUILT", 0)
        self.calls = 0

    async def increment(self, by=1):
        value = (await self.ctx.storage.get("n")) or 0
        await self.ctx.storage.put("n", value + by)
        return value + by

    async def slow_increment(self):
        value = (await self.ctx.storage.get("n")) or 0
        await asyncio.sleep(0)
        await self.ctx.storage.put("n", value + 1)
        return value + 1

    def count_calls(self):
        self.calls += 1
        return self.calls

    def who(self):
        return [str(self.ctx.id), self.ctx.id.name]

    async def store(self, op, *args):
        try:
            result = await getattr(self.ctx.storage, op)(*args)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return show(result)

    def sql(self, query, *bindings):
        try:
            cursor = self.ctx.storage.sql.exec(query, *bindings)
            return {"rows": show(cursor.toArray()), "columns": cursor.columnNames, "written": cursor.rowsWritten}
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    async def txn(self):
        storage = self.ctx.storage

        async def move(txn):
            await txn.put("a", 1)
            await txn.put("b", 2)
            txn.rollback()

        await storage.transaction(move)

        def fail():
            storage.kv.put("c", 3)
            raise ValueError("undo")

        try:
            storage.transactionSync(fail)
        except ValueError:
            pass
        kept = storage.transactionSync(lambda: (storage.kv.put("d", 4), "done")[1])
        kv = storage.kv
        listed = [list(pair) for pair in kv.list()]
        await storage.sync()
        await storage.setAlarm(2000000000000)
        alarm = await storage.getAlarm()
        await storage.deleteAlarm()
        return [kept, listed, kv.get("d"), kv.delete("d"), kv.get("d"), alarm, await storage.getAlarm(),
                storage["sql"].databaseSize > 0, self.ctx.storage.sql.exec("SELECT 1 AS x").one()["x"]]

    def after_abort(self):
        storage = self.ctx.storage
        try:
            self.ctx.abort()
        except BaseException as exc:
            aborted = f"{type(exc).__name__}: {exc}"
        try:
            storage.kv.get("x")
        except Exception as exc:
            return [aborted, f"{type(exc).__name__}: {exc}"]

    async def store_bad(self):
        try:
            await self.ctx.storage.put("bad", object())
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    def cursor(self):
        sql = self.ctx.storage.sql
        sql.exec("CREATE TABLE IF NOT EXISTS c (a INTEGER, b BLOB)")
        sql.exec("INSERT INTO c VALUES (1, ?), (2, NULL), (3, NULL)", b"xy")
        results = [list(sql.exec("SELECT a FROM c ORDER BY a").raw())]
        cursor = sql.exec("SELECT a, b FROM c ORDER BY a")
        first = cursor.next()
        results.append([first.done, first.value.a, bytes(first.value["b"]), cursor["columnNames"]])
        results.append([row.a for row in cursor])
        results.append(cursor.next().done)
        for query in ("SELECT a FROM c WHERE a > 5", "SELECT a FROM c"):
            try:
                sql.exec(query).one()
            except Exception as exc:
                results.append(str(exc))
        try:
            len(sql.exec("SELECT 1"))
        except TypeError as exc:
            results.append(str(exc))
        results.append(sql.exec("UPDATE c SET a = a + 10").rowsWritten)
        return results

    def quit(self, reason):
        self.ctx.abort(reason)

    async def fetch(self, request):
        if request.url.endswith("/boom"):
            raise ValueError("boom")
        return Response(f"{request.method} {request.url} n={await self.ctx.storage.get('n')}")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        name = request.url.rsplit("/", 1)[1]
        stub = self.env.COUNTER.getByName(name)
        return Response(str(await stub.increment()))

    async def call(self, name, method, *args):
        stub = self.env.COUNTER.get(self.env.COUNTER.idFromName(name))
        try:
            return await getattr(stub, method)(*args)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    async def ids(self):
        ns = self.env.COUNTER
        a, b = ns.idFromName("a"), ns.idFromName("a")
        u = ns.newUniqueId()
        back = ns.idFromString(str(u))
        results = [str(a), a.toString() == str(a), a.equals(b), a.name, u.name, back.equals(u), len(str(u))]
        for bad in ("zz", "0" * 64):
            try:
                ns.idFromString(bad)
            except Exception as exc:
                results.append(f"{type(exc).__name__}: {exc}")
        stub = ns.getByName("x")
        results += [stub.name, str(stub.id) == str(ns.idFromName("x"))]
        return results

    async def fetch_object(self, name, path="path"):
        try:
            response = await self.env.COUNTER.getByName(name).fetch(f"http://do/{path}", method="POST")
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return [response.status, await response.text()]

    async def concurrent(self, prefix, count, objects):
        stubs = [self.env.COUNTER.getByName(f"{prefix}{i}") for i in range(objects)]
        await asyncio.gather(*(stub.increment() for stub in stubs for _ in range(count)))
        return [await stub.store("get", "n") for stub in stubs]


def show(value):
    if isinstance(value, dict):
        return {"class": type(value).__name__, **{k: show(v) for k, v in value.items()}}
    if isinstance(value, list):
        return [show(v) for v in value]
    if isinstance(value, memoryview):
        return ["memoryview", value.tobytes()]
    if isinstance(value, set):
        return ["set", sorted(value)]
    return value
"""

CONFIG = """
name = "w"
main = "src/entry.py"
compatibility_date = "2025-09-01"

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # paths in messages and tables are relative to the working directory


@pytest.fixture
def worker(write_worker, make_server):
    server = make_server(write_worker("w", {"src/entry.py": WORKER}, CONFIG))
    return server.worker("w")


async def call(worker: Any, method: str, *args: Any) -> Any:
    return await worker.call(None, method, args, {})


async def test_ids_are_workerds(worker) -> None:
    results = await call(worker, "ids")
    assert results == [
        durable_object_id("w-Counter", "a"), True, True, "a", None, True, 64,
        "JsException: TypeError: Invalid Durable Object ID: must be 64 hex digits",
        "JsException: TypeError: Durable Object ID is not valid for this namespace.",
        "x", True,
    ]  # fmt: skip


async def test_rpc_keeps_one_instance_per_id(worker) -> None:
    assert [await call(worker, "call", "a", "count_calls") for _ in range(3)] == [1, 2, 3]
    assert await call(worker, "call", "b", "count_calls") == 1
    assert await call(worker, "call", "a", "who") == [durable_object_id("w-Counter", "a"), "a"]
    assert await call(worker, "call", "a", "nope") == (
        'JsException: TypeError: The RPC receiver does not implement the method "nope".'
    )


async def test_http_through_a_stub_and_fetch_into_the_object(worker, make_server) -> None:
    assert await call(worker, "call", "h", "increment") == 1
    assert await call(worker, "fetch_object", "h") == [200, "POST http://do/path n=1"]
    assert await call(worker, "fetch_object", "h", "boom") == ("JsException: Error: PythonError: ValueError: boom")


async def test_concurrent_increments_end_exact(worker) -> None:
    assert await call(worker, "concurrent", "one", 500, 1) == [500]
    assert await call(worker, "concurrent", "many", 5, 100) == [5] * 100


async def test_storage_values_and_list(worker) -> None:
    async def store(*args: Any) -> Any:
        return await call(worker, "call", "s", "store", *args)

    assert await store("put", "k", {"a": [1, 2.5, None], "b": {"c": True}}) is None
    assert await store("get", "k") == {"class": "JsDict", "a": [1, 2.5, None], "b": {"class": "JsDict", "c": True}}
    assert await store("put", {"x1": "one", "x2": b"two", "y": {1, 2}}) is None
    assert await store("get", ["x1", "x2", "missing"]) == {"class": "JsDict", "x1": "one", "x2": ["memoryview", b"two"]}
    assert await store("get", "y") == ["set", [1, 2]]
    assert await store("list", {"prefix": "x"}) == {"class": "JsDict", "x1": "one", "x2": ["memoryview", b"two"]}
    assert list(await store("list", {"reverse": True, "limit": 2})) == ["class", "y", "x2"]
    assert list(await store("list", {"startAfter": "k", "end": "y"})) == ["class", "x1", "x2"]
    assert await store("delete", "x1") is True
    assert await store("delete", "x1") is False
    assert await store("delete", ["x2", "y", "zz"]) == 2
    assert await call(worker, "call", "s", "store_bad") == (
        'JsException: DataCloneError: Could not serialize object of type "object" (the value put under "bad"). '
        "Send one of: str, int, float, bool, None, list, dict, set, datetime, bytes or memoryview."
    )
    await store("deleteAll")
    assert await store("list") == {"class": "JsDict"}


async def test_sql(worker) -> None:
    async def sql(*args: Any) -> Any:
        return await call(worker, "call", "q", "sql", *args)

    created = await sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES (?), (?)",
                        "a", "b")  # fmt: skip
    assert created == {"rows": [], "columns": [], "written": 2}
    assert await sql("SELECT id, name FROM t WHERE id > ?", 0) == {
        "rows": [{"class": "JsDict", "id": 1, "name": "a"}, {"class": "JsDict", "id": 2, "name": "b"}],
        "columns": ["id", "name"],
        "written": 0,
    }
    assert await sql("SELECT * FROM nope") == "JsException: Error: no such table: nope: SQLITE_ERROR"
    assert (await sql("BEGIN TRANSACTION")).startswith("JsException: Error: To execute a transaction, please use")
    assert await sql("SELECT * FROM _cf_KV") == "JsException: Error: access to _cf_KV.key is prohibited: SQLITE_AUTH"


async def test_abort_drops_the_instance(worker) -> None:
    assert await call(worker, "call", "z", "count_calls") == 1
    assert await call(worker, "call", "z", "quit", "bye") == "JsException: Error: bye"
    assert await call(worker, "call", "z", "count_calls") == 1


async def test_storage_is_a_file_per_object_where_wrangler_keeps_it(worker, write_worker, make_server) -> None:
    assert await call(worker, "call", "p", "increment") == 1
    path = worker.config.directory / ".wrangler/state/v3/do/w-Counter" / f"{durable_object_id('w-Counter', 'p')}.sqlite"
    assert path.is_file()


GATED = """
import asyncio, time
from workers import DurableObject, WorkerEntrypoint


class Gated(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.log = []
        ctx.blockConcurrencyWhile(self.warm_up)

    async def warm_up(self):
        for _ in range(5):  # awaits that let the loop run other tasks: the gate must hold them
            await asyncio.sleep(0)
        self.log.append("warmed")

    async def hold(self):
        self.log.append("hold start")
        result = await self.ctx.blockConcurrencyWhile(self._held)
        self.log.append("hold end")
        return result

    async def _held(self):
        for _ in range(5):
            await asyncio.sleep(0)
        self.log.append("held")
        return 42

    def note(self, text):
        self.log.append(text)
        return list(self.log)

    async def alarm(self, info):
        fired = (await self.ctx.storage.get("fired")) or []
        fired.append([info.retryCount, info["isRetry"], await self.ctx.storage.getAlarm()])
        await self.ctx.storage.put("fired", fired)
        if len(fired) < await self.ctx.storage.get("fail"):
            raise ValueError("alarm failed")

    async def arm(self, delay_ms, fail):
        await self.ctx.storage.put("fail", fail)
        await self.ctx.storage.setAlarm(time.time() * 1000 + delay_ms)
        return (await self.ctx.storage.getAlarm()) is not None

    async def fired(self):
        return [await self.ctx.storage.get("fired"), await self.ctx.storage.getAlarm()]


class Default(WorkerEntrypoint):
    async def order(self):
        stub = self.env.GATED.getByName("g")
        first = stub.note("first")
        holding = stub.hold()
        await asyncio.sleep(0)
        after = stub.note("after")
        return [await first, await holding, await after]

    async def go(self, method, *args):
        return await getattr(self.env.GATED.getByName("a"), method)(*args)
"""

GATED_CONFIG = """
name = "g"
main = "src/entry.py"
durable_objects.bindings = [{ name = "GATED", class_name = "Gated" }]
"""


async def test_block_concurrency_while_holds_other_calls(write_worker, make_server) -> None:
    server = make_server(write_worker("g", {"src/entry.py": GATED}, GATED_CONFIG))
    first, held, after = await server.worker("g").call(None, "order", (), {})
    assert first == ["warmed", "first"]
    assert held == 42
    assert after == ["warmed", "first", "hold start", "held", "hold end", "after"]


async def test_alarm_fires_and_retries_with_info(write_worker, make_server, output) -> None:
    server = make_server(write_worker("g", {"src/entry.py": GATED}, GATED_CONFIG))
    objects = server.host.objects
    objects.retry_delay = 0.001
    worker = server.worker("g")
    assert await worker.call(None, "go", ("arm", 0, 3), {}) is True
    for _ in range(3):
        await asyncio.wait_for(objects.alarm_ran(), 10)
    assert await worker.call(None, "go", ("fired",), {}) == [[[0, False, None], [1, True, None], [2, True, None]], None]
    assert output.getvalue().count("ValueError: alarm failed") == 2
    assert MIGRATION_WARNING not in output.getvalue()  # printed with the start-up table


MIGRATION_WARNING = (
    "wrangler.toml in g: you have configured `durable_objects` exported by this Worker (Gated), but no `migrations` "
    "for them."
)


async def test_alarm_set_before_a_restart_fires_after_it(write_worker, make_server) -> None:
    directory = write_worker("g", {"src/entry.py": GATED}, GATED_CONFIG)
    first = make_server(directory)
    assert await first.worker("g").call(None, "go", ("arm", 60_000, 1), {}) is True
    [slot] = list(first.host.objects)
    await first.host.objects.stop()
    slot.store.set_alarm(time.time() * 1000 - 1)  # as if the minute passed while the server was down
    first.storage.close()
    second = make_server(directory)
    second.host.objects.start()
    await asyncio.wait_for(second.host.objects.alarm_ran(), 10)
    assert await second.worker("g").call(None, "go", ("fired",), {}) == [[[0, False, None]], None]


async def test_a_reload_of_its_worker_makes_a_new_instance_from_storage(worker) -> None:
    assert [await call(worker, "call", "r", "increment") for _ in range(2)] == [1, 2]
    assert await call(worker, "call", "r", "count_calls") == 1
    worker.load()  # a reload of the object's own worker
    assert await call(worker, "call", "r", "count_calls") == 1  # a new instance
    assert await call(worker, "call", "r", "increment") == 3  # from the same storage


async def test_storage_and_sql_survive_a_restart(write_worker, make_server) -> None:
    directory = write_worker("w", {"src/entry.py": WORKER}, CONFIG)
    first = make_server(directory).worker("w")
    await call(first, "call", "keep", "increment", 41)
    await call(first, "call", "keep", "sql", "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('yes')")
    second = make_server(directory).worker("w")  # a second server on the same state, as after a restart
    assert await call(second, "call", "keep", "increment") == 42
    assert (await call(second, "call", "keep", "sql", "SELECT v FROM kept"))["rows"] == [
        {"class": "JsDict", "v": "yes"}
    ]


CALLER = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def go(self, binding, method="increment"):
        try:
            return await getattr(getattr(self.env, binding).getByName("x"), method)()
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
"""

CALLER_CONFIG = """
name = "caller"
main = "src/entry.py"
durable_objects.bindings = [
  { name = "REMOTE", class_name = "Counter", script_name = "w" },
  { name = "MISSING", class_name = "Counter", script_name = "elsewhere" },
  { name = "NOCLASS", class_name = "Nope", script_name = "w" },
]
"""


async def test_script_name_reaches_another_workers_class(
    write_worker, make_server, output, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    server = make_server(
        write_worker("w", {"src/entry.py": WORKER}, CONFIG),
        write_worker("caller", {"src/entry.py": CALLER}, CALLER_CONFIG),
    )
    caller = server.worker("caller")
    assert await caller.call(None, "go", ("REMOTE",), {}) == 1
    assert await call(server.worker("w"), "call", "x", "increment") == 2  # the same object
    assert await caller.call(None, "go", ("REMOTE", "count_calls"), {}) == 1
    caller.load()  # a reload of another worker keeps the object's instance
    assert await caller.call(None, "go", ("REMOTE", "count_calls"), {}) == 2
    assert await caller.call(None, "go", ("MISSING",), {}) == (
        'BindingError: Worker "elsewhere" is not running: start it in this pyworker dev, '
        "or in another pyworker dev or wrangler dev on this machine."
    )
    assert await caller.call(None, "go", ("NOCLASS",), {}) == (
        'NoEntrypoint: Worker "w" does not export a Durable Object class named "Nope".'
    )
    from pyworker.bindings.env import describe_bindings

    assert describe_bindings(caller.config, server.host) == [
        "REMOTE -> Durable Object Counter of w (w/.wrangler/state/v3/do/w-Counter)",
        "MISSING -> Durable Object Counter of elsewhere (worker elsewhere not running)",
        "NOCLASS -> Durable Object Nope of w (not exported by w)",
    ]
    assert (
        '[caller] Durable Object binding NOCLASS: worker "w" does not export a class named "Nope". Export it from its '
        "main module (a subclass of workers.DurableObject)."
    ) in output.lines()


async def test_transactions_sync_kv_and_the_alarm_api(worker) -> None:
    assert await call(worker, "call", "t", "txn") == [
        "done", [["d", 4]], 4, True, None, 2000000000000, None, True, 1
    ]  # fmt: skip


async def test_storage_after_abort_refuses(worker) -> None:
    aborted, refused = await call(worker, "call", "ab", "after_abort")
    assert aborted == "DurableObjectAbort: Durable Object abort requested"
    assert refused == (
        f"JsException: Error: Durable Object Counter {durable_object_id('w-Counter', 'ab')} (worker w) was reset "
        "(ctx.abort() or an error in blockConcurrencyWhile()); this instance's storage is closed. Make a new call "
        "through the namespace to reach a new instance."
    )


async def test_namespace_refusals(worker) -> None:
    namespace = worker.env.COUNTER
    with pytest.raises(JsException, match=r"^TypeError: Failed to execute 'get' on 'DurableObjectNamespace': "):
        namespace.get("abc")
    assert str(namespace.jurisdiction("eu").idFromName("a")) == str(namespace.idFromName("a"))
    with pytest.raises(JsException, match=r'^TypeError: Unknown jurisdiction \'mars\': use one of "eu", '):
        namespace.jurisdiction("mars")
    with pytest.raises(AttributeError):
        namespace.id_from_name("a")  # JavaScript's names only, as the SDK passes them through


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('durable_objects = { bindings = [{ name = "X" }] }',
         'Durable Object binding X needs "class_name", the exported class, got None.'),
        ('durable_objects = { bindings = [{ class_name = "X" }] }',
         'a Durable Object binding needs "name", a valid name, got None.'),
        ('durable_objects = "x"', '"durable_objects" must be a table with "bindings", a list like '
         '[{ name = "COUNTER", class_name = "Counter" }].'),
    ],
)  # fmt: skip
async def test_config_mistakes_are_one_line(write_worker, make_server, section, message) -> None:
    from pyworker.errors import ConfigError

    directory = write_worker("bad", {"src/entry.py": WORKER}, f'name = "bad"\nmain = "src/entry.py"\n{section}\n')
    with pytest.raises(ConfigError) as caught:
        make_server(directory)
    assert str(caught.value) == f"wrangler.toml in bad: {message}"


async def test_a_class_without_migration_gets_wranglers_warning(write_worker, make_server, output) -> None:
    from pyworker.bindings.env import describe_bindings

    server = make_server(write_worker("g", {"src/entry.py": GATED}, GATED_CONFIG))
    describe_bindings(server.worker("g").config, server.host)
    assert [line for line in output.lines() if "migrations" in line] == [
        f"Warning: {MIGRATION_WARNING} This may not work as expected until you add a `migrations` section. "
        'Add: [[migrations]] tag = "v1" new_sqlite_classes = ["Gated"]'
    ]


async def test_a_reload_mid_traffic_loses_no_acknowledged_write(worker) -> None:
    reloaded = asyncio.Event()
    acknowledged: list[int] = []
    instances: list[int] = []

    async def traffic() -> None:
        while not reloaded.is_set() or len(acknowledged) < 300:
            acknowledged.append(await call(worker, "call", "busy", "increment"))
            instances.append(await call(worker, "call", "busy", "count_calls"))
            await asyncio.sleep(0)  # other tasks (the reload's swap) run between calls

    async def reload() -> None:
        await worker.load_in_thread()  # a reload of the object's own worker while calls run
        reloaded.set()

    await asyncio.gather(traffic(), reload())
    assert acknowledged == list(range(1, len(acknowledged) + 1))
    assert await call(worker, "call", "busy", "store", "get", "n") == len(acknowledged)
    assert 1 in instances[1:]  # a new instance took over mid-traffic, from the same storage


async def test_cloudflare_example_07_durable_objects(tmp_path, make_server) -> None:
    import shutil

    import httpx

    from tests.conftest import FIXTURES

    directory = shutil.copytree(FIXTURES / "examples/07-durable-objects", tmp_path / "07")
    app = make_server(directory).app("python-durable-object")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client:
        assert (await client.get("/l1/show")).text == "No messages"
        assert (await client.get("/l1/add/hello")).text == "Message sent"
        assert (await client.get("/l1/add/world")).text == "Message sent"
        assert (await client.get("/l2/add/other")).text == "Message sent"
        assert (await client.get("/l1/show")).text == "hello\nworld"
        assert (await client.get("/")).status_code == 400
    assert len(list((directory / ".wrangler/state/v3/do/python-durable-object-List").glob("*.sqlite"))) == 2


async def test_persist_to_holds_the_objects(write_worker, tmp_path, output) -> None:
    from pyworker.config import load_config
    from pyworker.options import DevOptions
    from pyworker.printer import Printer
    from pyworker.serving.server import DevServer

    directory = write_worker("w", {"src/entry.py": WORKER}, CONFIG)
    options = DevOptions(persist_to=tmp_path / "elsewhere")
    server = DevServer(options, Printer(output, colour=False), [load_config(directory)])
    server.load()
    try:
        assert await call(server.worker("w"), "call", "p", "increment") == 1
    finally:
        server.storage.close()
        server.worker("w").code.unload()
    name = durable_object_id("w-Counter", "p")
    assert (tmp_path / "elsewhere/v3/do/w-Counter" / f"{name}.sqlite").is_file()
    assert not (directory / ".wrangler").exists()


async def test_a_corrupt_object_file_is_one_line_and_left_untouched(worker, output) -> None:
    folder = worker.config.directory / ".wrangler/state/v3/do/w-Counter"
    folder.mkdir(parents=True)
    path = folder / f"{durable_object_id('w-Counter', 'bad')}.sqlite"
    path.write_bytes(b"not a database" * 100)
    message = (
        f"Durable Object Counter {path.stem}: its state file {path} is not a usable SQLite database (file is not a "
        "database). pyworker leaves it untouched: move it aside to start afresh, or restore it from a backup."
    )
    assert await call(worker, "call", "bad", "increment") == (
        f"JsException: Error: PythonError: pyworker.errors.StorageError: {message}"
    )
    assert f"[w] pyworker.errors.StorageError: {message}" in output.lines()
    assert "sqlite3" not in output.getvalue()
    assert path.read_bytes() == b"not a database" * 100


async def test_sql_cursor(worker) -> None:
    assert await call(worker, "call", "cur", "cursor") == [
        [[1], [2], [3]],
        [False, 1, b"xy", ["a", "b"]],
        [2, 3],
        True,
        "Error: Expected exactly one result from SQL query, but got no results.",
        "Error: Expected exactly one result from SQL query, but got multiple results.",
        "'SqlStorageCursor' object has no len()",
        3,
    ]

"""The l key's table: each worker's URL, state (loading, ready, failed, reloading) and bindings."""

from __future__ import annotations

from pyworker.session.listing import listing, rows
from tests.conftest import FIXTURES


def test_rows_name_url_state_and_bindings(make_server, output):
    server = make_server(FIXTURES / "seed/worker_a", FIXTURES / "seed/worker_b")
    server.urls = lambda: ["http://127.0.0.1:9"]
    server.url_of = lambda name: "http://127.0.0.1:9" if name == "worker_a" else None
    assert rows(server) == [
        ["worker_a", "http://127.0.0.1:9", "ready", "WORKER_B -> worker_b (connected)"],
        ["worker_b", "internal", "ready", ""],
    ]
    server.worker("worker_b").reloading = 1
    assert rows(server)[1][2] == "reloading"
    listing(server)
    assert output.lines()[-1].startswith("Local data (KV, D1, R2): ")

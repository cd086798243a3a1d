"""Local storage for the bindings that keep data (KV, D1, R2, and Durable Objects, Workflows and Queues next).

Everything lives under one state directory (``.wrangler/state/v3``, as with ``wrangler dev``):
:mod:`~pyworker.storage.state` names the files, :mod:`~pyworker.storage.sqlite` runs SQLite
without stalling the event loop, :mod:`~pyworker.storage.blobs` keeps large values in files
whose names never come from user keys. ``kv``, ``d1`` and ``r2`` hold each kind's data model,
shared by the bindings and the ``pyworker d1|kv|r2`` commands.
"""

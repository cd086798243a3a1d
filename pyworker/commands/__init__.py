"""``pyworker d1 | kv | r2``: wrangler's local data commands, on the same files ``pyworker dev`` uses.

Each command reads the configs given with ``-c`` (the current directory by default) and
``-e`` as ``pyworker dev`` does, and the same state directory (``--persist-to``, else the
first config's ``.wrangler/state``), so it works on the data of a running server: SQLite's
WAL lets both write. Messages go through the :class:`~pyworker.printer.Printer` (to
stderr); data (values, rows, JSON) goes to stdout, so it can be piped.
"""

"""Tools that read a project without serving it: ``check``, ``types``, ``init``.

Each is a plain function the CLI calls (:mod:`pyworker.cli.tools` only parses options);
the binding kinds they know are one table, :mod:`pyworker.tools.kinds`.
"""

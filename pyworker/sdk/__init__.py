"""Modules worker code imports as ``workers`` and ``asgi`` (see :mod:`pyworker.loading.modules`)."""

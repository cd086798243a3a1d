"""The Cloudflare Python Workers API as pyworker implements it (Request, Response, entrypoints...).

Worker code reaches these through the ``workers`` and ``asgi`` modules in :mod:`pyworker.sdk`.
"""

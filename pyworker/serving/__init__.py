"""Serving workers over HTTP: the ASGI adapter, sockets, and the dev server."""

"""pyworker: a local dev server for Cloudflare-style Python Workers."""

from __future__ import annotations

__version__ = "0.1.0"

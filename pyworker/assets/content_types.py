"""The content type of an asset, from its extension: one table, the same on every machine.

Cloudflare's asset worker takes the type from the file name (the ``mime`` package's table)
and adds ``charset=utf-8`` to text types; the OS's ``mimetypes`` differs between machines.
"""

from __future__ import annotations

DEFAULT = "application/octet-stream"

_UTF8 = "; charset=utf-8"

TYPES: dict[str, str] = {
    # text
    "html": "text/html" + _UTF8, "htm": "text/html" + _UTF8, "shtml": "text/html" + _UTF8,
    "css": "text/css" + _UTF8, "js": "text/javascript" + _UTF8, "mjs": "text/javascript" + _UTF8,
    "cjs": "application/node", "txt": "text/plain" + _UTF8, "text": "text/plain" + _UTF8,
    "md": "text/markdown" + _UTF8, "markdown": "text/markdown" + _UTF8, "csv": "text/csv" + _UTF8,
    "xml": "text/xml" + _UTF8, "ics": "text/calendar" + _UTF8, "vtt": "text/vtt" + _UTF8,
    "yaml": "text/yaml" + _UTF8, "yml": "text/yaml" + _UTF8, "rtf": "text/rtf" + _UTF8,
    # data
    "json": "application/json", "map": "application/json", "jsonld": "application/ld+json",
    "webmanifest": "application/manifest+json", "wasm": "application/wasm", "pdf": "application/pdf",
    "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
    "rss": "application/rss+xml", "atom": "application/atom+xml", "xhtml": "application/xhtml+xml",
    "bin": "application/octet-stream", "toml": "application/toml",
    # images
    "svg": "image/svg+xml", "svgz": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg",
    "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif",
    "ico": "image/vnd.microsoft.icon", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff",
    "apng": "image/apng", "heic": "image/heic", "jxl": "image/jxl",
    # fonts
    "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
    "eot": "application/vnd.ms-fontobject",
    # audio and video
    "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "oga": "audio/ogg", "flac": "audio/flac",
    "m4a": "audio/mp4", "aac": "audio/aac", "opus": "audio/ogg", "weba": "audio/webm",
    "mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm", "ogv": "video/ogg", "mov": "video/quicktime",
    "avi": "video/x-msvideo", "mpeg": "video/mpeg", "ts": "video/mp2t",
}  # fmt: skip


def content_type(name: str) -> str:
    """``text/css; charset=utf-8`` for ``style.css``; ``application/octet-stream`` when unknown."""
    _, dot, extension = name.rpartition(".")
    if not dot or "/" in extension:
        return DEFAULT
    return TYPES.get(extension.lower(), DEFAULT)

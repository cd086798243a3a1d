"""``request.cf`` of incoming requests: wrangler's offline values, or a project's own JSON file.

wrangler dev gives every incoming request a ``cf`` object. Offline it uses Miniflare's fallback
(``fallbackCf`` in ``packages/miniflare/src/cf.ts`` of cloudflare/workers-sdk): a request from
Austin, Texas through the DFW colo. pyworker uses the same values. A project may override them
with a JSON object in a file (``[dev] cf = "cf.json"`` or ``pyworker dev --cf FILE``), merged over
these, so a file with ``{"country": "DE"}`` changes only the country and a full ``cf.json``
(such as the one wrangler caches in ``.wrangler/cache/cf.json``) replaces them all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyworker.errors import ConfigError

_EMPTY_CERT = ("IssuerDN", "SubjectDN", "IssuerDNRFC2253", "SubjectDNRFC2253", "IssuerDNLegacy",
               "SubjectDNLegacy", "Serial", "IssuerSerial", "SKI", "IssuerSKI", "FingerprintSHA1",
               "FingerprintSHA256", "NotBefore", "NotAfter", "RFC9440", "ChainRFC9440")  # fmt: skip

FALLBACK_CF: dict[str, Any] = {
    "asOrganization": "",
    "asn": 395747,
    "colo": "DFW",
    "city": "Austin",
    "region": "Texas",
    "regionCode": "TX",
    "metroCode": "635",
    "postalCode": "78701",
    "country": "US",
    "continent": "NA",
    "timezone": "America/Chicago",
    "latitude": "30.27130",
    "longitude": "-97.74260",
    "clientTcpRtt": 0,
    "httpProtocol": "HTTP/1.1",
    "requestPriority": "weight=192;exclusive=0",
    "tlsCipher": "AEAD-AES128-GCM-SHA256",
    "tlsVersion": "TLSv1.3",
    "tlsClientAuth": {
        "certPresented": "0",
        "certVerified": "NONE",
        "certRevoked": "0",
        **{f"cert{name}": "" for name in _EMPTY_CERT},
        "certRFC9440TooLarge": False,
        "certChainRFC9440TooLarge": False,
    },
    "edgeRequestKeepAliveStatus": 0,
    "clientTrustScore": 99,
    "botManagement": {
        "corporateProxy": False,
        "verifiedBot": False,
        "ja3Hash": "25b4882c2bcb50cd6b469ff28c596742",
        "staticResource": False,
        "detectionIds": [],
        "score": 99,
    },
}


def read_cf(path: Path, where: str, shown: str | None = None) -> dict[str, Any]:
    """The ``cf`` object from the JSON file at ``path``, merged over :data:`FALLBACK_CF`.

    ``where`` names what asked for the file (``wrangler.toml in api: dev.cf``, ``--cf``); messages
    name the file as ``shown`` (as the config wrote it), else as ``path``.
    """
    name = shown if shown is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where} points to {name}, which does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where} points to {name}, which cannot be read: {exc}.") from exc
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{where} points to {name}, which is not valid JSON: {exc}.") from None
    if not isinstance(value, dict):
        raise ConfigError(
            f'{where} points to {name}, which holds {type(value).__name__}, not a JSON object like {{"country": "DE"}}.'
        )
    return {**FALLBACK_CF, **value}

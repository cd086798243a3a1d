"""A small HTTP/1.1 keep-alive load generator, for machines without ``wrk``.

python bench/loadgen.py URL [--connections 50] [--duration 5] [--warmup 1]

Runs in its own process (never inside the server's), one asyncio loop, ``--connections``
keep-alive connections, each sending its next GET as soon as the previous response is
complete. Only responses completed inside the measured window count; the warm-up before it
is discarded. Prints one JSON object: requests, rps, p50_ms, p99_ms, errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from _common import percentile


@dataclass
class Window:
    """When samples count (perf_counter seconds) and what was seen inside that window."""

    start: float
    end: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


class _Connection(asyncio.Protocol):
    """One keep-alive connection: send a request, read the whole response, send the next."""

    def __init__(self, request: bytes, window: Window) -> None:
        self.request = request
        self.window = window
        self.buffer = bytearray()
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.sent_at = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            size, status = _response_size(self.buffer)
            if size is None:
                return
            del self.buffer[:size]
            now = time.perf_counter()
            if self.window.start <= now <= self.window.end:
                if status == 200:
                    self.window.latencies.append(now - self.sent_at)
                else:
                    self.window.errors += 1
            if now >= self.window.end:
                assert self.transport is not None
                self.transport.close()
                return
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.finished.done():
            self.finished.set_result(None)


def _response_size(buffer: bytearray) -> tuple[int | None, int]:
    """Length of the first complete response in ``buffer`` (None if incomplete) and its status."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None, 0
    head = bytes(buffer[:head_end]).lower()
    status = int(head[9:12])
    marker = head.find(b"\r\ncontent-length:")
    if marker >= 0:
        line_end = head.find(b"\r\n", marker + 2)
        length = int(head[marker + 17 : line_end if line_end >= 0 else None])
        total = head_end + 4 + length
        return (total if len(buffer) >= total else None), status
    if b"\r\ntransfer-encoding: chunked" in head:
        terminator = buffer.find(b"\r\n0\r\n\r\n", head_end)
        return (terminator + 7 if terminator >= 0 else None), status
    raise ValueError(f"Response without Content-Length or chunked encoding: {bytes(buffer[:head_end])!r}")


async def _drive(host: str, port: int, request: bytes, window: Window) -> None:
    loop = asyncio.get_running_loop()
    while time.perf_counter() < window.end:
        try:
            _, connection = await loop.create_connection(lambda: _Connection(request, window), host, port)
        except OSError:
            window.errors += 1
            await asyncio.sleep(0.01)  # the server refused: back off briefly, then reconnect
            continue
        await connection.finished


async def run(url: str, connections: int = 50, duration: float = 5.0, warmup: float = 1.0) -> dict[str, float]:
    """Load ``url`` for ``warmup + duration`` seconds; report only the last ``duration``."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: pyworker-bench\r\n\r\n".encode()
    start = time.perf_counter() + warmup
    window = Window(start, start + duration)
    await asyncio.wait_for(
        asyncio.gather(*(_drive(host, port, request, window) for _ in range(connections))),
        timeout=warmup + duration + 30,
    )
    latencies = window.latencies
    if not latencies:
        raise RuntimeError(f"No successful response from {url} in {duration}s ({window.errors} errors).")
    return {
        "requests": len(latencies),
        "rps": len(latencies) / duration,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": window.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.connections, args.duration, args.warmup))))


if __name__ == "__main__":
    main()

"""Mutual authentication of a connection between pyworker processes, with the registry's secret.

Only a process that can read the per-registry secret file (mode 0600: the same user) can call
our workers, and we talk only to a process that can: both sides send a fresh random nonce and
prove the secret with HMAC-SHA256 over both nonces, labelled by role so that a proof can
neither be replayed nor reflected. The endpoint speaks first::

    endpoint -> caller: b"PYWK" 0x01 nonce_e(32)
    caller -> endpoint: nonce_c(32) pid_c(u32) HMAC(secret, "pyworker caller" nonce_e nonce_c pid_c)
    endpoint -> caller: pid_e(u32) HMAC(secret, "pyworker endpoint" nonce_e nonce_c pid_e)

Each side learns the other's pid (for error messages); frames follow only after both proofs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from pyworker.errors import PyworkerError

MAGIC = b"PYWK\x01"
_NONCE = 32
_MAC = 32
HELLO_SIZE = len(MAGIC) + _NONCE
CALLER_SIZE = _NONCE + 4 + _MAC
ENDPOINT_SIZE = 4 + _MAC


class AuthError(PyworkerError):
    """The other side of a connection did not prove the registry secret."""


def _mac(secret: bytes, label: bytes, *parts: bytes) -> bytes:
    return hmac.new(secret, label + b"".join(parts), hashlib.sha256).digest()


class Handshake:
    """One side's state; :meth:`feed` takes the bytes received so far and says what to send."""

    def __init__(self, secret: bytes, endpoint: bool) -> None:
        self.secret = secret
        self.endpoint = endpoint
        self.own = secrets.token_bytes(_NONCE)
        self.theirs = b""
        self.buffer = b""
        self.peer_pid = 0
        self.done = False

    def hello(self) -> bytes:
        """What the endpoint sends as soon as a caller connects."""
        return MAGIC + self.own

    def feed(self, data: bytes) -> tuple[bytes, bytes | None]:
        """``(to send, rest)``: ``rest`` is ``None`` until the handshake is over, then the bytes after it."""
        self.buffer += data
        out = b""
        while not self.done:
            need = CALLER_SIZE if self.endpoint else (ENDPOINT_SIZE if self.theirs else HELLO_SIZE)
            if len(self.buffer) < need:
                return out, None
            message, self.buffer = self.buffer[:need], self.buffer[need:]
            if self.endpoint:
                out += self._caller_proof(message)
            elif not self.theirs:
                out += self._hello(message)
            else:
                self._endpoint_proof(message)
        return out, self.buffer

    def _caller_proof(self, message: bytes) -> bytes:
        nonce, pid, proof = message[:_NONCE], message[_NONCE : _NONCE + 4], message[_NONCE + 4 :]
        if not hmac.compare_digest(proof, _mac(self.secret, b"pyworker caller", self.own, nonce, pid)):
            raise AuthError("it did not prove the registry secret")
        self.peer_pid, self.done = int.from_bytes(pid, "big"), True
        mine = os.getpid().to_bytes(4, "big")
        return mine + _mac(self.secret, b"pyworker endpoint", self.own, nonce, mine)

    def _hello(self, message: bytes) -> bytes:
        if not message.startswith(MAGIC):
            raise AuthError("it does not speak pyworker's protocol (version 1)")
        self.theirs = message[len(MAGIC) :]
        mine = os.getpid().to_bytes(4, "big")
        return self.own + mine + _mac(self.secret, b"pyworker caller", self.theirs, self.own, mine)

    def _endpoint_proof(self, message: bytes) -> None:
        pid, proof = message[:4], message[4:]
        if not hmac.compare_digest(proof, _mac(self.secret, b"pyworker endpoint", self.theirs, self.own, pid)):
            raise AuthError("it did not prove the registry secret")
        self.peer_pid, self.done = int.from_bytes(pid, "big"), True

"""Proofs of knowing the gateway's token without sending it: HMAC-SHA256 of the token over both sides' nonces.

A client asks the gateway to prove it knows the token (docs/PROTOCOL.md's `auth_challenge`) before it gives
anything: a program that took the gateway's port after it died (a squatter) cannot, and gets no secret. The client then
registers with its own proof (`token_proof`) instead of the token."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SERVER, CLIENT = "imjoy-hpc gateway", "imjoy-hpc client"  # the roles: a proof of one is no proof of the other
MAX_NONCE = 128
TAB_PREFIX = "tab"


def tab_key(token: str, process: str) -> str:
    """The key a page keeps instead of the token (`tab.<process>.<mac>`): worth the token with this gateway
    process only, so a program that later holds the port (and so the page's storage) learns nothing it can use."""
    mac = hmac.new(token.encode(), f"imjoy-hpc tab\n{process}".encode(), hashlib.sha256).hexdigest()
    return f"{TAB_PREFIX}.{process}.{mac}"


def nonce() -> str:
    """A fresh random nonce (192 bits, URL-safe text)."""
    return secrets.token_urlsafe(24)


def proof(token: str, role: str, client_nonce: str, server_nonce: str) -> str:
    """`role`'s proof of knowing `token` for this pair of nonces (hex)."""
    message = f"{role}\n{client_nonce}\n{server_nonce}".encode()
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


def proof_matches(given: object, token: str, role: str, client_nonce: object, server_nonce: object) -> bool:
    """Whether `given` is `role`'s proof for these nonces (constant time; False for anything malformed)."""
    if not all(isinstance(v, str) and 0 < len(v) <= MAX_NONCE for v in (given, client_nonce, server_nonce)):
        return False
    return hmac.compare_digest(str(given), proof(token, role, str(client_nonce), str(server_nonce)))


class Tickets:
    """Server nonces the gateway can check without keeping them: `random.mac`, the mac keyed by a secret of this
    gateway process, so that a ticket (and a client's proof over it) is worth nothing once the process has ended,
    even to a gateway started again with the same pinned token. A page that cannot run the socket.io challenge on
    its own connection (the published JS client registers as soon as it connects) gets a ticket over HTTP
    (`GET /api/challenge`), checks the gateway's proof, then registers with its proof over the ticket: the token
    never leaves the page."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def issue(self, client_nonce: str) -> str:
        rand = secrets.token_urlsafe(18)
        return f"{rand}.{self._mac(client_nonce, rand)}"

    def valid(self, client_nonce: object, server_nonce: object) -> bool:
        if not isinstance(client_nonce, str) or not isinstance(server_nonce, str) or "." not in server_nonce:
            return False
        rand, mac = server_nonce.split(".", 1)
        return hmac.compare_digest(mac, self._mac(client_nonce, rand))

    def _mac(self, client_nonce: str, rand: str) -> str:
        return hmac.new(self._key, f"{client_nonce}\n{rand}".encode(), hashlib.sha256).hexdigest()[:32]

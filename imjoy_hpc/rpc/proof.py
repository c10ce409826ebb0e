"""Proofs of knowing the gateway's token without sending it: HMAC-SHA256 of the token over both sides' nonces.

A client asks the gateway to prove it knows the token (PROTOCOL.md's `auth_challenge`) before it gives anything:
a program that took the gateway's port after it died (a squatter) cannot, and gets no secret. The client then
registers with its own proof (`token_proof`) instead of the token."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SERVER, CLIENT = "imjoy-hpc gateway", "imjoy-hpc client"  # the roles: a proof of one is no proof of the other
MAX_NONCE = 128


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

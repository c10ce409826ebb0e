"""GET /api/challenge?client_nonce=...: the gateway proves it knows the token before a page gives it anything.

The answer is a ticket of this gateway process and an HMAC of the token over both nonces (rpc/proof.py). The page
checks it with the token it holds and registers with its own proof over the ticket, never with the token: a
program that took the port of a gateway that died (a squatter) cannot answer, and learns nothing it could use."""

from __future__ import annotations

import json
from typing import Any, Callable

import tornado.web

from imjoy_hpc.gateway.http import GuardedMixin
from imjoy_hpc.rpc.proof import MAX_NONCE

CHALLENGE_PATH = "/api/challenge"


@tornado.web.stream_request_body
class ChallengeHandler(GuardedMixin, tornado.web.RequestHandler):
    """The gateway's proof for a client nonce; CORS for the origins the gateway allows (the engine plugin)."""

    def initialize(self, host_allowed: Callable[[str], bool], challenge: Callable[[str], dict],
                   origin_allowed: Callable[[str | None, dict], bool]) -> None:
        self.host_allowed = host_allowed
        self.challenge = challenge
        self.origin_allowed = origin_allowed

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Vary", "Origin")

    def get(self) -> Any:
        origin = self.request.headers.get("Origin")
        environ = {"wsgi.url_scheme": self.request.protocol, "HTTP_HOST": self.request.host}
        if origin is not None and not self.origin_allowed(origin, environ):
            self.set_status(403)
            return self.finish({"success": False, "detail": f"origin {origin} is not allowed"})
        if origin is not None:
            self.set_header("Access-Control-Allow-Origin", origin)
        client_nonce = self.get_query_argument("client_nonce", "")
        if not 16 <= len(client_nonce) <= MAX_NONCE:
            self.set_status(400)
            return self.finish({"success": False, "detail": "client_nonce must be 16 to 128 characters"})
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.challenge(client_nonce)))

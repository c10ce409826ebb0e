"""Plain HTTP handlers of the front door: the web page, its static files and a token-protected info endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import tornado.web

from imjoy_hpc import __version__
from imjoy_hpc.gateway.auth import tokens_match

STATIC_DIR = Path(__file__).with_name("static")
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # the vendored imjoy-rpc client calls eval() while loading, hence 'unsafe-eval' (scripts still only from here)
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-eval'; connect-src 'self' ws: wss:; "
                               "img-src 'self' data: blob:; style-src 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


class GuardedMixin:
    """Refuses requests whose Host header is not one the gateway answers to (DNS-rebinding guard)."""

    host_allowed: Callable[[str], bool]

    def prepare(self) -> None:  # type: ignore[override]
        if not self.host_allowed(self.request.host):  # type: ignore[attr-defined]
            raise tornado.web.HTTPError(403, reason="Host not allowed")


class PageHandler(GuardedMixin, tornado.web.RequestHandler):
    def initialize(self, host_allowed: Callable[[str], bool]) -> None:
        self.host_allowed = host_allowed

    def set_default_headers(self) -> None:
        for key, value in SECURITY_HEADERS.items():
            self.set_header(key, value)

    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write((STATIC_DIR / "index.html").read_bytes())


class StaticHandler(GuardedMixin, tornado.web.StaticFileHandler):
    def initialize(self, path: str, host_allowed: Callable[[str], bool]) -> None:  # type: ignore[override]
        super().initialize(path)
        self.host_allowed = host_allowed

    def set_default_headers(self) -> None:
        for key, value in SECURITY_HEADERS.items():
            self.set_header(key, value)


class InfoHandler(GuardedMixin, tornado.web.RequestHandler):
    """GET /api/info with `Authorization: Bearer <token>`: version, plugin instances and jobs."""

    def initialize(self, host_allowed: Callable[[str], bool], token: str, info: Callable[[], Any]) -> None:
        self.host_allowed = host_allowed
        self.token = token
        self.info = info

    def get(self) -> None:
        header = self.request.headers.get("Authorization", "")
        given = header[len("Bearer "):] if header.startswith("Bearer ") else None
        if not tokens_match(given, self.token):
            self.set_status(401)
            self.write({"success": False, "detail": "missing or wrong token (Authorization: Bearer <token>)"})
            return
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({"success": True, "version": __version__, **self.info()}, default=str))


def handlers(socket_handler: type, *, host_allowed: Callable[[str], bool], token: str,
             info: Callable[[], Any]) -> list:
    """Routes of the front door."""

    class GuardedSocket(socket_handler):  # type: ignore[misc, valid-type]
        def prepare(self):
            if not host_allowed(self.request.host):
                raise tornado.web.HTTPError(403, reason="Host not allowed")
            return super().prepare()

    guard = {"host_allowed": host_allowed}
    return [
        (r"/socket.io/", GuardedSocket),
        (r"/", PageHandler, guard),
        (r"/static/(.*)", StaticHandler, {"path": str(STATIC_DIR), **guard}),
        (r"/api/info", InfoHandler, {**guard, "token": token, "info": info}),
    ]

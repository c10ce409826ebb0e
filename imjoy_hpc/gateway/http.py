"""Plain HTTP handlers of the front door: the web page, its static files and a token-protected info endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import tornado.web

from imjoy_hpc import __version__
from imjoy_hpc.gateway.auth import bearer
from imjoy_hpc.transport import BodyLimit
from imjoy_hpc.gateway.file_uploads import UPLOAD_PATH, FileUploadHandler

STATIC_DIR = Path(__file__).with_name("static")
ENGINE_DIR = Path(__file__).with_name("engine")
ENGINE_MARKER = "/*IMJOY_HPC_ENGINE_JS*/"
ENGINE_SCRIPTS = ("fetch-arrays.js", "upload-arrays.js", "engine.js")
CORE_DIR = STATIC_DIR / "vendor" / "imjoy-core"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # the vendored imjoy-rpc client calls eval() while loading, hence 'unsafe-eval' (scripts still only from here)
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-eval'; connect-src 'self' ws: wss:; "
                               "img-src 'self' data: blob:; style-src 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


class GuardedMixin(BodyLimit):
    """Refuses requests whose Host header is not one the gateway answers to (DNS-rebinding guard), and reads no
    request body (these routes take none; their handlers stream bodies, so tornado does not read one first)."""

    host_allowed: Callable[[str], bool]

    def prepare(self) -> None:  # type: ignore[override]
        if not self.limit_body(0):
            return
        if not self.host_allowed(self.request.host):  # type: ignore[attr-defined]
            raise tornado.web.HTTPError(403, reason="Host not allowed")


class CapabilityRoute:
    """Mixin for routes that serve data to whoever holds a capability (zarr stores, arrays to fetch): never cached,
    never sniffed, no referrer, varying by Origin; refusals as `{success: false, detail}` in words."""

    def set_default_headers(self) -> None:
        for name, value in (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                            ("Cache-Control", "no-store"), ("Vary", "Origin")):
            self.set_header(name, value)  # type: ignore[attr-defined]

    def _refuse(self, status: int, detail: str) -> None:
        self.set_status(status)  # type: ignore[attr-defined]
        self.set_header("Content-Type", "application/json")  # type: ignore[attr-defined]
        self.finish(json.dumps({"success": False, "detail": detail}))  # type: ignore[attr-defined]


def frame_origin(scheme: str, host_header: str) -> str:
    """Where plugin iframes live for a workspace opened at `host_header`: the same port under the other loopback
    name (127.0.0.1 <-> localhost), a different origin that reaches the same door through the same tunnel."""
    name, sep, port = host_header.rpartition(":")
    if not sep or not port.isdigit():
        name, port = host_header, ""
    other = "localhost" if name != "localhost" else "127.0.0.1"
    return f"{scheme}://{other}{':' + port if port else ''}"


def workspace_headers(scheme: str, host_header: str) -> dict[str, str]:
    """The workspace page: scripts from here only, frames only from the plugin-frame origin, never framed itself,
    no workers (a web worker would run on this origin)."""
    frames = frame_origin(scheme, host_header)
    return {
        **SECURITY_HEADERS,
        # https: in connect-src and img-src: plugin files people share (Load URL, ImJoy's plugin= links) and image
        # windows by address are on other sites; scripts still come from here only
        "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-eval'; "
                                   "connect-src 'self' ws: wss: https:; img-src 'self' data: blob: https:; "
                                   "style-src 'self' 'unsafe-inline'; "
                                   f"frame-src {frames}; child-src {frames}; worker-src 'none'; "
                                   "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    }


def frame_headers(scheme: str, host_header: str) -> dict[str, str]:
    """ImJoy's base frame (the page every plugin iframe loads): framed only by the workspace on the other
    loopback name of this port."""
    return {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Content-Security-Policy": f"frame-ancestors {frame_origin(scheme, host_header)}",
    }


@tornado.web.stream_request_body
class PageHandler(GuardedMixin, tornado.web.RequestHandler):
    """The workspace page (`/`) or the console (`/console`)."""

    def initialize(self, host_allowed: Callable[[str], bool], page: str = "workspace.html") -> None:
        self.host_allowed = host_allowed
        self.page = page

    def set_default_headers(self) -> None:
        for key, value in SECURITY_HEADERS.items():
            self.set_header(key, value)

    def get(self) -> None:
        if self.page == "workspace.html":
            for key, value in workspace_headers(self.request.protocol, self.request.host).items():
                self.set_header(key, value)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write((STATIC_DIR / self.page).read_bytes())


@tornado.web.stream_request_body
class EngineScriptHandler(GuardedMixin, tornado.web.RequestHandler):
    """GET /imjoy/engine.js: the engine's code, as the workspace page loads it."""

    def initialize(self, host_allowed: Callable[[str], bool]) -> None:
        self.host_allowed = host_allowed

    def set_default_headers(self) -> None:
        for key, value in SECURITY_HEADERS.items():
            self.set_header(key, value)

    def get(self) -> None:
        self.set_header("Content-Type", "application/javascript; charset=utf-8")
        self.write(engine_script())


@tornado.web.stream_request_body
class FrameHandler(GuardedMixin, tornado.web.RequestHandler):
    """ImJoy core's base frame and the loader it asks for at `/imjoy-loader.js`, unmodified from the vendored
    package."""

    FILES = {"default_base_frame.html": "text/html; charset=utf-8",
             "imjoy-loader.js": "application/javascript; charset=utf-8"}

    def initialize(self, host_allowed: Callable[[str], bool]) -> None:
        self.host_allowed = host_allowed

    def set_default_headers(self) -> None:
        for key, value in frame_headers(self.request.protocol, self.request.host).items():
            self.set_header(key, value)

    def get(self, name: str) -> None:
        self.set_header("Content-Type", self.FILES[name])
        self.write((CORE_DIR / name).read_bytes())


@tornado.web.stream_request_body
class StaticHandler(GuardedMixin, tornado.web.StaticFileHandler):
    def initialize(self, path: str, host_allowed: Callable[[str], bool]) -> None:  # type: ignore[override]
        super().initialize(path)
        self.host_allowed = host_allowed

    def set_default_headers(self) -> None:
        for key, value in SECURITY_HEADERS.items():
            self.set_header(key, value)


@tornado.web.stream_request_body
class InfoHandler(GuardedMixin, tornado.web.RequestHandler):
    """GET /api/info with `Authorization: Bearer <token>`: version, plugin instances and jobs."""

    def initialize(self, host_allowed: Callable[[str], bool], accepts: Callable[[object], bool],
                   info: Callable[[], Any]) -> None:
        self.host_allowed = host_allowed
        self.accepts = accepts
        self.info = info

    def get(self) -> None:
        if not self.accepts(bearer(self.request.headers)):
            self.set_status(401)
            self.write({"success": False, "detail": "missing or wrong token (Authorization: Bearer <token>)"})
            return
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({"success": True, "version": __version__, **self.info()}, default=str))


def engine_script() -> str:
    """The engine's JS: how it fetches (fetch-arrays.js) and sends (upload-arrays.js) large arrays, then the engine
    itself (engine.js)."""
    return "\n".join((ENGINE_DIR / name).read_text().strip() for name in ENGINE_SCRIPTS) + "\n"


def engine_plugin_source() -> str:
    """The engine plugin file: its template with the engine's JS (shared with the workspace page) inlined."""
    template = (ENGINE_DIR / "engine.imjoy.html").read_text()
    return template.replace(ENGINE_MARKER, engine_script().strip())


@tornado.web.stream_request_body
class EnginePluginHandler(GuardedMixin, tornado.web.RequestHandler):
    """GET /imjoy/engine.imjoy.html: the ImJoy engine plugin, for ImJoy apps on the gateway's own origin or on a
    configured `allowed-origins` one (CORS); a browser request from any other origin is refused."""

    def initialize(self, host_allowed: Callable[[str], bool],
                   origin_allowed: Callable[[str | None, dict], bool]) -> None:
        self.host_allowed = host_allowed
        self.origin_allowed = origin_allowed

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        # a plugin file is data for ImJoy, never a page of this origin
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Vary", "Origin")

    def _cors(self) -> bool:
        origin = self.request.headers.get("Origin")
        environ = {"wsgi.url_scheme": self.request.protocol, "HTTP_HOST": self.request.host}
        if origin is not None and not self.origin_allowed(origin, environ):
            self.set_status(403, reason="Origin not allowed")
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.write(f"origin {origin} is not allowed: add it to imjoy-hpc.server.allowed-origins\n")
            return False
        if origin is not None:
            self.set_header("Access-Control-Allow-Origin", origin)
        return True

    def get(self) -> None:
        if self._cors():
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.write(engine_plugin_source())

    def options(self) -> None:
        if self._cors():
            self.set_header("Access-Control-Allow-Methods", "GET")
            self.set_status(204)


def handlers(socket_handler: type, *, host_allowed: Callable[[str], bool], accepts: Callable[[object], bool],
             info: Callable[[], Any], origin_allowed: Callable[[str | None, dict], bool],
             upload_dir: Path | None = None) -> list:
    """Routes of the front door (`accepts`: whether a credential is the token; `upload_dir`: where the page's
    files go, PUT /upload/<name>)."""

    class GuardedSocket(socket_handler):  # type: ignore[misc, valid-type]
        def prepare(self):
            if not host_allowed(self.request.host):
                raise tornado.web.HTTPError(403, reason="Host not allowed")
            return super().prepare()

    guard = {"host_allowed": host_allowed}
    return [
        (r"/socket.io/", GuardedSocket),
        (r"/", PageHandler, guard),
        (r"/console", PageHandler, {**guard, "page": "index.html"}),
        (r"/imjoy/engine.js", EngineScriptHandler, guard),
        (r"/(default_base_frame\.html|imjoy-loader\.js)", FrameHandler, guard),
        (r"/static/(.*)", StaticHandler, {"path": str(STATIC_DIR), **guard}),
        (r"/api/info", InfoHandler, {**guard, "accepts": accepts, "info": info}),
        (r"/imjoy/engine.imjoy.html", EnginePluginHandler, {**guard, "origin_allowed": origin_allowed}),
    ] + ([(UPLOAD_PATH, FileUploadHandler, {**guard, "accepts": accepts, "directory": upload_dir})] if upload_dir else [])

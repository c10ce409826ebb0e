"""Large arrays from clients of the front door: `PUT /array/<stream id>` into spool files, as plugin processes send
theirs to the plugin door (transport/uploads.py).

Every registered client session has an upload key (in its registration reply, or its own `upload_arrays_key` for
a page, which cannot read the reply). A client that knows the form (the gateway's engine and pages, imjoy-hpc's
Python client) uploads an array larger than one chunk first, then sends the message that refers to it
(`{_rtype: "ndarray", _rstream: id, _rshape, _rdtype}`); the gateway hands it on to the plugin from the spool, so
its memory does not grow with the array. Pages on other origins may upload when their origin is allowed
(`server.allowed-origins`); the preflight carries no credentials.
"""

from __future__ import annotations

from typing import Any, Callable

import tornado.web

from imjoy_hpc.transport.bodies import answer_and_close, declared_size
from imjoy_hpc.transport.uploads import UPLOAD_PATH, ArrayUploadHandler, Uploads

__all__ = ["ClientArrayUploadHandler", "handlers"]


@tornado.web.stream_request_body
class ClientArrayUploadHandler(ArrayUploadHandler):
    """The front door's `PUT /array/<stream id>`: Host and Origin checked first, CORS for allowed origins."""

    def initialize(self, uploads: Uploads, host_allowed: Callable[[str], bool],  # type: ignore[override]
                   origin_allowed: Callable[[str | None, dict], bool]) -> None:
        super().initialize(uploads)
        self.host_allowed = host_allowed
        self.origin_allowed = origin_allowed
        self.answer_headers = {"Cache-Control": "no-store", "Vary": "Origin"}

    async def prepare(self) -> None:
        if not self.host_allowed(self.request.host):
            return answer_and_close(self, 403, "Host not allowed")
        origin = self.request.headers.get("Origin")
        environ = {"wsgi.url_scheme": self.request.protocol, "HTTP_HOST": self.request.host}
        if origin is not None:
            if not self.origin_allowed(origin, environ):
                return answer_and_close(self, 403, f"pages of {origin} may not send arrays here: add the origin to "
                                                   "imjoy-hpc.server.allowed-origins")
            self.answer_headers = {**self.answer_headers, "Access-Control-Allow-Origin": origin}
        if self.request.method == "OPTIONS":  # a CORS preflight: no credentials, no body
            if declared_size(self) != 0:
                return answer_and_close(self, 413, "a preflight has no body", self.answer_headers)
            for name, value in self.answer_headers.items():
                self.set_header(name, value)
            return None
        if self.request.method != "PUT":
            return answer_and_close(self, 405, "array uploads are PUT /array/<stream id>", self.answer_headers)
        return await super().prepare()

    def options(self, *_: Any) -> None:
        self.set_header("Access-Control-Allow-Methods", "PUT")
        self.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Range")
        self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)


def handlers(*, uploads: Uploads, host_allowed: Callable[[str], bool],
             origin_allowed: Callable[[str | None, dict], bool]) -> list[tuple]:
    """The front door's route for array uploads."""
    return [(UPLOAD_PATH + r"([0-9a-f]{32})", ClientArrayUploadHandler,
             {"uploads": uploads, "host_allowed": host_allowed, "origin_allowed": origin_allowed})]

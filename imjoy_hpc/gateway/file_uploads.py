"""Files the workspace page brings in (dropped or picked): `PUT /upload/<file name>` with the page's token streams
the body into `<state-dir>/uploads/<random>/<file name>`, where plugins read it on the cluster's file system.

The token is checked from the headers alone: a request without it is answered and its connection closed before
any of its body is read (bodies.answer_and_close). An accepted body is written to the file piece by piece as it
arrives (tornado reads the next piece only once the previous one is written), so the gateway holds one piece in
memory whatever the file's size. The file appears under its name only once all of it has arrived; an upload cut
short leaves nothing behind. A file larger than the free space (minus a margin) is refused before it is read.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Callable

import tornado.escape
import tornado.web

from imjoy_hpc.gateway.auth import bearer
from imjoy_hpc.transport import answer_and_close, declared_size

logger = logging.getLogger("imjoy_hpc.gateway")
UPLOAD_PATH = r"/upload/([^/]+)"
FREE_SPACE_MARGIN = 256 * 2**20  # kept free on the state directory's file system (5 % of a small one)


def safe_name(name: str) -> str:
    """A file name that stays inside its directory: no path, no control characters, at most 200 characters."""
    name = re.sub(r"[\x00-\x1f/\\]", "_", name).strip().lstrip(".")
    return name[:200] or "upload"


@tornado.web.stream_request_body
class FileUploadHandler(tornado.web.RequestHandler):
    """`PUT /upload/<name>` (`Authorization: Bearer <token>`, a Content-Length): answers {"success", "path", "size"}."""

    def initialize(self, host_allowed: Callable[[str], bool], accepts: Callable[[object], bool],
                   directory: Path) -> None:
        self.host_allowed = host_allowed
        self.accepts = accepts
        self.directory = directory
        self.expected = 0
        self.received = 0
        self.file = None
        self.partial: Path | None = None
        self.target: Path | None = None

    def prepare(self) -> None:
        if not self.host_allowed(self.request.host):
            return answer_and_close(self, 403, "Host not allowed")
        if not self.accepts(bearer(self.request.headers)):
            return answer_and_close(self, 401, "missing or wrong token (Authorization: Bearer <token>)")
        if self.request.method != "PUT":
            return answer_and_close(self, 405, "uploads are PUT /upload/<file name>")
        size = declared_size(self)
        if size is None or size < 0:
            return answer_and_close(self, 411, "an upload needs a Content-Length (the file's size)")
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        usage = shutil.disk_usage(self.directory)
        margin = min(FREE_SPACE_MARGIN, usage.total // 20)
        if usage.free - margin < size:
            return answer_and_close(self, 507, f"no room for {size / 2**20:.0f} MB in {self.directory} "
                                               f"({usage.free / 2**20:.0f} MB free, {margin / 2**20:.0f} MB kept free)")
        folder = self.directory / secrets.token_hex(8)
        folder.mkdir(mode=0o700)
        name = safe_name(tornado.escape.url_unescape(self.path_args[0]))
        self.target = folder / name
        self.partial = folder / f".{name}.part"
        self.file = open(self.partial, "wb")  # noqa: SIM115 - closed in put() or on_connection_close()
        os.fchmod(self.file.fileno(), 0o600)
        self.expected = size
        self.request.connection.set_max_body_size(size)

    def data_received(self, chunk: bytes) -> None:
        if self.file is not None:
            self.file.write(chunk)
            self.received += len(chunk)

    def put(self, _name: str) -> None:
        assert self.file is not None and self.partial is not None and self.target is not None
        self.file.close()
        self.file = None
        if self.received != self.expected:
            self._drop()
            self.set_status(400)
            self.finish({"success": False, "detail": f"got {self.received} of {self.expected} bytes"})
            return
        self.partial.rename(self.target)
        logger.info("uploaded %s (%d bytes)", self.target, self.received)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"success": True, "path": str(self.target), "size": self.received}))

    def _drop(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        for path in (self.partial, self.partial.parent if self.partial else None):
            try:
                if path is not None:
                    path.rmdir() if path.is_dir() else path.unlink()
            except OSError:
                pass

    def on_connection_close(self) -> None:
        if self.file is not None:  # cut short: nothing is left behind
            self._drop()

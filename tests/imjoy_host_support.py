"""A second origin for browser tests: a plain HTTP server on 127.0.0.1 serving a minimal ImJoy host page with the
vendored ImJoy core and its base frame, as imjoy.io (and lib.imjoy.io) would."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORE = REPO / "imjoy_hpc" / "gateway" / "static" / "vendor" / "imjoy-core"
HOST_PAGE = Path(__file__).with_name("imjoy_host") / "host.html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def imjoy_host(directory: Path) -> Iterator[str]:
    """Serve the host page and ImJoy core's files from `directory` on a free port; yields the origin."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("imjoy-core.min.js", "imjoy-loader.js", "imjoy-rpc.min.js", "default_base_frame.html"):
        shutil.copy(CORE / name, directory / name)
    shutil.copy(HOST_PAGE, directory / "host.html")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)

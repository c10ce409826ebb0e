"""Large arrays from plugin processes: streamed to the plugin door over HTTP into private spool files.

A plugin process (ours, plugins/host.py) sends an array larger than one chunk as the raw body of
`PUT /array/<stream id>` with its session's upload key, then the RPC message that refers to it
(`{"_rtype": "ndarray", "_rstream": id, ...}`). The body goes to a spool file as it arrives: the door reads the next
piece only once the previous one is written, so TCP's window is the flow control and the gateway holds one piece
in memory whatever the array's size. An upload cut short (the plugin died) is dropped with its file; an array
whose message never comes is dropped when its session ends.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
from pathlib import Path

import tornado.web
from tornado.iostream import IOStream, StreamClosedError

from imjoy_hpc.rpc.errors import DecodeError
from imjoy_hpc.rpc.spool import Spool, make_spool_dir, remove_spool_dir

logger = logging.getLogger("imjoy_hpc.gateway")
UPLOAD_PATH = "/array/"
MAX_WAITING = 64            # arrays uploaded by one session and not yet claimed by a message
FREE_SPACE_MARGIN = 256 * 2**20
UPLOAD_RECV_BYTES = 1 << 20  # the buffer an upload is read into, one piece at a time


class UploadBox:
    """The arrays one plugin session has uploaded and its messages have not claimed yet."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.streams: dict[str, Spool] = {}
        self.closed = False

    def add(self, stream_id: str, spool: Spool) -> None:
        if self.closed or len(self.streams) >= MAX_WAITING or stream_id in self.streams:
            spool.close()
            raise ValueError("too many arrays waiting for their message, or a repeated stream id")
        self.streams[stream_id] = spool

    def take(self, stream_id: object) -> Spool:
        """The uploaded bytes of `stream_id` (claimed once)."""
        spool = self.streams.pop(stream_id, None) if isinstance(stream_id, str) else None
        if spool is None:
            raise DecodeError(f"ndarray stream {stream_id!r} was not uploaded (or was already used)")
        return spool

    def close(self) -> None:
        self.closed = True
        for spool in self.streams.values():
            spool.close()
        self.streams.clear()


class Uploads:
    """The upload keys of a door's sessions, and where their arrays are spooled: a private directory made at the
    first upload (under `parent`, default the system's temporary directory) and removed by `close()`."""

    def __init__(self, parent: str | None = None) -> None:
        self._parent = parent
        self._dir: Path | None = None
        self._boxes: dict[str, UploadBox] = {}

    @property
    def spool_dir(self) -> Path:
        if self._dir is None:
            self._dir = make_spool_dir(self._parent)
        return self._dir

    def close(self) -> None:
        for box in list(self._boxes.values()):
            self.close_box(box)
        if self._dir is not None:
            remove_spool_dir(self._dir)
            self._dir = None

    def open_box(self) -> UploadBox:
        box = UploadBox(secrets.token_urlsafe(32))
        self._boxes[box.key] = box
        return box

    def close_box(self, box: UploadBox) -> None:
        self._boxes.pop(box.key, None)
        box.close()

    def box_for(self, key: str) -> UploadBox | None:
        box = self._boxes.get(key)
        return box if box is not None and secrets.compare_digest(box.key, key) and not box.closed else None

    def room_for(self, size: int) -> bool:
        try:
            return shutil.disk_usage(self.spool_dir).free - FREE_SPACE_MARGIN >= size
        except OSError:
            return False


@tornado.web.stream_request_body
class ArrayUploadHandler(tornado.web.RequestHandler):
    """`PUT /array/<stream id>`: one array's bytes from a plugin process into a spool file.

    Once the request is accepted the door takes the connection over from tornado's HTTP layer and reads the body
    straight into one reused buffer (tornado would allocate, append and slice every piece before handing it
    over: three copies of each byte instead of none), writes each piece to the spool before reading the next,
    and answers on the connection itself."""

    def initialize(self, uploads: Uploads) -> None:
        self.uploads = uploads
        self.expected = 0

    async def prepare(self) -> None:
        auth = self.request.headers.get("Authorization", "")
        box = self.uploads.box_for(auth[7:]) if auth.startswith("Bearer ") else None
        if box is None:
            return self._refuse(403, "unknown upload key")
        try:
            self.expected = int(self.request.headers.get("Content-Length", ""))
        except ValueError:
            return self._refuse(411, "an array upload needs a Content-Length")
        if self.expected < 0:
            return self._refuse(400, "a negative Content-Length")
        if not self.uploads.room_for(self.expected):
            return self._refuse(507, f"no room for a {self.expected / 2**20:.0f} MB array in the gateway's spool "
                                     f"directory {self.uploads.spool_dir}")
        stream = self.request.connection.detach()
        self._finished = True  # tornado's side of this request ends here; the answer is written below
        try:
            answer = await self._receive(stream, box, self.path_args[0])
            if answer is not None:
                await stream.write(answer)
        except StreamClosedError:
            pass  # the plugin went away: its partial array is already gone
        finally:
            stream.close()

    async def _receive(self, stream: IOStream, box: UploadBox, stream_id: str) -> bytes | None:
        """The body into a spool file; the HTTP answer (None when the connection ended first)."""
        spool = Spool(self.uploads.spool_dir)
        buffer = memoryview(bytearray(min(UPLOAD_RECV_BYTES, max(self.expected, 1))))
        left = self.expected
        try:
            while left:
                got = await stream.read_into(buffer[:min(left, len(buffer))], partial=True)
                spool.write(buffer[:got])
                left -= got
        except BaseException:
            spool.close()  # cut short: the partial array goes at once
            raise
        spool.complete = True
        try:
            box.add(stream_id, spool)
        except ValueError as exc:
            spool.close()
            return _answer(409, {"detail": str(exc)})
        return _answer(200, {"ok": True})

    def _refuse(self, status: int, detail: str) -> None:
        self.set_status(status)
        self.finish({"detail": detail})


def _answer(status: int, body: dict) -> bytes:
    data = json.dumps(body).encode()
    reason = "OK" if status == 200 else "Conflict"
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            f"Connection: close\r\n\r\n").encode() + data

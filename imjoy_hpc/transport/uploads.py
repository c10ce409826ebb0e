"""Large arrays from plugin processes (and, through transport/client_uploads.py, from front-door clients): streamed
over HTTP into private spool files.

A plugin process (ours, plugins/host.py) sends an array larger than one chunk as the raw body of
`PUT /array/<stream id>` with its session's upload key, then the RPC message that refers to it
(`{"_rtype": "ndarray", "_rstream": id, ...}`). The body goes to a spool file as it arrives: the door reads the next
piece only once the previous one is written, so TCP's window is the flow control and the gateway holds one piece
in memory whatever the array's size. An upload cut short (the plugin died) is dropped with its file; an array
whose message never comes is dropped when its session ends. Spools go to the system's temporary directory
($TMPDIR) or, when that has no room (a shared one a neighbour filled), to the gateway's state directory; when
neither has room, or the disk fills during an upload, the plugin is told "no room in <dir> (N MB free)".
"""

from __future__ import annotations

import errno
import json
import logging
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import tornado.web
from tornado.iostream import IOStream, StreamClosedError

from imjoy_hpc.files import private_dir
from imjoy_hpc.transport.bodies import answer_and_close
from imjoy_hpc.rpc.errors import DecodeError
from imjoy_hpc.rpc.spool import Spool, make_spool_dir, remove_spool_dir

logger = logging.getLogger("imjoy_hpc.gateway")
UPLOAD_PATH = "/array/"
MAX_WAITING = 64            # arrays uploaded by one session and not yet claimed by a message
FREE_SPACE_MARGIN = 256 * 2**20  # kept free on a spool's file system (less on a small one: 5 % of its size)
UPLOAD_RECV_BYTES = 1 << 20  # the buffer an upload is read into, one piece at a time
KEY_FIELD = "upload_arrays_key"  # a client's own upload key in its registration (pages cannot read the reply)
_KEY = re.compile(r"[A-Za-z0-9_-]{32,128}")
_RANGE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19})")


class UploadBox:
    """The arrays one plugin session has uploaded and its messages have not claimed yet."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.streams: dict[str, Spool] = {}
        self.partial: dict[str, tuple[Spool, int]] = {}  # arrays sent in parts, not all there yet: (spool, total)
        self.receiving: set[IOStream] = set()  # uploads under way: cut when the session ends
        self.closed = False

    def add(self, stream_id: str, spool: Spool) -> None:
        if self.closed or len(self.streams) >= MAX_WAITING or stream_id in self.streams:
            spool.close()
            raise ValueError("too many arrays waiting for their message, or a repeated stream id")
        self.streams[stream_id] = spool

    def begin(self, stream_id: str, spool: Spool, total: int) -> None:
        """The first part of an array sent in parts (`Content-Range`)."""
        if self.closed or len(self.streams) + len(self.partial) >= MAX_WAITING or stream_id in self.streams \
                or stream_id in self.partial:
            spool.close()
            raise ValueError("too many arrays waiting for their message, or a repeated stream id")
        self.partial[stream_id] = (spool, total)

    def resume(self, stream_id: str, start: int, total: int) -> Spool:
        """The spool a later part of an array continues."""
        spool, expected_total = self.partial.get(stream_id, (None, 0))
        if spool is None or spool.size != start or total != expected_total:
            raise ValueError(f"this part (from byte {start} of {total}) does not continue an array under way "
                             "(parts go in order, each starting where the last ended)")
        return spool

    def drop_partial(self, stream_id: str) -> None:
        spool, _ = self.partial.pop(stream_id, (None, 0))
        if spool is not None:
            spool.close()

    def take(self, stream_id: object) -> Spool:
        """The uploaded bytes of `stream_id` (claimed once)."""
        spool = self.streams.pop(stream_id, None) if isinstance(stream_id, str) else None
        if spool is None:
            raise DecodeError(f"ndarray stream {stream_id!r} was not uploaded (or was already used)")
        return spool

    def close(self) -> None:
        """The session ended: its arrays go, and uploads still under way are cut (their spools go with them)."""
        self.closed = True
        for spool in [*self.streams.values(), *(spool for spool, _ in self.partial.values())]:
            spool.close()
        self.streams.clear()
        self.partial.clear()
        for stream in list(self.receiving):
            stream.close()
        self.receiving.clear()


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def free_bytes(path: Path | str) -> int:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 0


class Uploads:
    """The upload keys of a door's sessions, and where their arrays are spooled: a private directory made at the
    first upload under the first of `parents` with room (default: the system's temporary directory, then
    `fallback`), removed by `close()`."""

    def __init__(self, parent: str | None = None, fallback: Path | str | None = None) -> None:
        self._parents = [Path(parent or tempfile.gettempdir())] + ([Path(fallback)] if fallback else [])
        self._dirs: dict[Path, Path] = {}  # parent -> its private spool directory
        self._boxes: dict[str, UploadBox] = {}

    @property
    def spool_dir(self) -> Path:
        """The spool directory under the first parent."""
        return self._dir_under(self._parents[0])

    def _dir_under(self, parent: Path) -> Path:
        if parent not in self._dirs:
            private_dir(parent)  # the state directory's spool/ (a fallback) is made 0700; $TMPDIR is left as it is
            self._dirs[parent] = make_spool_dir(str(parent))
        return self._dirs[parent]

    def close(self) -> None:
        for box in list(self._boxes.values()):
            self.close_box(box)
        for path in self._dirs.values():
            remove_spool_dir(path)
        self._dirs.clear()

    def open_box(self, wanted: object = None) -> UploadBox:
        """A box for one session, under `wanted` when that is a key of 32 to 128 URL-safe characters (a page's own
        key: it cannot read the registration's reply; a page registering again with it takes the key over, its
        earlier session keeps what it had), else under a new random key."""
        key = wanted if isinstance(wanted, str) and _KEY.fullmatch(wanted) else secrets.token_urlsafe(32)
        box = UploadBox(key)
        self._boxes[box.key] = box
        return box

    def close_box(self, box: UploadBox) -> None:
        if self._boxes.get(box.key) is box:
            del self._boxes[box.key]
        box.close()

    def box_for(self, key: str) -> UploadBox | None:
        box = self._boxes.get(key)
        return box if box is not None and secrets.compare_digest(box.key, key) and not box.closed else None

    def place_for(self, size: int) -> Path | str:
        """The spool directory for an array of `size` bytes, or why there is none (in words)."""
        seen = []
        for parent in self._parents:
            try:
                usage = shutil.disk_usage(parent if parent.exists() else parent.parent)
            except OSError as exc:
                seen.append(f"{parent} cannot be used ({exc.strerror or exc})")
                continue
            margin = min(FREE_SPACE_MARGIN, usage.total // 20)
            if usage.free - margin >= size:
                try:
                    return self._dir_under(parent)
                except OSError as exc:
                    seen.append(f"{parent} cannot be used ({exc.strerror or exc})")
                    continue
            seen.append(f"{parent} has {_mb(usage.free)} free ({_mb(margin)} kept free)")
        return f"no room for a {_mb(size)} array: {'; '.join(seen)}"

    def room_for(self, size: int) -> bool:
        return isinstance(self.place_for(size), Path)


@tornado.web.stream_request_body
class ArrayUploadHandler(tornado.web.RequestHandler):
    """`PUT /array/<stream id>`: one array's bytes (or, with `Content-Range`, one part of them, in order) into a
    spool file.

    Once the request is accepted the door takes the connection over from tornado's HTTP layer and reads the body
    straight into one reused buffer (tornado would allocate, append and slice every piece before handing it
    over: three copies of each byte instead of none), writes each piece to the spool before reading the next,
    and answers on the connection itself."""

    answer_headers: dict[str, str] = {}  # added to every answer (CORS, on the front door)

    def initialize(self, uploads: Uploads) -> None:
        self.uploads = uploads
        self.expected = 0

    async def prepare(self) -> None:
        auth = self.request.headers.get("Authorization", "")
        box = self.uploads.box_for(auth[7:]) if auth.startswith("Bearer ") else None
        if box is None:  # answered without reading the body
            return answer_and_close(self, 403, "unknown upload key", self.answer_headers)
        try:
            self.expected = int(self.request.headers.get("Content-Length", ""))
        except ValueError:
            return answer_and_close(self, 411, "an array upload needs a Content-Length",
                                    self.answer_headers)
        if self.expected < 0:
            return answer_and_close(self, 400, "a negative Content-Length", self.answer_headers)
        part = parse_part(self.request.headers.get("Content-Range"), self.expected)
        if isinstance(part, str):
            return answer_and_close(self, 400, part, self.answer_headers)
        stream_id = self.path_args[0]
        place = self.uploads.place_for(part[1] - part[0] if part else self.expected)
        if not isinstance(place, Path):
            return answer_and_close(self, 507, place, self.answer_headers)
        try:
            spool = box.resume(stream_id, *part) if part and part[0] else Spool(place)
            if part and not part[0]:
                box.begin(stream_id, spool, part[1])
        except ValueError as exc:
            return answer_and_close(self, 409, str(exc), self.answer_headers)
        stream = self.request.connection.detach()
        self._finished = True  # tornado's side of this request ends here; the answer is written below
        box.receiving.add(stream)
        try:
            answer = await self._receive(stream, box, stream_id, place, spool, part)
            if answer is not None:
                await stream.write(answer)
        except StreamClosedError:
            pass  # the sender went away (or its session ended): its partial array is already gone
        finally:
            box.receiving.discard(stream)
            stream.close()

    async def _receive(self, stream: IOStream, box: UploadBox, stream_id: str, place: Path, spool: Spool,
                       part: tuple[int, int] | None) -> bytes | None:
        """The body into a spool file; the HTTP answer (None when the connection ended first). A part cut short
        or refused drops its whole array."""
        buffer = memoryview(bytearray(min(UPLOAD_RECV_BYTES, max(self.expected, 1))))
        left, full = self.expected, None
        try:
            while left:
                got = await stream.read_into(buffer[:min(left, len(buffer))], partial=True)
                left -= got
                if full is None:
                    try:
                        spool.write(buffer[:got])
                    except OSError as exc:  # the disk filled up: the rest is read and dropped, then answered
                        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                            raise
                        full = f"no room in {place.parent} ({_mb(free_bytes(place))} free) for a " \
                               f"{_mb(self.expected)} array: the disk filled up during the upload"
                        spool.close()
        except BaseException:
            spool.close()  # cut short: the partial array goes at once
            box.drop_partial(stream_id)
            raise
        if full is not None:
            logger.warning("an array upload failed: %s", full)
            box.drop_partial(stream_id)
            return _answer(507, {"detail": full}, self.answer_headers)
        if part is not None:
            if spool.size < part[1]:
                return _answer(200, {"ok": True, "received": spool.size}, self.answer_headers)
            box.partial.pop(stream_id, None)
        spool.complete = True
        try:
            box.add(stream_id, spool)
        except ValueError as exc:
            spool.close()
            return _answer(409, {"detail": str(exc)}, self.answer_headers)
        return _answer(200, {"ok": True}, self.answer_headers)


def parse_part(header: str | None, length: int) -> tuple[int, int] | None | str:
    """`Content-Range: bytes START-END/TOTAL` of one part of an array: (START, TOTAL); None for a whole array;
    what is wrong with it, in words."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return f"Content-Range {header!r} is not 'bytes START-END/TOTAL'"
    start, end, total = (int(g) for g in match.groups())
    if end < start or end >= total or end - start + 1 != length:
        return f"Content-Range {header!r} does not fit a body of {length} bytes within {total}"
    return start, total


def _answer(status: int, body: dict, headers: dict[str, str] | None = None) -> bytes:
    data = json.dumps(body).encode()
    reason = {200: "OK", 409: "Conflict", 507: "Insufficient Storage"}.get(status, "Error")
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            f"{extra}Connection: close\r\n\r\n").encode() + data

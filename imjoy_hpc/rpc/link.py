"""The plugin link's frames: how the gateway's plugin door and a plugin process (both ours) exchange RPC messages
over one websocket, without socket.io's layers (no engine.io queue and writer task, no JSON walk of placeholders,
no acks): one websocket message per frame, encoded with msgpack.

A frame is the msgpack array `[kind, body, count]`:

  kind          body
  "register"    plugin -> door: the registration (name, instance_id, secret, ...), the first frame of a link
  "registered"  door -> plugin: the reply, `{success, plugin_id, upload_key, ...}` or `{success: false, detail}`
  "rpc"         either way: one imjoy-rpc message
  "error"       either way: why the other side's frame was refused, in words

`count` binary websocket messages follow the frame: the values of its attachment placeholders, in order. Binary
values of at least ATTACH_BYTES travel that way (written from the sender's own buffer, or read from a spool file
when their turn comes), smaller ones inline. Integers beyond 64 bits travel as their decimal text.
Transport-free: the sender writes what `FrameEncoder` gives it, the receiver feeds websocket messages to
`FrameDecoder`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable, Union

import msgpack

from imjoy_hpc.rpc.errors import ProtocolError
from imjoy_hpc.rpc.outbox import Outbox
from imjoy_hpc.rpc.spool import SpoolSlice

KINDS = frozenset({"register", "registered", "rpc", "error"})
ATTACHMENT = 1              # msgpack ext code: the index of a binary message that follows the frame
BIG_INT = 2                 # msgpack ext code: an integer beyond 64 bits, as its decimal text
ATTACH_BYTES = 64 * 1024    # binary values this large go as their own websocket message (not copied into a frame)
MAX_ATTACHMENTS = 4096      # a frame announcing more is refused
INT_RANGE = (-2**63, 2**64)
Binary = Union[bytes, bytearray, memoryview, SpoolSlice]  # not `|`: the plugin runtime runs on Python 3.9


class LinkError(ProtocolError):
    """A websocket message that is not a valid frame of the plugin link; the message says what is wrong."""


def encode_frame(kind: str, body: Any) -> tuple[bytes, list[Binary]]:
    """The frame and the binary values that must follow it, in order (`TypeError` for a value msgpack cannot
    carry, as json would raise for socket.io)."""
    try:  # most frames are small: packed as they are (a frame this small holds no value to send apart)
        frame = msgpack.packb([kind, body, 0], default=_not_in_one_go)
        if len(frame) < ATTACH_BYTES:
            return frame, []
    except _Apart:  # an integer beyond 64 bits, or a value to be read from a spool file
        pass
    attachments: list[Binary] = []
    body = _extract(body, attachments)
    return msgpack.packb([kind, body, len(attachments)]), attachments


class _Apart(Exception):
    """A value msgpack cannot pack as it is (a spooled value, an integer beyond 64 bits) was met."""


def _not_in_one_go(value: Any) -> Any:
    if isinstance(value, (SpoolSlice, int)):
        raise _Apart()
    raise TypeError(f"can not serialize {type(value).__name__!r} object")


def _extract(value: Any, attachments: list[Binary]) -> Any:
    if isinstance(value, (str, bool, float)) or value is None:
        return value
    if isinstance(value, int):
        return value if INT_RANGE[0] <= value < INT_RANGE[1] else msgpack.ExtType(BIG_INT, str(value).encode())
    if isinstance(value, dict):
        return {key: _extract(item, attachments) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_extract(item, attachments) for item in value]
    if isinstance(value, SpoolSlice) or (isinstance(value, (bytes, bytearray, memoryview))
                                         and memoryview(value).nbytes >= ATTACH_BYTES):
        attachments.append(value)
        return msgpack.ExtType(ATTACHMENT, len(attachments).to_bytes(4, "big"))
    return value


@dataclass
class _Slot:
    index: int


@dataclass
class _Pending:
    kind: str
    body: Any
    count: int
    received: list[bytes] = field(default_factory=list)


class FrameDecoder:
    """Turns the websocket messages of one link into `(kind, body)` for `deliver`, binary values put back in place.

    `feed` raises LinkError for a message that is not a frame (or a text message where a binary one was due)."""

    def __init__(self, deliver: Callable[[str, Any], Any], max_attachments: int = MAX_ATTACHMENTS) -> None:
        self.deliver = deliver
        self.max_attachments = max_attachments
        self._pending: _Pending | None = None
        self._slots = 0

    def _ext(self, code: int, data: bytes) -> Any:
        if code == ATTACHMENT and len(data) == 4:
            self._slots += 1
            return _Slot(int.from_bytes(data, "big") - 1)
        if code == BIG_INT:
            try:
                return int(data.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                raise LinkError("an integer in the frame is not decimal text") from None
        raise LinkError(f"unknown msgpack extension type {code} in the frame")

    def feed(self, data: bytes | str) -> None:
        if self._pending is not None:
            if not isinstance(data, bytes):
                raise LinkError("a text message came where a binary attachment was due")
            self._pending.received.append(data)
            if len(self._pending.received) == self._pending.count:
                pending, self._pending = self._pending, None
                self.deliver(pending.kind, _put_back(pending.body, pending.received))
            return
        if not isinstance(data, bytes):
            raise LinkError("frames are binary websocket messages, got text")
        self._slots = 0
        try:
            frame = msgpack.unpackb(data, strict_map_key=False, ext_hook=self._ext)
        except LinkError:
            raise
        except Exception as exc:  # noqa: BLE001 - msgpack's errors are ValueError, TypeError and its own
            raise LinkError(f"not a msgpack frame: {type(exc).__name__}: {exc}") from None
        if not (isinstance(frame, list) and len(frame) == 3 and isinstance(frame[2], int)):
            raise LinkError("a frame must be [kind, body, attachment count]")
        kind, body, count = frame
        if kind not in KINDS:
            raise LinkError(f"unknown frame kind {kind!r}")
        if not 0 <= count <= self.max_attachments:
            raise LinkError(f"a frame may announce 0 to {self.max_attachments} attachments, not {count}")
        if self._slots != count:
            raise LinkError(f"the frame has {self._slots} attachment placeholders but announces {count}")
        if count:
            self._pending = _Pending(kind, body, count)
        else:
            self.deliver(kind, body)


def _put_back(value: Any, attachments: list[bytes]) -> Any:
    if isinstance(value, _Slot):
        if not 0 <= value.index < len(attachments):
            raise LinkError(f"the frame refers to attachment {value.index}, it has {len(attachments)}")
        return attachments[value.index]
    if isinstance(value, dict):
        return {key: _put_back(item, attachments) for key, item in value.items()}
    if isinstance(value, list):
        return [_put_back(item, attachments) for item in value]
    return value


class LinkSender:
    """Writes frames on one link in order: at once when nothing waits before it (no task, no scheduling round of
    its own), else through one task that writes each binary value after the previous one has reached the socket,
    so a slow reader costs one value of memory and a spooled value is read from its file only when its turn comes.

    `write(data)` hands one websocket message to the socket and returns a future that is done once it has left;
    the first failure goes to `on_error` and nothing more is written."""

    def __init__(self, write: Callable[[bytes | memoryview], "asyncio.Future[Any]"],
                 on_error: Callable[[BaseException], Any]) -> None:
        self._write = write
        self._on_error = on_error
        self._failed = False
        self._outbox = Outbox(self._write_frame, self._fail)

    def send(self, kind: str, body: Any) -> None:
        """Queue one frame (`TypeError` here for a value the link cannot carry)."""
        frame, attachments = encode_frame(kind, body)
        if self._failed:
            return
        if attachments or not self._outbox.idle:
            self._outbox.put((frame, attachments))
            return
        try:
            self._write(frame).add_done_callback(_retrieve)
        except Exception as exc:  # noqa: BLE001 - a closed connection: reported once, like the outbox's
            self._fail(exc)

    async def _write_frame(self, item: tuple[bytes, list[Binary]]) -> None:
        frame, attachments = item
        await self._write(frame)
        while attachments:
            value = attachments.pop(0)
            await self._write(value.read() if isinstance(value, SpoolSlice) else value)
            del value

    def _fail(self, exc: BaseException) -> None:
        if not self._failed:
            self._failed = True
            self._on_error(exc)

    def close(self) -> None:
        """Stop after the frames already queued."""
        self._outbox.close()


def _retrieve(future: "asyncio.Future[Any]") -> None:
    """Mark a write's failure as seen (the connection's close reports it)."""
    if not future.cancelled():
        future.exception()

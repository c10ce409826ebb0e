"""The plugin door's transport: the plugin link (rpc/link.py), one websocket per plugin process at `/link`.

Both ends are ours, so the door skips socket.io (engine.io's queue and writer task, the JSON walk, acks): a frame
is read, decoded and handled in one step; a reply is written to the socket at once. Before it registers, a
connection may send one small frame (`preauth_max_bytes`), its first, which must be the registration with the
plugin's one-time secret, within the door's `register_timeout` (a few seconds); it counts against the pending
limit of its origin only (another user's links never take the owner's places). A wrong or missing secret is
answered and the link closed at once, without spending the registration budget; browsers (any Origin header)
are refused."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any, Awaitable

import tornado.web
import tornado.websocket

from imjoy_hpc.transport.binary_send import zero_copy_protocol
from imjoy_hpc.transport.bodies import BodyLimit
from imjoy_hpc.transport.door import Door, close_later
from imjoy_hpc.transport.limits import stream_origin
from imjoy_hpc.rpc.link import FrameDecoder, LinkError, LinkSender
from imjoy_hpc.rpc.linkclient import LINK_PATH

__all__ = ["LINK_PATH", "LinkDoor"]
logger = logging.getLogger("imjoy_hpc.gateway")
_ids = itertools.count(1)


class LinkChannel:
    """One plugin link, as its `door.Connection` sends on it."""

    def __init__(self, handler: "LinkHandler") -> None:
        self.handler = handler
        self.sender = LinkSender(handler.write_frame, handler.write_failed)

    def send(self, message: dict) -> None:
        self.sender.send("rpc", message)

    async def close(self) -> None:
        self.sender.close()
        self.handler.close()


@tornado.web.stream_request_body
class LinkHandler(BodyLimit, tornado.websocket.WebSocketHandler):
    """One plugin process's link (its upgrade request carries no body, and none is read)."""

    def prepare(self) -> None:
        self.limit_body(0)

    def initialize(self, door: "LinkDoor") -> None:
        self.door = door
        self.sid = f"link-{next(_ids)}"
        self.channel = LinkChannel(self)
        self.decoder = FrameDecoder(self._on_frame)
        self.registered = False
        self.ended = False
        self.first = True  # no frame read yet

    # ------------------------------------------------------------------ tornado's settings for this socket
    def get_compression_options(self) -> None:
        return None

    def get_websocket_protocol(self):
        return zero_copy_protocol(self)

    @property
    def max_message_size(self) -> int:  # read at the handshake; lifted once registered
        return self.door.preauth_max_bytes

    @property
    def ping_interval(self) -> float:  # a plugin process that stops answering is a lost one
        return self.door.ping_interval

    @property
    def ping_timeout(self) -> float:
        return self.door.ping_timeout

    def check_origin(self, origin: str) -> bool:
        return False  # only reached with an Origin header: a browser, which has no business on the plugin door

    # ------------------------------------------------------------------ the link
    def open(self) -> None:
        self.set_nodelay(True)  # small replies must not wait for the peer's delayed ACK
        if not self.door.admit(self.sid, self.channel, stream_origin(self.request.connection.stream)):
            self.close(1013, "too many connections waiting to register")

    def write_frame(self, data: bytes | memoryview) -> asyncio.Future:
        return self.ws_connection.write_data(data)

    def write_failed(self, exc: BaseException) -> None:
        logger.info("plugin link %s: a write failed (%s)", self.sid, exc)
        self.close()

    def on_message(self, data: bytes | str) -> Awaitable[None] | None:
        """Handled as read (no task per message); only a registration makes tornado wait before reading on."""
        try:
            self.decoder.feed(data)
        except LinkError as exc:
            self.door.causes.note(f"{self.door.name} door: links that sent what is not a frame closed", str(exc))
            self._refuse(str(exc))
            self.close(1002, "not a frame of the plugin link")
            return None
        if self._registration is None:
            return None
        config, self._registration = self._registration, None
        return self._register(config)

    _registration: Any = None

    async def _register(self, config: Any) -> None:
        reply = await self.door.register_connection(self.sid, config, self.channel)
        if reply.get("success") and self.ws_connection is not None:
            self.registered = True
            self.ws_connection.params.max_message_size = self.door.max_message_bytes
        if not self.ended:
            self.channel.sender.send("registered", reply)
            if not reply.get("success"):  # the reply leaves first (frames are written in order)
                self.close(1008, "registration refused")

    def _on_frame(self, kind: str, body: Any) -> None:
        first, self.first = self.first, False
        if first and kind != "register":
            self.door.causes.note(f"{self.door.name} door: links whose first frame was not a registration closed")
            self._refuse("not registered: send a register frame with the plugin's secret first")
            self.close(1008, "not registered")
            return
        if kind == "register" and not self.registered and first:
            self._registration = body
        elif kind == "rpc" and self.registered:
            ack = self.door.handle_message(self.sid, body)
            if not ack["success"]:
                self._refuse(ack["detail"])
        elif kind == "rpc":
            self._refuse("not registered: send a register frame with the plugin's secret first")
            close_later(self.channel, 0.5)
        elif kind == "register":
            self._refuse("this connection is already registered (or tried to)")
        else:
            self._refuse(f"a plugin does not send {kind!r} frames")

    def _refuse(self, detail: str) -> None:
        self.channel.sender.send("error", detail)

    def on_close(self) -> None:
        self.ended = True
        intended = self.close_code in (1000, 1001) or self.door.closing
        self.door.connection_ended(self.sid, f"link closed ({self.close_code or 'connection lost'})", intended)


class LinkDoor(Door):
    """The plugin door: plugin processes register with their one-time secret over the plugin link."""

    def __init__(self, name: str, *, ping_interval: float, ping_timeout: float, **options: Any) -> None:
        """`ping_interval`, `ping_timeout`: the link's websocket pings, in seconds (the gateway's
        `server.ping-interval` and `server.ping-timeout`, which plugin processes are given too)."""
        super().__init__(name, **options)
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout

    def _refused(self, sid: str, channel: LinkChannel) -> None:
        """The link handler closes a refused link once its reply is written."""

    def handler(self) -> tuple[str, type, dict]:
        """The tornado route of the link."""
        return LINK_PATH, LinkHandler, {"door": self}

"""The socket.io door (python-socketio AsyncServer on tornado): docs/PROTOCOL.md's `register_plugin` and
`plugin_message` events for browsers and scripts; registration, connections, sessions and messages are door.Door's."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any, Awaitable, Callable

import socketio
import tornado.web

from imjoy_hpc.transport.binary_send import queue_event, use_draining_writes, zero_copy_protocol
from imjoy_hpc.transport.bodies import BodyLimit
from imjoy_hpc.transport.door import Connection, Door, close_later
from imjoy_hpc.transport.limits import OWN, stream_origin
from imjoy_hpc.rpc.proof import MAX_NONCE, nonce
from imjoy_hpc.transport.eio_receive import receive_or_queue
from imjoy_hpc.transport.spooled_messages import array_attachment, spool_for
from imjoy_hpc.rpc.spool import Spool, SpoolSlice

__all__ = ["SocketDoor", "uncompressed_handler"]
MAX_REFUSED_OPEN = 16  # refused sockets kept open (the JS client re-registers at once when dropped)
NESTING_CHECK = 512  # a text packet with more brackets than this is decoded once first, garbage collector off


class SocketIOChannel:
    """One socket.io connection, as its `door.Connection` sends on it."""

    def __init__(self, sio: socketio.AsyncServer, sid: str) -> None:
        self.sio = sio
        self.sid = sid

    def send(self, message: dict) -> None:
        queue_event(self.sio, self.sid, "plugin_message", message)

    async def close(self) -> None:
        await self.sio.disconnect(self.sid)


def uncompressed_handler(sio: socketio.AsyncServer, allow: Callable[[str | None, dict], bool],
                         door: "SocketDoor") -> type:
    """python-socketio's tornado handler without permessage-deflate (it makes binary arrays crawl), with our
    Host/Origin policy, and a tiny size limit on every message until its connection has registered (nothing big
    is read, let alone decoded, for a connection without the token): a long-polling POST's body is read only up
    to the limit of its session (the pre-registration one until it registered), a GET's not at all."""
    base = socketio.get_tornado_handler(sio)

    @tornado.web.stream_request_body
    class Handler(BodyLimit, base):  # type: ignore[misc, valid-type]
        def get_compression_options(self):
            return None

        def get_websocket_protocol(self):
            return zero_copy_protocol(self)

        @property
        def max_message_size(self) -> int:  # read by tornado at the websocket handshake
            return door.max_message_bytes if door.is_trusted(self.get_query_argument("sid", None)) \
                else door.preauth_max_bytes

        def trust(self) -> None:
            """Registered: messages may now be as large as the door allows, and larger binary ones are spooled."""
            if self.ws_connection is not None:
                self.ws_connection.params.max_message_size = door.max_message_bytes
                self.ws_connection.large_messages = door.spool_message

        def prepare(self):
            if self.request.method != "POST":
                self.limit_body(0)
            elif door.is_trusted(self.get_query_argument("sid", None)):
                self.limit_body(door.max_message_bytes, "a registered session")
            elif not self.limit_body(door.preauth_max_bytes, "a session that has not registered"):
                door.causes.note(f"{door.name} door: oversized message before registration refused")

        async def post(self, *args, **kwargs):  # long-polling: the body was read (within its limit), not decoded
            self.request.body = self.body
            return await super().post(*args, **kwargs)

        async def open(self, *args, **kwargs):
            self.set_nodelay(True)  # small replies must not wait for the peer's delayed ACK (40 ms stalls)
            upgrading = self.get_query_argument("sid", None)
            if upgrading:  # a polling session moving to this websocket: its registration must reach this handler
                door.upgraded[upgrading] = self
                if door.is_trusted(upgrading):
                    self.trust()
            return await super().open(*args, **kwargs)

        def on_close(self) -> None:
            upgrading = self.get_query_argument("sid", None)
            if upgrading and door.upgraded.get(upgrading) is self:
                del door.upgraded[upgrading]
            return super().on_close()

        def on_message(self, message: str | bytes) -> Awaitable[None] | None:
            """Handled as read when nothing is ahead of it, else queued as engine.io's driver does (without a task
            per message: its queue is unbounded, put never waits)."""
            return receive_or_queue(self, message)

        def check_origin(self, origin: str) -> bool:
            return allow(origin, {"HTTP_HOST": self.request.host, "wsgi.url_scheme": self.request.protocol})

    return Handler


class SocketDoor(Door):
    """A socket.io endpoint speaking docs/PROTOCOL.md's events (`register_plugin`, `plugin_message`)."""

    def __init__(self, name: str, *, origin_allowed: Callable[[str | None, dict], bool], ping_interval: float,
                 ping_timeout: float, prove: Callable[[str, str], str] | None = None, **options: Any) -> None:
        """`ping_interval`, `ping_timeout`: engine.io's pings, in seconds (the gateway's `server.ping-interval` and
        `server.ping-timeout`)."""
        super().__init__(name, **options)
        # `auth_challenge`: the gateway proves it knows the token (rpc/proof.py) before a client gives anything
        self.prove = prove
        self.challenges: dict[str, tuple[str, str]] = {}  # sid -> (client nonce, server nonce)
        self.trusted: set[str] = set()  # engine.io sids of registered connections
        self.upgraded: dict[str, Any] = {}  # engine.io sid -> the websocket handler it upgraded to
        self._eio_of: dict[str, str] = {}
        self.origin_allowed = origin_allowed
        self.sio = socketio.AsyncServer(
            async_mode="tornado",
            max_http_buffer_size=self.max_message_bytes,
            cors_allowed_origins=lambda origin, environ: origin_allowed(origin, environ),
            cors_credentials=True,
            http_compression=False,
            logger=False,
            engineio_logger=False,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            async_handlers=False,  # handled as read, in order, without a task per event (small-call latency)
        )
        use_draining_writes(self.sio)
        self.refused: set[str] = set()
        self._guard_decoding()
        self.eio_pending: dict[str, set[str]] = {}  # engine.io sessions that have not registered, by origin
        self._guard_sessions()
        self.sio.on("connect", self._on_connect)
        self.sio.on("register_plugin", self._on_register)
        self.sio.on("auth_challenge", self._on_challenge)
        self.sio.on("plugin_message", self._on_message)
        self.sio.on("disconnect", self._on_disconnect)

    def handler(self) -> type:
        return uncompressed_handler(self.sio, self.origin_allowed, self)

    def _guard_decoding(self) -> None:
        """A packet python-socketio cannot decode (nested too deeply for the JSON parser, malformed) drops its
        connection with one log line per cause, instead of a traceback per packet."""
        handle = self.sio._handle_eio_message

        async def guarded(eio_sid: str, data: Any) -> None:
            if isinstance(data, SpoolSlice) and not array_attachment(self.sio._binary_packet.get(eio_sid)):
                self.causes.note(f"{self.name} door: connections that sent a message over the size limit that is "
                                 "not an array's bytes closed")
                await self.sio.eio.disconnect(eio_sid)
                return
            try:
                if isinstance(data, str) and data.count("[") + data.count("{") > NESTING_CHECK:
                    self._decode_without_gc(data)  # too deep: RecursionError here, not in handle()
                await handle(eio_sid, data)
            except (RecursionError, ValueError, TypeError, KeyError) as exc:
                self.causes.note(f"{self.name} door: undecodable packets dropped with their connection",
                                 type(exc).__name__)
                await self.sio.eio.disconnect(eio_sid)

        self.sio.eio.on("message", guarded)

    def _guard_sessions(self) -> None:
        """An engine.io session (long-polling ones have no connection of their own) counts as a pending
        connection of its origin from its handshake until it registers: at most `max_pending` per origin, each
        closed unless it registers within `register_timeout`."""
        connect, disconnect = self.sio._handle_eio_connect, self.sio._handle_eio_disconnect

        async def guarded_connect(eio_sid: str, environ: dict) -> Any:
            origin = _handler_origin(environ.get("tornado.handler"))
            waiting = self.eio_pending.setdefault(origin, set())
            if len(waiting) >= self.max_pending:
                self.causes.note(f"{self.name} door: engine.io session refused, {self.max_pending} sessions "
                                 f"({origin}) are already waiting to register")
                return False
            waiting.add(eio_sid)
            asyncio.get_running_loop().call_later(self.register_timeout, self._expire_session, eio_sid)
            return await connect(eio_sid, environ)

        async def guarded_disconnect(eio_sid: str, *args: Any) -> Any:
            self._unpend_session(eio_sid)
            return await disconnect(eio_sid, *args)

        self.sio.eio.on("connect", guarded_connect)
        self.sio.eio.on("disconnect", guarded_disconnect)

    def _unpend_session(self, eio_sid: str) -> None:
        for waiting in self.eio_pending.values():
            waiting.discard(eio_sid)

    def _expire_session(self, eio_sid: str) -> None:
        if eio_sid in self.trusted or not any(eio_sid in waiting for waiting in self.eio_pending.values()):
            return
        self._unpend_session(eio_sid)
        if any(self.sio.manager.eio_sid_from_sid(sid, "/") == eio_sid for sid in self.refused):
            return  # a refused socket kept open on purpose (bounded by MAX_REFUSED_OPEN)
        self.causes.note(f"{self.name} door: engine.io sessions that did not register in time closed", "",
                         logging.INFO)
        asyncio.ensure_future(self.sio.eio.disconnect(eio_sid))

    def _decode_without_gc(self, data: str) -> None:
        """Decode a packet with many brackets once with the garbage collector off: a collection that starts deep
        inside a too-deeply nested packet runs Dask's GC callback at that depth, which then prints its own
        RecursionError traceback."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            self.sio.packet_class(encoded_packet=data)
        finally:
            if enabled:
                gc.enable()

    def is_trusted(self, eio_sid: str | None) -> bool:
        return eio_sid in self.trusted

    def spool_message(self, size: int) -> Spool | None:
        """Where a registered connection's binary message over the size limit goes as it arrives (None: no room,
        and the connection is closed as for any message too large)."""
        spool = spool_for(self.uploads, size)
        if spool is None:
            self.causes.note(f"{self.name} door: a message over the size limit found no spool with room")
        return spool

    async def _on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        if not self.admit(sid, SocketIOChannel(self.sio, sid), _handler_origin(environ.get("tornado.handler"))):
            raise socketio.exceptions.ConnectionRefusedError("too many connections waiting to register")

    def _kept_refused(self, sid: str) -> bool:
        return sid in self.refused

    def _refused(self, sid: str, channel: SocketIOChannel) -> None:
        # Keep the socket open: a browser client reconnects and re-registers at once when dropped, so a
        # tab with a wrong token would knock every second. Only a bounded number are kept.
        if len(self.refused) < MAX_REFUSED_OPEN:
            self.refused.add(sid)
        else:
            close_later(channel, 1.0)

    async def _on_challenge(self, sid: str, data: Any = None) -> dict:
        """`{client_nonce}` -> `{success, server_nonce, proof}`: the gateway's proof of knowing the token."""
        client_nonce = data.get("client_nonce") if isinstance(data, dict) else None
        if self.prove is None or not isinstance(client_nonce, str) or not 16 <= len(client_nonce) <= MAX_NONCE:
            return {"success": False, "detail": "auth_challenge needs {client_nonce: 16 to 128 characters}"}
        server_nonce = nonce()
        self.challenges[sid] = (client_nonce, server_nonce)
        return {"success": True, "server_nonce": server_nonce, "proof": self.prove(client_nonce, server_nonce)}

    async def _on_register(self, sid: str, config: Any = None) -> dict:
        if isinstance(config, dict) and sid in self.challenges:  # the nonces its token_proof is made over
            config = {**config, "_nonces": self.challenges.pop(sid)}
        return await self.register_connection(sid, config, SocketIOChannel(self.sio, sid))

    def _registered(self, connection: Connection) -> None:
        """Lift the pre-registration size limit of this connection."""
        sid = connection.sid
        try:
            eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
            if eio_sid is not None:
                self.trusted.add(eio_sid)
                self._eio_of[sid] = eio_sid
                self._unpend_session(eio_sid)
            # the connection's environ holds its first request's handler: a polling one when it upgraded later
            handler = self.upgraded.get(eio_sid) or self.sio.get_environ(sid).get("tornado.handler")
        except (KeyError, AttributeError, TypeError):
            return
        if hasattr(handler, "trust"):
            handler.trust()

    async def _on_message(self, sid: str, message: Any = None) -> dict:
        return self.handle_message(sid, message)

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.refused.discard(sid)
        self.challenges.pop(sid, None)
        self.trusted.discard(self._eio_of.pop(sid, ""))
        intended = reason in (socketio.AsyncServer.reason.CLIENT_DISCONNECT,
                              socketio.AsyncServer.reason.SERVER_DISCONNECT)
        self.connection_ended(sid, str(reason), intended)


def _handler_origin(handler: Any) -> str:
    """Where the connection of a tornado handler comes from (limits.OWN, OTHER_USER, REMOTE)."""
    request = getattr(handler, "request", None)
    stream = getattr(getattr(request, "connection", None), "stream", None) \
        or getattr(getattr(handler, "ws_connection", None), "stream", None)
    return stream_origin(stream) if stream is not None else OWN

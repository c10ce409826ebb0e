"""A socket.io client transport for the RPC core: connect, register_plugin, then an RPCPeer in the plugin role."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import engineio
import socketio

from imjoy_hpc.rpc.dotdict import DotDict
from imjoy_hpc.rpc.errors import RPCError
from imjoy_hpc.rpc.ndarray import ndarray_buffer
from imjoy_hpc.rpc.outbox import Outbox
from imjoy_hpc.rpc.peer import RPCPeer
from imjoy_hpc.rpc.store import new_id
from imjoy_hpc.rpc.upload import ArrayUploader, UploadError

logger = logging.getLogger("imjoy_hpc.rpc")


ATTEMPT_SECONDS = 10.0  # one try to open the socket.io connection; a server that does not answer gets another
RECEIVE_CHUNK_BYTES = 2 * 2**20  # arrays sent to this client may come in chunks this large (no message limit)


class RegistrationError(RPCError):
    """The server refused register_plugin; the message is the server's detail."""


class UnreachableError(RPCError):
    """The socket.io connection could not be opened in time (every attempt failed or went unanswered)."""


class SocketIOPeer:
    """An RPC peer over python-socketio's AsyncClient (websocket only, no incoming message size cap)."""

    def __init__(self, url: str, registration: dict, *, config: dict | None = None, chunk_bytes: int = 4_000_000,
                 sync_in_thread: bool = False) -> None:
        self.url = url
        self.registration = registration
        self.config = config or {"name": registration.get("name", "imjoy-hpc client")}
        self.chunk_bytes = chunk_bytes
        self.sync_in_thread = sync_in_thread
        self.sio = self._new_client()
        self.peer: RPCPeer | None = None
        self.closed = asyncio.Event()
        self.uploader: ArrayUploader | None = None  # large arrays go out of band when the server offers it
        self._streams: dict[str, tuple[dict, memoryview]] = {}
        self._outbox = Outbox(self._emit, self._send_failed)

    @staticmethod
    def _new_client() -> socketio.AsyncClient:
        return socketio.AsyncClient(reconnection=False, websocket_extra_options={"max_msg_size": 0})

    async def _open(self, timeout: float) -> None:
        """Open the socket.io connection, with a fresh client per attempt while `timeout` allows (nothing is
        registered before it is open, so a retry is safe): a busy server that loses one handshake costs seconds,
        not a plugin that waits forever."""
        loop = asyncio.get_running_loop()
        deadline, attempt = loop.time() + timeout, 0
        path = urlsplit(self.url).path.rstrip("/") + "/socket.io"
        while True:
            attempt += 1
            left = min(ATTEMPT_SECONDS, deadline - loop.time())
            try:
                await asyncio.wait_for(self.sio.connect(self.url, transports=["websocket"], socketio_path=path,
                                                        wait_timeout=left), left)
                return
            except (asyncio.TimeoutError, socketio.exceptions.ConnectionError) as exc:
                why = str(exc) or f"no answer within {left:.0f} s"
            try:
                await asyncio.wait_for(self.sio.disconnect(), 2)
            except Exception:  # noqa: BLE001 - the attempt's client is dropped either way
                pass
            if deadline - loop.time() < 1:
                raise UnreachableError(f"could not connect to {self.url} within {timeout:.0f} s "
                                       f"({attempt} attempts; the last: {why})")
            logger.warning("connecting to %s: attempt %d failed (%s); trying again", self.url, attempt, why)
            self.sio = self._new_client()
            await asyncio.sleep(min(0.5 * attempt, 2.0))

    async def connect(self, timeout: float = 30) -> DotDict:
        """Connect, register and complete the handshake; returns the server's API."""
        await self._open(timeout)
        self.sio.on("plugin_message", self._on_message)
        self.sio.on("disconnect", self._on_disconnect)
        registration = {"chunk_bytes": RECEIVE_CHUNK_BYTES, **self.registration}
        reply = await self.sio.call("register_plugin", registration, timeout=timeout)
        if not isinstance(reply, dict) or not reply.get("success"):
            await self.sio.disconnect()
            detail = reply.get("detail") if isinstance(reply, dict) else reply
            raise RegistrationError(f"the server refused the connection: {detail}")
        self.peer = RPCPeer(self._send, config=self.config, chunk_bytes=self.chunk_bytes,
                            sync_in_thread=self.sync_in_thread)
        if isinstance(reply.get("upload_key"), str) and isinstance(reply.get("upload_path"), str):
            self.uploader = ArrayUploader(self.url, reply["upload_path"], reply["upload_key"])
            self.peer.codec.streamer = self._stream_array
            self.peer.codec.stream_bytes = self.chunk_bytes
        self.peer.connect()
        return await self.peer.wait_remote(timeout)

    def _stream_array(self, value: Any) -> dict:
        """Encode a large array as a reference; its bytes are uploaded just before the message that holds it."""
        flat, shape, wire_dtype = ndarray_buffer(value)
        placeholder = {"_rtype": "ndarray", "_rstream": new_id().replace("-", ""), "_rshape": shape,
                       "_rdtype": wire_dtype}
        self._streams[placeholder["_rstream"]] = (placeholder, flat)
        return placeholder

    def _send(self, message: dict) -> None:
        message["peer_id"] = self.peer.peer_id
        streams = []
        if self._streams:  # those of this message (a message whose encoding failed leaves its own behind)
            streams = [self._streams[i] for i in _stream_ids(message) if i in self._streams]
            self._streams.clear()
        if streams or not self._outbox.idle or not self._queue_now(message):
            self._outbox.put((message, streams))

    def _queue_now(self, message: dict) -> bool:
        """Put the message on engine.io's queue at once, as `emit` would (no task and no scheduling round of
        its own); False when the connection is not in a state to take it that way."""
        eio = self.sio.eio
        if eio.state != "connected" or "/" not in self.sio.namespaces:
            return False
        encoded = self.sio.packet_class(socketio.packet.EVENT, namespace="/",
                                        data=["plugin_message", message]).encode()
        for part in encoded if isinstance(encoded, list) else [encoded]:
            eio.queue.put_nowait(engineio.packet.Packet(engineio.packet.MESSAGE, data=part))
        return True

    async def _emit(self, item: tuple[dict, list[tuple[dict, memoryview]]]) -> None:
        message, streams = item
        for placeholder, data in streams:
            try:
                await self.uploader.upload(placeholder["_rstream"], data)
            except UploadError as exc:  # the receiver fails the call with this reason
                logger.warning("%s", exc)
                placeholder["_rerror"] = str(exc)
        await self.sio.emit("plugin_message", message)

    def _send_failed(self, exc: BaseException) -> None:
        logger.warning("sending a message failed: %s", exc)
        self.closed.set()

    def _on_message(self, data: Any) -> None:
        if self.peer is None or not isinstance(data, dict) or data.get("peer_id") != self.peer.peer_id:
            return
        try:
            self.peer.handle_message(data)
        except RPCError as exc:
            logger.warning("ignored a malformed message from the server: %s", exc)

    def _on_disconnect(self, *args: Any) -> None:
        self.closed.set()
        if self.peer is not None:
            self.peer.close("the server closed the connection")

    async def export(self, api: Any) -> None:
        """Publish this client's own API (e.g. showProgress handlers) to the server."""
        await self.peer.set_interface(api)

    async def disconnect(self) -> None:
        self._outbox.close()
        if self.sio.connected:
            await self.sio.disconnect()
        self._on_disconnect()


def _stream_ids(value: Any) -> list[str]:
    """The `_rstream` ids of the arrays referred to in an encoded message."""
    if isinstance(value, dict):
        if isinstance(value.get("_rstream"), str):
            return [value["_rstream"]]
        return [i for v in value.values() for i in _stream_ids(v)]
    if isinstance(value, list):
        return [i for v in value for i in _stream_ids(v)]
    return []


async def connect_to_gateway(url: str, token: str, name: str = "imjoy-hpc script") -> SocketIOPeer:
    """Connect a script to an imjoy-hpc gateway; `(await connect_to_gateway(...)).peer.remote` is its API."""
    connection = SocketIOPeer(url, {"name": name, "token": token}, config={"name": name})
    await connection.connect()
    return connection

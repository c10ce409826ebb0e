"""A socket.io client transport for the RPC core: connect, register_plugin, then an RPCPeer in the plugin role."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import socketio

from imjoy_hpc.rpc.dotdict import DotDict
from imjoy_hpc.rpc.errors import RPCError
from imjoy_hpc.rpc.outbox import Outbox
from imjoy_hpc.rpc.peer import RPCPeer

logger = logging.getLogger("imjoy_hpc.rpc")


class RegistrationError(RPCError):
    """The server refused register_plugin; the message is the server's detail."""


class SocketIOPeer:
    """An RPC peer over python-socketio's AsyncClient (websocket only, no incoming message size cap)."""

    def __init__(self, url: str, registration: dict, *, config: dict | None = None, chunk_bytes: int = 4_000_000,
                 sync_in_thread: bool = False) -> None:
        self.url = url
        self.registration = registration
        self.config = config or {"name": registration.get("name", "imjoy-hpc client")}
        self.chunk_bytes = chunk_bytes
        self.sync_in_thread = sync_in_thread
        self.sio = socketio.AsyncClient(reconnection=False, websocket_extra_options={"max_msg_size": 0})
        self.peer: RPCPeer | None = None
        self.closed = asyncio.Event()
        self._outbox = Outbox(lambda message: self.sio.emit("plugin_message", message), self._send_failed)

    async def connect(self, timeout: float = 30) -> DotDict:
        """Connect, register and complete the handshake; returns the server's API."""
        self.sio.on("plugin_message", self._on_message)
        self.sio.on("disconnect", self._on_disconnect)
        path = urlsplit(self.url).path.rstrip("/") + "/socket.io"
        await self.sio.connect(self.url, transports=["websocket"], socketio_path=path, wait_timeout=timeout)
        reply = await self.sio.call("register_plugin", self.registration, timeout=timeout)
        if not isinstance(reply, dict) or not reply.get("success"):
            await self.sio.disconnect()
            detail = reply.get("detail") if isinstance(reply, dict) else reply
            raise RegistrationError(f"the server refused the connection: {detail}")
        self.peer = RPCPeer(self._send, config=self.config, chunk_bytes=self.chunk_bytes,
                            sync_in_thread=self.sync_in_thread)
        self.peer.connect()
        return await self.peer.wait_remote(timeout)

    def _send(self, message: dict) -> None:
        message["peer_id"] = self.peer.peer_id
        self._outbox.put(message)

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


async def connect_to_gateway(url: str, token: str, name: str = "imjoy-hpc script") -> SocketIOPeer:
    """Connect a script to an imjoy-hpc gateway; `(await connect_to_gateway(...)).peer.remote` is its API."""
    connection = SocketIOPeer(url, {"name": name, "token": token}, config={"name": name})
    await connection.connect()
    return connection

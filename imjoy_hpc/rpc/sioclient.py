"""A socket.io client transport for the RPC core (scripts on the front door): connect, register_plugin, then an
RPCPeer in the plugin role."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import engineio
import socketio

from imjoy_hpc.rpc.connection import PeerConnection, RegistrationError, UnreachableError
from imjoy_hpc.rpc.sio_arrays import ArrayPacket

__all__ = ["RegistrationError", "SocketIOPeer", "UnreachableError", "connect_to_gateway"]


class SocketIOPeer(PeerConnection):
    """An RPC peer over python-socketio's AsyncClient (websocket only, no incoming message size cap)."""

    ATTEMPT_ERRORS = (TimeoutError, socketio.exceptions.ConnectionError)

    def __init__(self, url: str, registration: dict, **options: Any) -> None:
        super().__init__(url, registration, **options)
        self.sio = self._new_client()

    @staticmethod
    def _new_client() -> socketio.AsyncClient:
        return socketio.AsyncClient(reconnection=False, serializer=ArrayPacket,
                                    websocket_extra_options={"max_msg_size": 0})

    async def _open_once(self, timeout: float) -> None:
        path = urlsplit(self.url).path.rstrip("/") + "/socket.io"
        await self.sio.connect(self.url, transports=["websocket"], socketio_path=path, wait_timeout=timeout)

    async def _drop_attempt(self) -> None:
        sio, self.sio = self.sio, self._new_client()
        await sio.disconnect()

    async def _register(self, registration: dict, timeout: float) -> Any:
        self.sio.on("plugin_message", self._on_message)
        self.sio.on("disconnect", self._on_disconnect)
        return await self.sio.call("register_plugin", registration, timeout=timeout)

    def _send_now(self, message: dict) -> bool:
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

    async def _write(self, message: dict) -> None:
        await self.sio.emit("plugin_message", message)

    async def _close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def connect_to_gateway(url: str, token: str, name: str = "imjoy-hpc script") -> SocketIOPeer:
    """Connect a script to an imjoy-hpc gateway; `(await connect_to_gateway(...)).peer.remote` is its API."""
    connection = SocketIOPeer(url, {"name": name, "token": token}, config={"name": name})
    await connection.connect()
    return connection

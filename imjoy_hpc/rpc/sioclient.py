"""A socket.io client transport for the RPC core (scripts on the front door): connect, register_plugin, then an
RPCPeer in the plugin role."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import engineio
import socketio

from imjoy_hpc.rpc.connection import PeerConnection, RegistrationError, UnreachableError
from imjoy_hpc.rpc.proof import CLIENT, SERVER, nonce, proof, proof_matches
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
        token = registration.get("token")
        if isinstance(token, str):  # the server proves it knows the token before it is given anything
            registration = await self._proven(registration, token, timeout)
        return await self.sio.call("register_plugin", registration, timeout=timeout)

    async def _proven(self, registration: dict, token: str, timeout: float) -> dict:
        """The registration with a proof of the token in its place, once the server proved it knows the token;
        RegistrationError (nothing sent) when it does not."""
        client_nonce = nonce()
        try:
            reply = await self.sio.call("auth_challenge", {"client_nonce": client_nonce}, timeout=min(timeout, 10))
        except socketio.exceptions.TimeoutError:
            reply = None
        server_nonce = reply.get("server_nonce") if isinstance(reply, dict) else None
        if not isinstance(reply, dict) or not proof_matches(reply.get("proof"), token, SERVER, client_nonce,
                                                            server_nonce):
            await self._close()
            raise RegistrationError(f"{self.url} is not your imjoy-hpc gateway: it did not prove that it knows the "
                                    "token (another program may hold the port of a gateway that stopped); the token "
                                    "was not sent")
        registration = {k: v for k, v in registration.items() if k != "token"}
        return {**registration, "token_proof": proof(token, CLIENT, client_nonce, server_nonce)}

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

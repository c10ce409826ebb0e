"""The plugin process's side of the plugin link (rpc/link.py): one websocket to the gateway's plugin door."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import tornado.httpclient
import tornado.websocket

from imjoy_hpc.rpc.connection import PeerConnection, RegistrationError, UnreachableError
from imjoy_hpc.rpc.link import FrameDecoder, LinkError, LinkSender
from imjoy_hpc.rpc.ws_receive import websocket_connect

__all__ = ["LINK_PATH", "LinkPeer", "RegistrationError", "UnreachableError"]

logger = logging.getLogger("imjoy_hpc.rpc")
LINK_PATH = "/link"
MAX_MESSAGE_BYTES = 1 << 30  # what the gateway sends is bounded by its own limits


def link_url(door_url: str) -> str:
    """`ws://host:port/link` for the door at `http://host:port`."""
    parts = urlsplit(door_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + LINK_PATH, "", ""))


class LinkPeer(PeerConnection):
    """An RPC peer in the plugin role over the plugin link."""

    ATTEMPT_ERRORS = (TimeoutError, OSError, tornado.websocket.WebSocketError, tornado.httpclient.HTTPClientError)

    def __init__(self, url: str, registration: dict, *, ping: tuple[float, float] | None = None,
                 **options: Any) -> None:
        """`ping`: the websocket's ping interval and timeout, so that a gateway that stops answering ends the
        plugin (plugin processes pass the gateway's server.ping-*; None: no pings)."""
        super().__init__(url, registration, **options)
        self.ping_interval, self.ping_timeout = ping or (None, None)
        self._ws: tornado.websocket.WebSocketClientConnection | None = None
        self._sender: LinkSender | None = None
        self._decoder = FrameDecoder(self._on_frame)
        self._reply: asyncio.Future | None = None
        self._attempt = 0  # callbacks of an earlier attempt's websocket are ignored

    async def _open_once(self, timeout: float) -> None:
        # Both timeouts: a door that accepts the connection but never answers the upgrade is given up on (and
        # its socket closed) by tornado itself.
        request = tornado.httpclient.HTTPRequest(link_url(self.url), connect_timeout=timeout,
                                                 request_timeout=max(1.0, timeout - 0.5))
        self._attempt += 1
        attempt = self._attempt

        def on_message(data: bytes | str | None) -> None:
            if attempt == self._attempt:
                self._on_websocket_message(data)
        self._ws = await websocket_connect(
            request, on_message_callback=on_message, ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout, max_message_size=MAX_MESSAGE_BYTES)
        self._ws.stream.set_nodelay(True)  # small replies must not wait for a delayed ACK
        self._sender = LinkSender(self._write_websocket, self._send_failed)

    def _write_websocket(self, data: bytes | memoryview) -> asyncio.Future:
        # a client's messages are masked (a copy either way), from bytes
        return self._ws.protocol.write_binary(data if isinstance(data, bytes) else bytes(data))

    async def _drop_attempt(self) -> None:
        self._attempt += 1
        if self._ws is not None:
            self._ws.close()
        self._ws = self._sender = None

    async def _register(self, registration: dict, timeout: float) -> Any:
        self._reply = asyncio.get_running_loop().create_future()
        self._sender.send("register", registration)
        try:
            return await asyncio.wait_for(asyncio.shield(self._reply), timeout)
        except asyncio.TimeoutError:
            raise UnreachableError(f"{self.url} did not answer the registration within {timeout:.0f} s") from None

    def _send_now(self, message: dict) -> bool:
        self._sender.send("rpc", message)
        return True

    async def _write(self, message: dict) -> None:
        self._send_now(message)  # the link keeps frames in order itself

    async def _close(self) -> None:
        if self._sender is not None:
            self._sender.close()
        if self._ws is not None:
            self._ws.close()

    def _on_websocket_message(self, data: bytes | str | None) -> None:
        if data is None:  # the connection ended
            if self._reply is not None and not self._reply.done():
                self._reply.set_result({"success": False, "detail": "the gateway closed the connection"})
            self._on_disconnect()
            return
        try:
            self._decoder.feed(data)
        except LinkError as exc:
            logger.warning("the gateway sent what is not a frame of the plugin link: %s; closing it", exc)
            self._ws.close()

    def _on_frame(self, kind: str, body: Any) -> None:
        if kind == "rpc":
            self._on_message(body)
        elif kind == "registered" and self._reply is not None and not self._reply.done():
            self._reply.set_result(body)
        elif kind == "error":
            logger.warning("the gateway refused a message: %s", body)

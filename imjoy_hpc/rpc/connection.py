"""An RPC peer in the plugin role over one connection to a gateway door: connect (trying again while the timeout
allows), register, then an RPCPeer whose large arrays go out of band when the door offers it.

The transport is a subclass's: socket.io for the front door (`sioclient.SocketIOPeer`, scripts), the plugin link
for the plugin door (`linkclient.LinkPeer`, plugin processes)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from imjoy_hpc.rpc.dotdict import DotDict
from imjoy_hpc.rpc.errors import RPCError
from imjoy_hpc.rpc.ndarray import ndarray_buffer
from imjoy_hpc.rpc.outbox import Outbox
from imjoy_hpc.rpc.peer import RPCPeer
from imjoy_hpc.rpc.upload import ArrayUploader, UploadError

logger = logging.getLogger("imjoy_hpc.rpc")

ATTEMPT_SECONDS = 10.0  # one try to open the connection; a server that does not answer gets another
RECEIVE_CHUNK_BYTES = 2 * 2**20  # arrays sent to this client may come in chunks this large (no message limit)


class RegistrationError(RPCError):
    """The server refused the registration; the message is the server's detail."""


class UnreachableError(RPCError):
    """The connection could not be opened in time (every attempt failed or went unanswered)."""


class PeerConnection:
    """The transport-independent part: registration, the RPC peer, ordered sending with array uploads."""

    ATTEMPT_ERRORS: tuple[type[BaseException], ...] = (asyncio.TimeoutError, OSError)

    def __init__(self, url: str, registration: dict, *, config: dict | None = None, chunk_bytes: int | None = None,
                 sync_in_thread: bool = False) -> None:
        """`chunk_bytes`: the largest array chunk to send in one message (None: what the server's registration
        reply states)."""
        self.url = url
        self.registration = registration
        self.config = config or {"name": registration.get("name", "imjoy-hpc client")}
        self.chunk_bytes = chunk_bytes
        self.sync_in_thread = sync_in_thread
        self.peer: RPCPeer | None = None
        self.closed = asyncio.Event()
        self.uploader: ArrayUploader | None = None  # large arrays go out of band when the server offers it
        self._streams: dict[str, tuple[dict, memoryview]] = {}
        self._outbox = Outbox(self._emit, self._send_failed)

    # ------------------------------------------------------------------ what a transport provides
    async def _open_once(self, timeout: float) -> None:
        """Open the connection (one attempt)."""
        raise NotImplementedError

    async def _drop_attempt(self) -> None:
        """Drop what a failed attempt left, so that the next one starts afresh."""

    async def _register(self, registration: dict, timeout: float) -> Any:
        """Send the registration; the server's reply."""
        raise NotImplementedError

    def _send_now(self, message: dict) -> bool:
        """Hand the message to the connection at once (no task of its own); False when it cannot take it so."""
        raise NotImplementedError

    async def _write(self, message: dict) -> None:
        """Send the message (from the outbox, after its arrays were uploaded)."""
        raise NotImplementedError

    async def _close(self) -> None:
        """Close the connection."""
        raise NotImplementedError

    # ------------------------------------------------------------------ connecting
    async def _open(self, timeout: float) -> None:
        """Open the connection, afresh per attempt while `timeout` allows (nothing is registered before it is
        open, so a retry is safe): a busy server that loses one handshake costs seconds, not a plugin that waits
        forever."""
        loop = asyncio.get_running_loop()
        deadline, attempt = loop.time() + timeout, 0
        while True:
            attempt += 1
            left = min(ATTEMPT_SECONDS, deadline - loop.time())
            try:
                await asyncio.wait_for(self._open_once(left), left)
                return
            except self.ATTEMPT_ERRORS as exc:
                why = str(exc) or f"no answer within {left:.0f} s"
            try:
                await asyncio.wait_for(self._drop_attempt(), 2)
            except Exception:  # noqa: BLE001 - the attempt's connection is dropped either way
                pass
            if deadline - loop.time() < 1:
                raise UnreachableError(f"could not connect to {self.url} within {timeout:.0f} s "
                                       f"({attempt} attempts; the last: {why})")
            logger.warning("connecting to %s: attempt %d failed (%s); trying again", self.url, attempt, why)
            await asyncio.sleep(min(0.5 * attempt, 2.0))

    async def connect(self, timeout: float = 30) -> DotDict:
        """Connect, register and complete the handshake; returns the server's API. A registration the server
        refused for now (`retry`: too many at once) is tried again on a new connection, with backoff, while
        `timeout` allows."""
        loop = asyncio.get_running_loop()
        deadline, attempt = loop.time() + timeout, 0
        while True:
            attempt += 1
            await self._open(max(1.0, deadline - loop.time()))
            reply = await self._register({"chunk_bytes": RECEIVE_CHUNK_BYTES, **self.registration},
                                         max(1.0, deadline - loop.time()))
            if isinstance(reply, dict) and reply.get("success"):
                break
            await self._close()
            detail = reply.get("detail") if isinstance(reply, dict) else reply
            pause = min(0.25 * 2 ** attempt, 4.0)
            if not (isinstance(reply, dict) and reply.get("retry")) or loop.time() + pause >= deadline:
                raise RegistrationError(f"the server refused the connection: {detail}"
                                        + (f" ({attempt} attempts)" if attempt > 1 else ""))
            logger.warning("the server refused the registration for now (%s); trying again in %.1f s "
                           "(attempt %d, until %.0f s have passed)", detail, pause, attempt, timeout)
            await asyncio.sleep(pause)
            await self._drop_attempt()
            self.closed = asyncio.Event()  # the refused connection's end is not this one's
        if self.chunk_bytes is None:
            stated = reply.get("chunk_bytes")
            if not isinstance(stated, int) or isinstance(stated, bool) or stated <= 0:
                await self._close()
                raise RegistrationError("the server did not state the array chunk size it accepts (chunk_bytes): "
                                        "is it an imjoy-hpc gateway of this version?")
            self.chunk_bytes = stated
        self.peer = RPCPeer(self._send, config=self.config, chunk_bytes=self.chunk_bytes,
                            sync_in_thread=self.sync_in_thread)
        if isinstance(reply.get("upload_key"), str) and isinstance(reply.get("upload_path"), str):
            self.uploader = ArrayUploader(self.url, reply["upload_path"], reply["upload_key"])
            self.peer.codec.streamer = self._stream_array
            self.peer.codec.stream_bytes = self.chunk_bytes
        self.peer.connect()
        return await self.peer.wait_remote(timeout)

    # ------------------------------------------------------------------ sending
    def _stream_array(self, value: Any) -> dict:
        """Encode a large array as a reference; its bytes are uploaded just before the message that holds it."""
        flat, shape, wire_dtype = ndarray_buffer(value)
        placeholder = {"_rtype": "ndarray", "_rstream": uuid.uuid4().hex, "_rshape": shape,
                       "_rdtype": wire_dtype}
        self._streams[placeholder["_rstream"]] = (placeholder, flat)
        return placeholder

    def _send(self, message: dict) -> None:
        message["peer_id"] = self.peer.peer_id
        streams = []
        if self._streams:  # those of this message (a message whose encoding failed leaves its own behind)
            streams = [self._streams[i] for i in _stream_ids(message) if i in self._streams]
            self._streams.clear()
        if streams or not self._outbox.idle or not self._send_now(message):
            self._outbox.put((message, streams))

    async def _emit(self, item: tuple[dict, list[tuple[dict, memoryview]]]) -> None:
        message, streams = item
        for placeholder, data in streams:
            try:
                await self.uploader.upload(placeholder["_rstream"], data)
            except UploadError as exc:  # the receiver fails the call with this reason
                logger.warning("%s", exc)
                placeholder["_rerror"] = str(exc)
        await self._write(message)

    def _send_failed(self, exc: BaseException) -> None:
        logger.warning("sending a message failed: %s", exc)
        self.closed.set()

    # ------------------------------------------------------------------ receiving
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
        await self._close()
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

"""engine.io messages handled as they are read.

engine.io's websocket reader takes each message from a queue in a task of its own, through a timer-guarded wait
in another task: a small call reaches the gateway's handler two scheduling rounds after tornado read it. An
`InlineReceiver` hands a MESSAGE packet to the engine.io socket in the same step, when nothing is ahead of it (the
queue empty, the reader holding nothing); anything else (pongs, the upgrade probe, what arrives while a message is
in hand) goes through the queue as before, so the order of one connection's packets is kept. A message whose
handling waits makes tornado wait too before it reads the next frame. A binary message the websocket spooled
(rpc/ws_receive.py, a `SpoolSlice`) is handed over here too, once everything before it has been.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable

from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet

from imjoy_hpc.rpc.spool import SpoolSlice
from imjoy_hpc.rpc.stepping import start_now

logger = logging.getLogger("imjoy_hpc.gateway")
QUEUE = object()  # `take`'s answer: this message goes through engine.io's queue


class InlineReceiver:
    """The receiving side of one engine.io socket on a websocket (installed by binary_send.DrainingWebSocket)."""

    def __init__(self, socket: Any, queue: asyncio.Queue, max_bytes: int) -> None:
        self.socket = socket
        self.queue = queue
        self.max_bytes = max_bytes
        self.in_hand = False  # engine.io's reader took a message and has not finished handling it
        self.busy = False     # a message handled here waits on something
        self._receive = socket.receive

        async def receive(pkt: Any) -> None:  # engine.io's reader, for what came through the queue
            try:
                await self._receive(pkt)
            finally:
                self.in_hand = False

        socket.receive = receive

    def took(self) -> None:
        """engine.io's reader has taken a message from the queue."""
        self.in_hand = True

    def take(self, message: str | bytes) -> Any:
        """Handle `message` now: None when done, an awaitable when its handling waits (tornado reads on once it is
        done), or QUEUE when it must go through engine.io's queue."""
        socket = self.socket
        if self.busy or self.in_hand or not self.queue.empty() or not socket.upgraded or socket.closing \
                or socket.closed or len(message) > self.max_bytes:
            return QUEUE
        try:
            pkt = eio_packet.Packet(encoded_packet=message)
        except Exception:  # noqa: BLE001 - engine.io's reader deals with it its own way
            return QUEUE
        if pkt.packet_type != eio_packet.MESSAGE:
            return QUEUE
        try:
            rest = start_now(self._receive(pkt))
        except Exception as exc:  # noqa: BLE001 - as engine.io's reader: the connection goes on
            _log_failure(exc)
            return None
        if rest is None:
            return None
        self.busy = True
        rest.add_done_callback(self._done)
        return rest

    async def take_spooled(self, message: SpoolSlice) -> None:
        """Handle a spooled binary message (engine.io's reader could not decode it) after what came before it."""
        while self.busy or self.in_hand or not self.queue.empty():
            await asyncio.sleep(0.005)
        pkt = eio_packet.Packet(eio_packet.MESSAGE, data=message)
        pkt.binary = True
        try:
            await self._receive(pkt)
        except Exception as exc:  # noqa: BLE001 - as engine.io's reader: the connection goes on
            _log_failure(exc)

    def _done(self, task: "asyncio.Task[Any]") -> None:
        self.busy = False
        if not task.cancelled() and task.exception() is not None:
            _log_failure(task.exception())


def _log_failure(exc: BaseException) -> None:
    if not isinstance(exc, (eio_exceptions.UnknownPacketError, eio_exceptions.SocketIsClosedError)):
        logger.error("handling a message failed: %s: %s", type(exc).__name__, exc)


def receive_or_queue(handler: Any, message: str | bytes) -> Awaitable[None] | None:
    """What a tornado handler of engine.io does with a message it read."""
    receiver: InlineReceiver | None = getattr(handler, "inline_receiver", None)
    if isinstance(message, SpoolSlice):
        if receiver is None:  # not a connection that takes them: dropped, its spool with it
            handler.close(1009, "message too big")
            return None
        return receiver.take_spooled(message)
    if receiver is not None:
        handled = receiver.take(message)
        if handled is not QUEUE:
            return handled
    handler.receive_queue.put_nowait(message)
    return None

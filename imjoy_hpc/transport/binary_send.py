"""Sending socket.io events that carry binary attachments with bounded memory and back-pressure.

python-socketio would encode an event with all its attachments in memory and engine.io's tornado driver writes
them without waiting for the socket: a slow client makes the gateway buffer everything. Here:

* `queue_event` builds the same EVENT / BINARY_EVENT python-socketio would (JSON with placeholders, then one
  binary websocket message per attachment) and queues it at once (no task of its own: a small call is not
  delayed by a scheduling round per hop), but an attachment may be a spooled chunk that is read from its file
  only when the writer gets to it, or a memoryview that is never copied into a packet;
* `DrainingWebSocket` (engine.io's tornado driver, one change) waits until each message has left for the socket
  before the next is written, so engine.io's writer holds one attachment at a time and a slow reader slows only
  its own connection;
* `FrameWriter` writes a websocket frame as its header plus the payload's own buffer (tornado would copy the
  payload into a new frame first, and hand back a task to await).

Ordering is engine.io's: the header and every attachment go into the connection's queue in one step, so nothing
else (an ack, another event) can land between the attachments of one event.
"""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

import socketio
import tornado.websocket
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers.tornado import WebSocket as TornadoWebSocket
from tornado.iostream import StreamClosedError

from imjoy_hpc.transport.eio_receive import InlineReceiver
from imjoy_hpc.rpc.spool import SpoolSlice
from imjoy_hpc.rpc.ws_receive import ReadWhenReadable

BINARY = (bytes, bytearray, memoryview, SpoolSlice)
COALESCE_BYTES = 64 * 1024  # an event whose attachments are this small goes out in one write
# A plain "received" ack (what both imjoy-rpc clients ask for with every plugin_message, and only look at when it
# says success: false) waits this long for the next packet to that client and goes out in the same write.
ACK_HOLD_SECONDS = 0.002
PLAIN_ACK = '[{"success":true}]'


def deconstruct(data: Any, attachments: list) -> Any:
    """`data` with every binary value replaced by a socket.io placeholder (the values go to `attachments`)."""
    if isinstance(data, BINARY):
        attachments.append(data)
        return {"_placeholder": True, "num": len(attachments) - 1}
    if isinstance(data, (list, tuple)):
        return [deconstruct(item, attachments) for item in data]
    if isinstance(data, dict):
        return {key: deconstruct(value, attachments) for key, value in data.items()}
    return data


class AttachmentPacket(eio_packet.Packet):
    """An engine.io binary message whose bytes are produced when the writer sends it."""

    def __init__(self, source: bytes | bytearray | memoryview | SpoolSlice) -> None:
        super().__init__(eio_packet.MESSAGE, data=None)
        self.binary = True
        self.source = source

    def encode(self, b64: bool = False) -> Any:
        source, self.source = self.source, None  # sent once; the writer drops the bytes after writing them
        data = source.read() if isinstance(source, SpoolSlice) else source
        if b64:  # long-polling transport
            return "b" + base64.b64encode(data).decode("ascii")
        return data


def queue_event(sio: socketio.AsyncServer, sid: str, event: str, data: Any, namespace: str = "/") -> bool:
    """Put `event` for one client on its engine.io queue now, in order with everything queued before (False when
    the client is gone). Binary values (bytes, memoryviews, spooled chunks) travel as attachments, read when sent."""
    eio_sid = sio.manager.eio_sid_from_sid(sid, namespace)
    try:
        socket = sio.eio._get_socket(eio_sid) if eio_sid is not None else None
    except KeyError:
        socket = None
    if socket is None or socket.closing:
        return False
    attachments: list = []
    payload = deconstruct(data, attachments)
    kind = f"{socketio.packet.BINARY_EVENT}{len(attachments)}-" if attachments else str(socketio.packet.EVENT)
    prefix = kind + (namespace + "," if namespace != "/" else "")
    header = prefix + sio.packet_class.json.dumps([event, payload], separators=(",", ":"))
    packet = eio_packet.Packet(eio_packet.MESSAGE, data=header)
    if DrainingWebSocket.write_now(socket, packet, attachments):
        return True
    socket.queue.put_nowait(packet)
    for attachment in attachments:
        socket.queue.put_nowait(AttachmentPacket(attachment))
    return True


class FrameWriter(ReadWhenReadable, tornado.websocket.WebSocketProtocol13):
    """tornado's websocket protocol, writing binary frames without copying their payload."""

    def _frame_header(self, data: str | bytes | bytearray | memoryview) -> tuple[bytes, Any, int]:
        """The frame's header, its payload as bytes-like, and the payload's size."""
        binary = not isinstance(data, str)
        opcode = 0x2 if binary else 0x1
        if not binary:
            data = data.encode("utf-8")
        size = memoryview(data).nbytes
        if size < 126:
            header = struct.pack("!BB", self.FIN | opcode, size)
        elif size <= 0xFFFF:
            header = struct.pack("!BBH", self.FIN | opcode, 126, size)
        else:
            header = struct.pack("!BBQ", self.FIN | opcode, 127, size)
        self._message_bytes_out += size
        self._wire_bytes_out += len(header) + size
        return header, data, size

    def write_data(self, data: str | bytes | bytearray | memoryview) -> Any:
        """Send one text (str) or binary message; the future is done once it has been handed to the socket (at
        once when the socket takes it: no task, no scheduling round; StreamClosedError if the connection ends)."""
        if self._compressor is not None or self.mask_outgoing:
            binary = not isinstance(data, str)
            return self.write_message(bytes(data) if binary else data, binary=binary)
        if self.is_closing():
            raise tornado.websocket.WebSocketClosedError()
        header, data, size = self._frame_header(data)
        try:
            if size <= 4096:  # one small write
                return self.stream.write(header + bytes(data))
            self.stream.write(header).add_done_callback(_retrieve)
            return self.stream.write(data)
        except StreamClosedError:
            raise tornado.websocket.WebSocketClosedError() from None

    def write_small(self, messages: list[str | bytes | bytearray | memoryview]) -> Any:
        """Send several small messages in one write (one segment, one wake-up of the reader, not one each)."""
        if self._compressor is not None or self.mask_outgoing or self.is_closing():
            raise tornado.websocket.WebSocketClosedError()
        parts = []
        for message in messages:
            header, data, _ = self._frame_header(message)
            parts += (header, data)
        try:
            return self.stream.write(b"".join(parts))
        except StreamClosedError:
            raise tornado.websocket.WebSocketClosedError() from None


def zero_copy_protocol(handler: tornado.websocket.WebSocketHandler) -> tornado.websocket.WebSocketProtocol | None:
    """tornado's protocol 13 for `handler`, writing binary frames without copying them (FrameWriter)."""
    if handler.request.headers.get("Sec-WebSocket-Version") != "13":
        return None
    params = tornado.websocket._WebSocketParams(
        ping_interval=handler.ping_interval, ping_timeout=handler.ping_timeout,
        max_message_size=handler.max_message_size, compression_options=None)
    return FrameWriter(handler, False, params)


def _retrieve(future: Any) -> None:
    """Mark a write's failure as seen (the payload's write reports it)."""
    if not future.cancelled():
        future.exception()


class DrainingWebSocket(TornadoWebSocket):
    """engine.io's tornado websocket wrapper, waiting for each message to be written before the next.

    Two consequences are handled here: a ping would wait behind every attachment queued before it (and the
    client, never pinged, would be dropped during a long slow transfer), so a ping skips the queue of a websocket
    while messages wait in it (engine.io messages are whole frames, and a socket.io client takes engine.io pings
    between the attachments of an event); and when the connection ends, what is still queued for it is dropped at
    once (its spooled arrays with it).
    """

    async def __call__(self, environ: dict) -> None:
        socket = getattr(self.handler, "__self__", None)  # the engine.io socket this websocket serves
        if socket is not None and hasattr(socket, "queue"):
            socket.draining_websocket = self
            self._prioritise_pings(socket)
            handler = environ.get("tornado.handler")
            if hasattr(handler, "receive_queue"):
                self.receiver = handler.inline_receiver = InlineReceiver(
                    socket, handler.receive_queue, socket.server.max_http_buffer_size)
        try:
            await super().__call__(environ)
        finally:
            if socket is not None and hasattr(socket, "queue"):
                _drop_queued(socket.queue)

    @staticmethod
    def write_now(socket: Any, pkt: Any, attachments: list | tuple = ()) -> bool:
        """Write a text packet (and its small in-memory attachments) to `socket`'s websocket at once, in one
        write, when nothing waits to be written before it (its queue empty, its writer idle, the last such write
        gone): the same order as through the queue, without the writer task's scheduling rounds. False when it
        must be queued."""
        ws = getattr(socket, "draining_websocket", None)
        if ws is None or ws._writing or not socket.queue.empty() or not socket.upgraded or socket.closing \
                or socket.closed or ws.tornado_handler is None or not isinstance(pkt.data, str):
            return False
        if ws._last_direct is not None and not ws._last_direct.done():
            return False
        if attachments and (any(isinstance(a, SpoolSlice) for a in attachments)
                            or sum(memoryview(a).nbytes for a in attachments) > COALESCE_BYTES):
            return False
        connection = ws.tornado_handler.ws_connection
        if not isinstance(connection, FrameWriter):
            return False
        held = ws._take_held()
        try:
            if attachments or held:
                ws._last_direct = connection.write_small([*(a.encode() for a in held), pkt.encode(), *attachments])
            else:
                ws._last_direct = connection.write_data(pkt.encode())
        except (tornado.websocket.WebSocketClosedError, StreamClosedError):
            return False  # the queue's writer finds the connection closed and ends it
        ws._last_direct.add_done_callback(_retrieve)
        return True

    _last_direct: Any = None
    _held_timer: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list = []  # plain acks waiting to go out with the next packet

    def _hold_ack(self, socket: Any, pkt: Any) -> bool:
        """Keep a plain success ack for the next write to this client (at most ACK_HOLD_SECONDS): a call's ack and
        its result reach the client in one write, and wake it once, not twice."""
        data = pkt.data
        if not (isinstance(data, str) and data[:1] == "3" and data.endswith(PLAIN_ACK)) or not socket.upgraded:
            return False
        self._held.append(pkt)
        if self._held_timer is None:
            self._held_timer = asyncio.get_running_loop().call_later(ACK_HOLD_SECONDS, self._release_acks, socket)
        return True

    def _take_held(self) -> list:
        """The held acks, now to be written; their timer is no longer needed."""
        held, self._held = self._held, []
        if self._held_timer is not None:
            self._held_timer.cancel()
            self._held_timer = None
        return held

    def _release_acks(self, socket: Any) -> None:
        """The held acks go out now (nothing else was written to this client meanwhile): the last one written at
        once takes the others with it, or all are queued in order when the connection is busy."""
        self._held_timer = None
        if socket.closing or socket.closed or not self._held:
            self._held.clear()
            return
        last = self._held.pop()
        if not self.write_now(socket, last):
            for pkt in (*self._take_held(), last):
                socket.queue.put_nowait(pkt)

    def _prioritise_pings(self, socket: Any) -> None:
        queued_send = socket.send

        async def send(pkt: Any) -> None:
            if pkt.packet_type == eio_packet.MESSAGE and (self._hold_ack(socket, pkt) or self.write_now(socket, pkt)):
                return  # acks and events of python-socketio's own
            # Only while messages wait: an idle writer must get the ping through its queue, which it waits on
            # for at most ping-interval + ping-timeout before it gives the connection up.
            waiting = self._writing or not socket.queue.empty()
            if pkt.packet_type == eio_packet.PING and waiting and socket.upgraded and self.tornado_handler is not None:
                try:
                    self.tornado_handler.write_message(pkt.encode()).add_done_callback(_retrieve)
                except (tornado.websocket.WebSocketClosedError, StreamClosedError):
                    pass
                return
            await queued_send(pkt)

        socket.send = send

    async def close(self) -> None:
        self._take_held()  # dropped with the connection
        await super().close()
        socket = getattr(self.handler, "__self__", None)
        if socket is not None and hasattr(socket, "queue"):
            _drop_queued(socket.queue)

    _writing = False
    receiver: InlineReceiver | None = None

    async def wait(self) -> Any:
        message = await super().wait()
        if self.receiver is not None:
            self.receiver.took()
        return message

    async def send(self, message: Any) -> None:
        handler = self.tornado_handler
        self._writing = True
        try:
            if self._last_direct is not None and not self._last_direct.done():
                await self._last_direct  # written at once before: this waits for it to drain, in turn
            if isinstance(handler.ws_connection, FrameWriter):
                await handler.ws_connection.write_data(message)
            elif isinstance(message, str):
                await handler.write_message(message)
            else:
                await handler.write_message(bytes(message), binary=True)
        except (tornado.websocket.WebSocketClosedError, StreamClosedError):
            raise eio_exceptions.EngineIOError() from None
        finally:
            self._writing = False


def _drop_queued(queue: Any) -> None:
    """Empty an engine.io socket's send queue of everything but its end marker (None)."""
    ended = False
    while not queue.empty():
        item = queue.get_nowait()
        queue.task_done()
        ended = ended or item is None
    if ended:
        queue.put_nowait(None)


def use_draining_writes(sio: socketio.AsyncServer) -> None:
    """Make this server's engine.io write through DrainingWebSocket (its own copy of the driver table)."""
    sio.eio._async = {**sio.eio._async, "websocket": DrainingWebSocket}

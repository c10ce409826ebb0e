"""Reading a tornado websocket's frames as its socket's data arrives.

tornado reads a frame through a chain of awaited reads: each message is handled one scheduling round after its
bytes were read (the read's future, then the coroutine), and the socket's read interest is dropped and set again
(two `epoll_ctl` calls) per message. `ReadWhenReadable` takes the place of the IOStream's read handler, parses
every complete frame from what one `recv` gave, then hands each message to tornado's own `_handle_message` (text,
binary, close, ping, pong as tornado does them), so a message is handled in the step that read it. tornado keeps writing and
closing the connection; frame validation is tornado's (reserved bits, control frames, fragments, masks,
`max_message_size`). A handler whose `on_message` returns an awaitable holds back the next messages until it is done.

A connection may take binary messages over `max_message_size` into spool files (`large_messages`: a function of
the size giving a `Spool`, or None to refuse): the payload is written as it arrives, and the message handed on is
a `SpoolSlice` of the whole spool, so such a message never sits in memory.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from tornado.httpclient import HTTPRequest, _RequestProxy
from tornado.httputil import HTTPHeaders
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError
from tornado.util import _websocket_mask
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, WebSocketProtocol13

from imjoy_hpc.rpc.spool import Spool, SpoolSlice

READ_BYTES = 256 * 1024  # one recv at most; bigger messages take several


class ReadWhenReadable:
    """Mixed into a tornado `WebSocketProtocol13` (server or client side): its receive loop, without a future
    per read. tornado's IOStream keeps watching the socket (its registration, writes and close are unchanged); when
    the socket is readable it calls this reader instead of filling its own buffer."""

    async def _receive_frame_loop(self) -> None:
        stream = self.stream
        if not all(hasattr(stream, name) for name in ("_handle_read", "_read_buffer_size", "_consume", "socket")):
            return await super()._receive_frame_loop()  # a tornado whose IOStream differs: its own reading
        self._inbox = bytearray(stream._consume(stream._read_buffer_size) if stream._read_buffer_size else b"")
        self._paused = False
        self._spooling: list | None = None  # a large message being written to its spool: [header, spool, left, mask]
        self._ended = asyncio.get_running_loop().create_future()
        self._sock: socket.socket = stream.socket
        stream._handle_read = self._on_readable
        stream.reading = _always  # tornado keeps the socket watched for reading
        stream.set_close_callback(self._end)
        try:
            self._parse()
            if not stream.closed():
                stream._add_io_state(IOLoop.READ)
            await self._ended
        finally:
            self.handler.on_ws_connection_close(self.close_code, self.close_reason)

    def _end(self) -> None:
        if not self._ended.done():
            self._ended.set_result(None)

    def _on_readable(self) -> None:
        """tornado's IOStream: its socket is readable. Read once, then handle what is complete."""
        try:
            data = self._sock.recv(READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the peer closed the connection, or it broke
            self._abort()
            return
        self._wire_bytes_in += len(data)
        self._inbox += data
        if self._paused and len(self._inbox) > self.stream.max_buffer_size:
            self._abort()  # as tornado's own buffer limit: a peer that writes on and on while we wait
            return
        try:
            self._parse()
        except Exception:  # noqa: BLE001 - a frame we cannot take ends the connection, not tornado's loop
            self._abort()

    # ------------------------------------------------------------------ frames
    def _parse(self) -> None:
        """Handle every complete frame in the inbox, in order, until one's handling waits."""
        inbox = self._inbox
        while not self.client_terminated and not self._paused:
            frame = self._next_frame(inbox)
            if frame is None:
                return
            handled = self._on_frame(*frame)
            if handled is not None:
                self._pause_until(handled)

    def _next_frame(self, inbox: bytearray) -> tuple[int, int, bytes | SpoolSlice] | None:
        """(header byte, opcode, payload) of the first complete frame (removed from the inbox), None if there is
        none yet; a frame tornado would refuse closes the connection here (and gives None)."""
        if self._spooling is not None:
            return self._spool_from(inbox)
        if len(inbox) < 2:
            return None
        header, length = inbox[0], inbox[1] & 0x7F
        masked = inbox[1] & 0x80
        opcode = header & self.OPCODE_MASK
        start = 2
        if header & self.RSV_MASK or (opcode & 0x8 and (length >= 126 or not header & self.FIN)):
            self._abort()  # extensions we did not agree on; a control frame too long or fragmented
            return None
        if length == 126:
            if len(inbox) < 4:
                return None
            length, start = struct.unpack_from("!H", inbox, 2)[0], 4
        elif length == 127:
            if len(inbox) < 10:
                return None
            length, start = struct.unpack_from("!Q", inbox, 2)[0], 10
        buffered = len(self._fragmented_message_buffer or b"")
        if length + buffered > self.params.max_message_size:
            if len(inbox) < start + (4 if masked else 0):
                return None  # its mask has not arrived yet
            spool = self._large_spool(header, opcode, length, buffered)
            if spool is None:
                self.close(1009, "message too big")
                self._abort()
                return None
            mask = bytes(inbox[start:start + 4]) if masked else b""
            del inbox[:start + len(mask)]
            self._spooling = [header, spool, length, mask]
            return self._spool_from(inbox)
        end = start + (4 if masked else 0) + length
        if len(inbox) < end:
            return None
        with memoryview(inbox) as view:  # one copy out of the inbox (a bytearray slice would be another)
            if masked:
                payload = _websocket_mask(bytes(view[start:start + 4]), bytes(view[start + 4:end]))
            else:
                payload = bytes(view[start:end])
        del inbox[:end]
        return header, opcode, payload

    def _large_spool(self, header: int, opcode: int, length: int, buffered: int) -> Spool | None:
        """A spool for a binary message over the size limit, when this connection takes such messages."""
        spool_for = getattr(self, "large_messages", None)
        if spool_for is None or opcode != 0x2 or not header & self.FIN or buffered:
            return None
        return spool_for(length)

    def _spool_from(self, inbox: bytearray) -> tuple[int, int, SpoolSlice] | None:
        """Write what the inbox holds of the large message under way to its spool; the message once complete."""
        header, spool, left, mask = self._spooling
        take = min(left, len(inbox))
        if take:
            with memoryview(inbox) as view:
                chunk = bytes(view[:take])
            if mask:
                turn = spool.size % 4  # the mask goes on where the last piece left it
                chunk = _websocket_mask(mask[turn:] + mask[:turn], chunk)
            del inbox[:take]
            spool.write(chunk)
            left -= take
            self._spooling[2] = left
        if left:
            return None
        self._spooling = None
        spool.complete = True
        return header, 0x2, SpoolSlice(spool, 0, spool.size)

    def _on_frame(self, header: int, opcode: int, data: bytes) -> Any:
        """As tornado's `_receive_frame` after reading a frame: fragments joined, the message handled."""
        final = header & self.FIN
        if not opcode & 0x8:
            if opcode == 0:  # continuation
                if self._fragmented_message_buffer is None:
                    self._abort()
                    return None
                self._fragmented_message_buffer.extend(data)
                if not final:
                    return None
                opcode, data = self._fragmented_message_opcode, bytes(self._fragmented_message_buffer)
                self._fragmented_message_buffer = None
            elif self._fragmented_message_buffer is not None:  # a new message before the last one ended
                self._abort()
                return None
            elif not final:
                self._fragmented_message_opcode = opcode
                self._fragmented_message_buffer = bytearray(data)
                return None
        return self._handle_message(opcode, data)

    def _pause_until(self, handled: Any) -> None:
        """Handle nothing more until the handler is done with this message (what arrives meanwhile waits in the
        inbox)."""
        self._paused = True

        def resume(done: Any) -> None:
            self._paused = False
            try:
                done.result()
                self._parse()
            except (Exception, asyncio.CancelledError):  # noqa: BLE001 - as tornado: the connection ends
                self._abort()

        asyncio.ensure_future(handled).add_done_callback(resume)


def _always() -> bool:
    return True


class ClientProtocol(ReadWhenReadable, WebSocketProtocol13):
    """The client side of a websocket (masked writes), read as above."""

    def write_binary(self, data: bytes) -> "asyncio.Future[None]":
        """Send one binary message; the future is done once it has been handed to the socket (tornado's
        `write_message` would wrap that in a task of its own)."""
        if self.is_closing():
            raise WebSocketClosedError()
        self._message_bytes_out += len(data)
        try:
            return self._write_frame(True, 0x2, data)
        except StreamClosedError:
            raise WebSocketClosedError() from None


class ClientConnection(WebSocketClientConnection):
    """tornado's websocket client connection, read as above."""

    def get_websocket_protocol(self) -> WebSocketProtocol13:
        return ClientProtocol(self, mask_outgoing=True, params=self.params)


def websocket_connect(request: HTTPRequest, **options: Any) -> "asyncio.Future[ClientConnection]":
    """`tornado.websocket.websocket_connect` for a prepared request, with `ClientConnection`."""
    request.headers = HTTPHeaders(request.headers)
    request = _RequestProxy(request, HTTPRequest._DEFAULTS)
    return ClientConnection(request, **options).connect_future

"""Websocket frames read as the socket's data arrives (rpc/ws_receive.py), on real tornado connections over
127.0.0.1: what tornado's own reading guarantees still holds (framing split anywhere, fragments, control frames
between fragments, masks, the size limit, a close, a handler that waits before the next message)."""

import asyncio
import base64
import os
import struct
from pathlib import Path

import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket
from tornado.httpclient import HTTPRequest

from imjoy_hpc.transport.binary_send import FrameWriter
from imjoy_hpc.rpc.spool import Spool, SpoolSlice
from imjoy_hpc.rpc.ws_receive import ClientConnection, websocket_connect

MAX_MESSAGE = 4096


class Recorder(tornado.websocket.WebSocketHandler):
    """Records what it receives; `wait` makes its on_message wait on an event before it is done."""

    def initialize(self, got: list, closed: asyncio.Event, gate: asyncio.Event | None = None) -> None:
        self.got, self.closed, self.gate = got, closed, gate

    def get_websocket_protocol(self):
        params = tornado.websocket._WebSocketParams(max_message_size=MAX_MESSAGE)
        return FrameWriter(self, False, params)

    def on_message(self, message):
        self.got.append(message)
        if message == "wait" and self.gate is not None:
            return self.gate.wait()
        if message == "echo":
            self.write_message("echoed")
        if message == "big":  # more than the socket takes at once: tornado watches it for writing too
            self.write_message(b"x" * (16 << 20), binary=True)
        return None

    def on_close(self):
        self.closed.set()


@pytest.fixture
async def server():
    got, closed, gate = [], asyncio.Event(), asyncio.Event()
    app = tornado.web.Application([(r"/ws", Recorder, {"got": got, "closed": closed, "gate": gate})])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    http = tornado.httpserver.HTTPServer(app)
    http.add_sockets(sockets)
    yield {"port": sockets[0].getsockname()[1], "got": got, "closed": closed, "gate": gate}
    http.stop()


async def raw_client(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A websocket handshake by hand, so that the test writes the frames byte for byte."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


def frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes | None = b"\x01\x02\x03\x04") -> bytes:
    size = len(payload)
    length = bytes([size]) if size < 126 else (b"\x7e" + struct.pack("!H", size) if size < 65536
                                                else b"\x7f" + struct.pack("!Q", size))
    first = bytes([(0x80 if fin else 0) | opcode])
    if mask is None:
        return first + length + payload
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return first + bytes([length[0] | 0x80]) + length[1:] + mask + masked


async def until(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_frames_split_anywhere_and_fragmented_arrive_whole_and_in_order(server):
    reader, writer = await raw_client(server["port"])
    data = (frame(0x1, "héllo".encode()) + frame(0x2, b"\x00" * 300)
            + frame(0x1, b"frag", fin=False) + frame(0x9, b"ping!") + frame(0x0, b"mented", fin=False)
            + frame(0x0, b"!", fin=True) + frame(0x2, bytes(range(200)) * 5))
    for i in range(len(data)):  # one byte at a time: every header and payload split at every place
        writer.write(data[i:i + 1])
        await writer.drain()
        await asyncio.sleep(0)
    await until(lambda: len(server["got"]) == 4)
    assert server["got"] == ["héllo", b"\x00" * 300, "fragmented!", bytes(range(200)) * 5]
    pong = await asyncio.wait_for(reader.readexactly(7), 5)
    assert pong == b"\x8a\x05ping!", "a ping between fragments is answered at once"
    writer.close()
    await asyncio.wait_for(server["closed"].wait(), 5)


async def test_a_message_over_the_limit_closes_with_1009_before_its_payload_is_read(server):
    reader, writer = await raw_client(server["port"])
    writer.write(frame(0x2, b"x" * (MAX_MESSAGE + 1))[:8])  # the header alone says too much
    await writer.drain()
    close = await asyncio.wait_for(reader.read(64), 5)
    assert close[0] == 0x88 and struct.unpack("!H", close[2:4])[0] == 1009
    await asyncio.wait_for(server["closed"].wait(), 5)
    assert server["got"] == []


async def test_fragments_together_over_the_limit_are_refused(server):
    reader, writer = await raw_client(server["port"])
    writer.write(frame(0x2, b"a" * 3000, fin=False) + frame(0x0, b"b" * 3000))
    await writer.drain()
    close = await asyncio.wait_for(reader.read(64), 5)
    assert close[0] == 0x88 and struct.unpack("!H", close[2:4])[0] == 1009
    await asyncio.wait_for(server["closed"].wait(), 5)


@pytest.mark.parametrize("bad", [
    bytes([0x80 | 0x40 | 0x2, 0x80 | 1]) + b"\x00\x00\x00\x00x",                        # a reserved bit set
    frame(0x9, b"p" * 10, fin=False),                                                # a fragmented ping
    frame(0x0, b"nothing to continue"),
    frame(0x1, b"\xff\xfe not utf-8"),
])
async def test_a_frame_tornado_refuses_ends_the_connection(server, bad):
    reader, writer = await raw_client(server["port"])
    writer.write(bad + frame(0x1, b"after"))
    await writer.drain()
    await asyncio.wait_for(server["closed"].wait(), 5)
    await asyncio.wait_for(reader.read(), 5)  # the connection is gone: its end is read, no timeout
    assert "after" not in server["got"]


async def test_a_handler_that_waits_holds_back_the_next_message(server):
    reader, writer = await raw_client(server["port"])
    writer.write(frame(0x1, b"wait") + frame(0x1, b"echo"))
    await writer.drain()
    await until(lambda: server["got"] == ["wait"])
    await asyncio.sleep(0.1)
    assert server["got"] == ["wait"], "the next message waits until the handler is done with this one"
    server["gate"].set()
    await until(lambda: server["got"] == ["wait", "echo"])
    reply = await asyncio.wait_for(reader.readexactly(8), 5)
    assert reply == b"\x81\x06echoed"
    writer.write(frame(0x8, struct.pack("!H", 1000)))
    await writer.drain()
    await asyncio.wait_for(server["closed"].wait(), 5)
    assert (await asyncio.wait_for(reader.read(), 5))[:4] == b"\x88\x02\x03\xe8", "the close is echoed"


async def test_messages_are_still_read_while_a_large_write_waits_for_the_socket(server):
    reader, writer = await raw_client(server["port"])
    writer.write(frame(0x1, b"big"))
    await writer.drain()
    await until(lambda: server["got"] == ["big"])
    head = await asyncio.wait_for(reader.readexactly(10), 5)
    assert head[:2] == b"\x82\x7f" and struct.unpack("!Q", head[2:])[0] == 16 << 20
    left = 16 << 20
    for i in range(3):  # the client reads a little at a time: the socket takes the write in parts
        await asyncio.sleep(0.1)
        left -= len(await asyncio.wait_for(reader.read(1 << 20), 5))
        writer.write(frame(0x1, f"during {i}".encode()))
        await writer.drain()
        await until(lambda: len(server["got"]) == 2 + i)
    assert server["got"][1:] == ["during 0", "during 1", "during 2"]
    assert left > 0, "the server was still writing"
    await asyncio.wait_for(reader.readexactly(left), 30)
    writer.close()
    await asyncio.wait_for(server["closed"].wait(), 5)


async def test_the_client_side_reads_the_same_way(server):
    got = []
    connection = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{server['port']}/ws"),
                                         on_message_callback=got.append)
    assert isinstance(connection, ClientConnection)
    for _ in range(50):
        await connection.write_message("echo")
    await until(lambda: got.count("echoed") == 50)
    assert server["got"] == ["echo"] * 50, "the client masks what it writes; the server unmasks it"
    connection.close()
    await until(lambda: None in got)
    await asyncio.wait_for(server["closed"].wait(), 5)


class SpoolingRecorder(Recorder):
    """A Recorder whose connection takes binary messages over the limit into spool files in `spool_dir`."""

    def initialize(self, got: list, closed: asyncio.Event, spool_dir: Path) -> None:
        super().initialize(got, closed)
        self.spool_dir = spool_dir

    def get_websocket_protocol(self):
        protocol = super().get_websocket_protocol()
        protocol.large_messages = lambda size: Spool(self.spool_dir)
        return protocol


async def test_a_binary_message_over_the_limit_goes_to_a_spool_as_it_arrives_when_the_connection_takes_them(
        tmp_path):
    got, closed = [], asyncio.Event()
    app = tornado.web.Application([(r"/ws", SpoolingRecorder, {"got": got, "closed": closed, "spool_dir": tmp_path})])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    http = tornado.httpserver.HTTPServer(app)
    http.add_sockets(sockets)
    try:
        reader, writer = await raw_client(sockets[0].getsockname()[1])
        payload = os.urandom(300_001)  # many reads, its mask picked up again at every offset
        data = frame(0x2, payload) + frame(0x1, b"after") + frame(0x1, b"y" * (MAX_MESSAGE + 1))
        for start in range(0, len(data), 7_777):
            writer.write(data[start:start + 7_777])
            await writer.drain()
            await asyncio.sleep(0)
        await until(lambda: len(got) == 2)
        assert isinstance(got[0], SpoolSlice) and got[0].read() == payload and got[1] == "after"
        close = await asyncio.wait_for(reader.read(64), 5)  # a text message over the limit is still refused
        assert close[0] == 0x88 and struct.unpack("!H", close[2:4])[0] == 1009
        await asyncio.wait_for(closed.wait(), 5)
    finally:
        http.stop()

"""The plugin link (rpc/link.py, transport/link.py): frames, their precise errors, ordered sending, and what the real
plugin door does with a connection that is not a plugin process."""

import asyncio
import json

import msgpack
import numpy as np
import pytest
import tornado.websocket
from gateway_support import connect, disconnect, start_gateway

from imjoy_hpc.rpc.link import ATTACH_BYTES, FrameDecoder, LinkError, LinkSender, encode_frame
from imjoy_hpc.rpc.spool import Spool, SpoolSlice


def frames_of(kind, body) -> list:
    frame, attachments = encode_frame(kind, body)
    return [frame] + [a.read() if isinstance(a, SpoolSlice) else bytes(a) for a in attachments]


def decoded(messages: list) -> list:
    out = []
    decoder = FrameDecoder(lambda kind, body: out.append((kind, body)))
    for message in messages:
        decoder.feed(message)
    return out


def test_a_message_round_trips_with_small_values_inline_and_large_ones_after_it():
    big = np.arange(ATTACH_BYTES // 4, dtype=np.float32)
    body = {"type": "method", "args": [b"\x01" * 16, memoryview(big).cast("B"), (1, 2.5, None, True)],
            "n": 2**70, "neg": -(2**65), "keys": {1: "int key", "s": "str"}}
    messages = frames_of("rpc", body)
    assert len(messages) == 2, "one frame, then the one large value as its own message"
    [(kind, got)] = decoded(messages)
    assert kind == "rpc"
    assert got["args"][0] == b"\x01" * 16
    assert np.array_equal(np.frombuffer(got["args"][1], dtype=np.float32), big)
    assert got["args"][2] == [1, 2.5, None, True]
    assert got["n"] == 2**70 and got["neg"] == -(2**65), "integers beyond 64 bits arrive exact"
    assert got["keys"] == {1: "int key", "s": "str"}


def test_a_spooled_value_is_read_only_when_written(tmp_path):
    spool = Spool(tmp_path)
    spool.write(b"abcdefgh" * 10)
    spool.complete = True
    frame, attachments = encode_frame("rpc", {"_rvalue": [SpoolSlice(spool, 8, 16)]})
    assert isinstance(attachments[0], SpoolSlice)
    [(_, got)] = decoded([frame, attachments[0].read()])
    assert got == {"_rvalue": [b"abcdefghabcdefgh"]}


def test_a_value_the_link_cannot_carry_fails_in_words_when_sent():
    with pytest.raises(TypeError, match="can not serialize 'object' object"):
        encode_frame("rpc", {"x": object()})


@pytest.mark.parametrize("messages, why", [
    ([b"\xc1"], "not a msgpack frame"),
    (["text"], "frames are binary websocket messages, got text"),
    ([msgpack.packb({"kind": "rpc"})], "a frame must be [kind, body, attachment count]"),
    ([msgpack.packb(["hello", {}, 0])], "unknown frame kind 'hello'"),
    ([msgpack.packb(["rpc", {}, 100000])], "a frame may announce 0 to 4096 attachments, not 100000"),
    ([msgpack.packb(["rpc", {}, 1])], "the frame has 0 attachment placeholders but announces 1"),
    ([msgpack.packb(["rpc", [msgpack.ExtType(1, (1).to_bytes(4, "big"))], 0])],
     "the frame has 1 attachment placeholders but announces 0"),
    ([msgpack.packb(["rpc", [msgpack.ExtType(1, (7).to_bytes(4, "big"))], 1]), b"x"],
     "the frame refers to attachment 6, it has 1"),
    ([msgpack.packb(["rpc", [msgpack.ExtType(1, (1).to_bytes(4, "big"))], 1]), "text"],
     "a text message came where a binary attachment was due"),
    ([msgpack.packb(["rpc", [msgpack.ExtType(9, b"")], 0])], "unknown msgpack extension type 9 in the frame"),
    ([msgpack.packb(["rpc", [msgpack.ExtType(2, b"12x")], 0])], "an integer in the frame is not decimal text"),
])
def test_what_is_not_a_frame_is_refused_saying_what_is_wrong(messages, why):
    with pytest.raises(LinkError) as caught:
        decoded(messages)
    assert str(caught.value).startswith(why)


async def test_frames_leave_in_order_small_ones_at_once_large_ones_one_after_another():
    written, errors = [], []
    gate = asyncio.get_running_loop().create_future()

    def write(data):
        written.append(bytes(data))
        future = asyncio.get_running_loop().create_future()
        if len(written) == 2:  # the first large value: the socket is full until the gate opens
            gate.add_done_callback(lambda _: future.set_result(None))
        else:
            future.set_result(None)
        return future

    sender = LinkSender(write, errors.append)
    sender.send("rpc", {"n": 1})
    assert len(written) == 1, "a small frame with nothing before it is written at once"
    sender.send("rpc", {"big": [b"a" * ATTACH_BYTES, b"b" * ATTACH_BYTES]})
    sender.send("rpc", {"n": 2})
    await asyncio.sleep(0.05)
    assert len(written) == 3 - 1, "the second value waits until the first has left, the next frame behind it"
    gate.set_result(None)
    await asyncio.sleep(0.05)
    assert [kind for kind, _ in decoded(written)] == ["rpc"] * 3
    assert [body.get("n") for _, body in decoded(written)] == [1, None, 2]
    assert errors == []


async def test_a_failed_write_is_reported_once_and_nothing_more_is_written():
    errors, written = [], []

    def write(data):
        written.append(data)
        raise tornado.websocket.WebSocketClosedError()

    sender = LinkSender(write, errors.append)
    sender.send("rpc", {"n": 1})
    sender.send("rpc", {"n": 2})
    assert len(errors) == 1 and isinstance(errors[0], tornado.websocket.WebSocketClosedError)
    assert len(written) == 1


# ---------------------------------------------------------------- the real plugin door


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("link"))
    yield gw
    assert gw.stop() == 0


def door_of(gateway) -> str:
    return json.loads((gateway.state_dir / "gateway.json").read_text())["plugin_door"]


async def open_link(gateway) -> tornado.websocket.WebSocketClientConnection:
    return await tornado.websocket.websocket_connect(f"ws://{door_of(gateway)}/link")


async def read_frames(ws, count: int = 1, timeout: float = 10) -> list:
    out = []
    decoder = FrameDecoder(lambda kind, body: out.append((kind, body)))
    while len(out) < count:
        message = await asyncio.wait_for(ws.read_message(), timeout)
        if message is None:
            break
        decoder.feed(message)
    return out


async def test_a_connection_that_is_not_a_plugin_gets_the_reason_and_is_closed(gateway):
    ws = await open_link(gateway)
    await ws.write_message(b"\xc1 not msgpack", binary=True)
    [(kind, detail)] = await read_frames(ws)
    assert kind == "error" and detail.startswith("not a msgpack frame")
    assert await asyncio.wait_for(ws.read_message(), 10) is None, "the door closes such a link"
    ws = await open_link(gateway)
    frame, _ = encode_frame("rpc", {"type": "imjoyRPCReady", "peer_id": "x"})
    await ws.write_message(frame, binary=True)
    [(kind, detail)] = await read_frames(ws)
    assert (kind, detail) == ("error", "not registered: send a register frame with the plugin's secret first")
    assert await asyncio.wait_for(ws.read_message(), 10) is None
    server = await connect(gateway)  # the gateway keeps serving everyone else
    try:
        plugin = await server.load_plugin("Hello")
        assert await plugin.echo("still here") == "still here"
    finally:
        await disconnect(server)


async def test_a_large_message_before_registration_is_not_even_read(gateway):
    ws = await open_link(gateway)
    frame, _ = encode_frame("register", {"secret": "x" * (128 * 1024)})
    await ws.write_message(frame, binary=True)
    assert await asyncio.wait_for(ws.read_message(), 10) is None
    assert ws.close_code == 1009, "closed as too big (64 KiB before registration)"


async def test_a_wrong_secret_is_refused_in_words_over_the_link(gateway):
    ws = await open_link(gateway)
    frame, _ = encode_frame("register", {"instance_id": "nope", "secret": "guess"})
    await ws.write_message(frame, binary=True)
    [(kind, reply)] = await read_frames(ws)
    assert (kind, reply) == ("registered", {"success": False, "detail": "invalid or already used plugin secret"})
    assert await asyncio.wait_for(ws.read_message(), 10) is None


async def test_an_array_upload_without_the_sessions_key_is_refused_in_words(gateway):
    from imjoy_hpc.rpc.upload import ArrayUploader, UploadError

    uploader = ArrayUploader(f"http://{door_of(gateway)}", "/array/", "not-a-key")
    with pytest.raises(UploadError) as caught:
        await uploader.upload("ab" * 16, memoryview(b"x" * 100_000))
    assert str(caught.value) == "the gateway refused an array of 100000 bytes: unknown upload key"

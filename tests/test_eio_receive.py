"""engine.io messages handled as read (transport/eio_receive.py): at once when nothing is ahead of them, through
engine.io's queue otherwise, so one connection's packets are handled in the order they came."""

import asyncio

from engineio import packet as eio_packet

from imjoy_hpc.transport.eio_receive import QUEUE, InlineReceiver, receive_or_queue


class FakeSocket:
    """What InlineReceiver uses of an engine.io socket: `receive` records, and waits on `gate` for 'wait'."""

    def __init__(self) -> None:
        self.upgraded, self.closing, self.closed = True, False, False
        self.handled: list = []
        self.gate = asyncio.Event()

    async def receive(self, pkt) -> None:
        self.handled.append(pkt.data)
        if pkt.data == "wait":
            await self.gate.wait()


class FakeHandler:
    def __init__(self, receiver: InlineReceiver, queue: asyncio.Queue) -> None:
        self.inline_receiver, self.receive_queue = receiver, queue


def message(text: str) -> str:
    return eio_packet.Packet(eio_packet.MESSAGE, data=text).encode()


async def test_a_message_is_handled_at_once_when_nothing_is_ahead_of_it():
    socket, queue = FakeSocket(), asyncio.Queue()
    handler = FakeHandler(InlineReceiver(socket, queue, 1000), queue)
    assert receive_or_queue(handler, message("a")) is None
    assert socket.handled == ["a"] and queue.empty()
    assert receive_or_queue(handler, eio_packet.Packet(eio_packet.PONG).encode()) is None
    assert queue.get_nowait() == "3", "anything but a message goes through engine.io's reader"
    assert receive_or_queue(handler, "4" + "x" * 2000) is None and queue.qsize() == 1, "too large: queued"


async def test_what_comes_while_the_reader_holds_a_message_waits_its_turn():
    socket, queue = FakeSocket(), asyncio.Queue()
    receiver = InlineReceiver(socket, queue, 1000)
    handler = FakeHandler(receiver, queue)
    queue.put_nowait(message("first"))
    assert receive_or_queue(handler, message("second")) is None
    assert socket.handled == [] and queue.qsize() == 2, "queued behind what is queued"
    while not queue.empty():  # engine.io's reader: takes one, then hands it to the socket
        taken = queue.get_nowait()
        receiver.took()
        assert receiver.take(message("meanwhile")) is QUEUE, "the reader holds a message not yet handled"
        await socket.receive(eio_packet.Packet(encoded_packet=taken))  # through the receiver's wrapper
    assert socket.handled == ["first", "second"] and not receiver.in_hand
    assert receive_or_queue(handler, message("now")) is None and socket.handled[-1] == "now"


async def test_a_message_whose_handling_waits_holds_back_the_next():
    socket, queue = FakeSocket(), asyncio.Queue()
    receiver = InlineReceiver(socket, queue, 1000)
    handler = FakeHandler(receiver, queue)
    rest = receive_or_queue(handler, message("wait"))
    assert rest is not None and receiver.busy, "the transport waits for it before reading on"
    assert receiver.take(message("next")) is QUEUE
    socket.gate.set()
    await asyncio.wait_for(rest, 5)
    assert not receiver.busy
    assert receive_or_queue(handler, message("next")) is None and socket.handled == ["wait", "next"]


async def test_nothing_is_handled_inline_before_the_upgrade_or_once_closing():
    socket, queue = FakeSocket(), asyncio.Queue()
    handler = FakeHandler(InlineReceiver(socket, queue, 1000), queue)
    socket.upgraded = False
    receive_or_queue(handler, message("early"))
    socket.upgraded, socket.closing = True, True
    receive_or_queue(handler, message("late"))
    assert socket.handled == [] and queue.qsize() == 2

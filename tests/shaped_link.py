"""A WAN-shaped TCP relay on 127.0.0.1: a fixed one-way delay each way and a rate cap per direction.

These machines' kernels have no `tc` qdiscs (no netem), so a laptop's 20-80 ms link to a cluster is modelled in
user space: every chunk read from one side leaves for the other side when the link would have delivered it
(serialised at `rate` bytes/s, then `delay` seconds in flight), and reading pauses while more than a
bandwidth-delay product (plus 256 KiB) is in flight, as a real link's window would make it.

    link = ShapedLink(target_port, delay=0.020, rate=25e6)   # 20 ms each way, 200 Mbit/s
    ... connect to 127.0.0.1:link.port ...
    link.close()
"""

from __future__ import annotations

import asyncio
import socket
import threading

CHUNK = 64 * 1024


class ShapedLink:
    """Relays 127.0.0.1:<port> to 127.0.0.1:<target_port> through a shaped link, in a thread of its own."""

    def __init__(self, target_port: int, delay: float, rate: float) -> None:
        self.target_port, self.delay, self.rate = target_port, delay, rate
        self.window = int(2 * delay * rate) + 256 * 1024
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="shaped-link")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the shaped link did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            far_reader, far_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        for w in (writer, far_writer):
            w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(self._direction(reader, far_writer), self._direction(far_reader, writer),
                             return_exceptions=True)
        for w in (writer, far_writer):
            w.close()

    async def _direction(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        """One direction of the link: read, then deliver each chunk when the link would."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        room = asyncio.Event()
        room.set()
        in_flight = 0

        async def receive() -> None:
            nonlocal in_flight
            try:
                while True:
                    await room.wait()
                    data = await src.read(CHUNK)
                    if not data:
                        break
                    in_flight += len(data)
                    if in_flight > self.window:
                        room.clear()
                    queue.put_nowait((loop.time(), data))
            finally:
                queue.put_nowait(None)

        async def deliver() -> None:
            nonlocal in_flight
            wire_free = 0.0  # when the link has sent everything queued before
            while (item := await queue.get()) is not None:
                arrived, data = item
                wire_free = max(arrived, wire_free) + len(data) / self.rate
                wait = wire_free + self.delay - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                dst.write(data)
                await dst.drain()
                in_flight -= len(data)
                if in_flight <= self.window:
                    room.set()
            if dst.can_write_eof():
                dst.write_eof()

        await asyncio.gather(receive(), deliver())

    def close(self) -> None:
        def stop() -> None:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(10)

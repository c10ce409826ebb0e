"""A TCP relay on 127.0.0.1 between a client and the gateway that the tests can cut (connections closed, new ones
refused) or make silent (bytes no longer forwarded, sockets left open): a laptop's flaky network, on loopback."""

from __future__ import annotations

import asyncio
import threading
import time


class FlakyProxy:
    """Relays 127.0.0.1:<port> to 127.0.0.1:<target_port> in a thread of its own."""

    def __init__(self, target_port: int, rate: float | None = None) -> None:
        self.target_port = target_port
        self.rate = rate  # bytes/s towards the client (a slow reader), None: as fast as it goes
        self.port = 0
        self.refuse_until = 0.0
        self.silent = False
        self.accepted = 0
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="flaky-proxy")
        self._thread.start()
        assert self._ready.wait(10), "the proxy did not start"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._server = server
        self._ready.set()
        self._loop.run_forever()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self.refuse_until:
            writer.close()
            return
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, down: bool) -> None:
            try:
                while data := await src.read(16384 if down and self.rate else 65536):
                    if self.silent:
                        continue  # a silent drop: bytes vanish, nobody is told
                    dst.write(data)
                    await dst.drain()
                    if down and self.rate:
                        await asyncio.sleep(len(data) / self.rate)
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pump(reader, up_writer, False), pump(up_reader, writer, True))
        self._writers -= {writer, up_writer}

    def _call(self, fn) -> None:
        done = threading.Event()

        def run() -> None:
            fn()
            done.set()

        self._loop.call_soon_threadsafe(run)
        assert done.wait(10)

    def cut(self, seconds: float) -> None:
        """Close every relayed connection and refuse new ones for `seconds`."""
        def cut_all() -> None:
            self.refuse_until = time.monotonic() + seconds
            for w in list(self._writers):
                w.transport.abort()
            self._writers.clear()

        self._call(cut_all)

    def go_silent(self, silent: bool = True) -> None:
        """Stop (or resume) forwarding bytes, leaving every socket open."""
        self.silent = silent
        if not silent:  # connections that went silent are dead for both ends: drop them
            self.cut(0)

    def close(self) -> None:
        def stop() -> None:
            self._server.close()
            for w in list(self._writers):
                w.transport.abort()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(10)

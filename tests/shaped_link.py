"""A WAN-shaped TCP relay on 127.0.0.1: a fixed one-way delay each way and a rate cap per direction.

These machines' kernels have no `tc` qdiscs (no netem), so a laptop's 20-80 ms link to a cluster is modelled in
user space: every chunk read from one side leaves for the other side when the link would have delivered it
(serialised at `rate` bytes/s, then `delay` seconds in flight), and reading pauses while more than a
bandwidth-delay product (plus 256 KiB) is in flight, as a real link's window would make it.

Each direction is a reader thread and a deliverer thread that sleeps until a chunk is due (a thread's sleep is
precise to tens of microseconds; an event loop's timers round up to the next millisecond, which made the modelled
link 1.5 ms slower per round trip than asked for).

    link = ShapedLink(target_port, delay=0.020, rate=25e6)   # 20 ms each way, 200 Mbit/s
    ... connect to 127.0.0.1:link.port ...
    link.close()
"""

from __future__ import annotations

import queue
import socket
import threading
import time

CHUNK = 64 * 1024


class ShapedLink:
    """Relays 127.0.0.1:<port> to 127.0.0.1:<target_port> through a shaped link, in threads of its own."""

    def __init__(self, target_port: int, delay: float, rate: float) -> None:
        self.target_port, self.delay, self.rate = target_port, delay, rate
        self.window = int(2 * delay * rate) + 256 * 1024
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._start(self._accept, "shaped-link")

    def _start(self, target, name: str, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=name)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                near, _ = self._listener.accept()
            except OSError:
                return
            try:
                far = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            except OSError:
                near.close()
                continue
            far.settimeout(None)
            for sock in (near, far):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [near, far]
            self._direction(near, far)
            self._direction(far, near)

    def _direction(self, src: socket.socket, dst: socket.socket) -> None:
        """One direction of the link: read, then deliver each chunk when the link would."""
        chunks: queue.Queue = queue.Queue()
        room = threading.Condition()
        in_flight = [0]

        def receive() -> None:
            try:
                while True:
                    with room:  # a real link's window: wait while a bandwidth-delay product is in flight
                        while not room.wait_for(lambda: in_flight[0] <= self.window, timeout=0.5):
                            if self._closed:
                                return
                    data = src.recv(CHUNK)
                    if not data:
                        break
                    with room:
                        in_flight[0] += len(data)
                    chunks.put((time.monotonic(), data))
            except OSError:
                pass
            finally:
                chunks.put(None)

        def deliver() -> None:
            wire_free = 0.0  # when the link has sent everything queued before
            try:
                while (item := chunks.get()) is not None:
                    arrived, data = item
                    wire_free = max(arrived, wire_free) + len(data) / self.rate
                    wait = wire_free + self.delay - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    dst.sendall(data)
                    with room:
                        in_flight[0] -= len(data)
                        room.notify()
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        self._start(receive, "shaped-link-read")
        self._start(deliver, "shaped-link-deliver")

    def close(self) -> None:
        self._closed = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in threads:
            thread.join(10)

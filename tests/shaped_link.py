"""A WAN-shaped TCP relay on 127.0.0.1: a fixed one-way delay each way and a rate cap per direction.

These machines' kernels have no `tc` qdiscs (no netem), so a laptop's 20-80 ms link to a cluster is modelled in
user space: every chunk read from one side leaves for the other side when the link would have delivered it
(serialised at `rate` bytes/s, then `delay` seconds in flight), and reading pauses while more than a
bandwidth-delay product (plus 256 KiB) is in flight, as a real link's window would make it.

Each direction is a reader thread and a deliverer thread that sleeps until a chunk is nearly due and yields the
processor for the last fraction of a millisecond (a sleeping thread wakes 0.1-0.2 ms late on these virtual
machines; an event loop's timers round up to the next millisecond, which made the modelled link 1.5 ms slower per
round trip than asked for).

    link = ShapedLink(target_port, delay=0.020, rate=25e6)   # 20 ms each way, 200 Mbit/s
    ... connect to 127.0.0.1:link.port ...
    link.close()

`ShapedLinkProcess` runs the same link in a process of its own (same interface), so that the relay's threads do
not compete for the interpreter lock with a measuring client: `python tests/shaped_link.py PORT DELAY RATE`.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time

CHUNK = 64 * 1024
WAKE_EARLY = 0.0005  # the deliverer's sleep ends this long before a chunk is due; it yields until then


def sleep_until(due: float) -> None:
    """Return at `due` (time.monotonic), within microseconds: sleep most of the way, then yield the processor."""
    ahead = due - time.monotonic() - WAKE_EARLY
    if ahead > 0:
        time.sleep(ahead)
    while time.monotonic() < due:
        os.sched_yield()


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
                    sleep_until(wire_free + self.delay)
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


class ShapedLinkProcess:
    """A `ShapedLink` in a child process of its own, stopped by its PID with `close()`."""

    def __init__(self, target_port: int, delay: float, rate: float) -> None:
        self._proc = subprocess.Popen([sys.executable, __file__, str(target_port), repr(delay), repr(rate)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self._proc.stdout.readline()
        if not line.strip().isdigit():
            self.close()
            raise RuntimeError(f"the shaped link process did not start (it printed {line!r})")
        self.port = int(line)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()  # the child closes its link and exits when its stdin ends
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._proc.stdout.close()


def main(argv: list[str]) -> None:
    target, delay, rate = int(argv[0]), float(argv[1]), float(argv[2])
    link = ShapedLink(target, delay, rate)
    print(link.port, flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or dies)
    link.close()


if __name__ == "__main__":
    main(sys.argv[1:])

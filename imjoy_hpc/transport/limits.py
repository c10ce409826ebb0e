"""Limits that keep the gateway serving its owner while others misbehave: descriptors and connections."""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import resource
import socket
import struct
import time
from typing import Any

import psutil
import tornado.httpserver
import tornado.ioloop

from imjoy_hpc.transport.causes import CauseLog

logger = logging.getLogger("imjoy_hpc.gateway")
DESCRIPTOR_RESERVE = 256  # descriptors kept for the owner's sessions, plugins, jobs and logs


def raise_descriptor_limit() -> int:
    """Raise the soft limit of open descriptors to the hard one; returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def _proc_net_address(host: str, port: int) -> str:
    """An address as /proc/net/tcp{,6} writes it (hex, in the kernel's byte order)."""
    packed = ipaddress.ip_address(host).packed
    words = [packed[i:i + 4][::-1].hex().upper() for i in range(0, len(packed), 4)]
    return f"{''.join(words)}:{port:04X}"


_NETLINK_SOCK_DIAG, _SOCK_DIAG_BY_FAMILY = 4, 20
_REQUEST = struct.Struct("=LHHLL" "BBBBL" "HH16s16sLLL")   # nlmsghdr + inet_diag_req_v2 (ports big-endian below)
_ANSWER_UID = 16 + 4 + 48 + 12                             # nlmsghdr, 4 bytes of inet_diag_msg, its sockid, 3 x u32


_netlink: socket.socket | None = None


def _diag_uid(family: int, peer: tuple, local: tuple) -> int | None:
    """Ask the kernel (sock_diag netlink, one exact lookup) which user owns the socket at the other end."""
    src, dst = (ipaddress.ip_address(a[0]).packed.ljust(16, b"\0") for a in (peer, local))
    body = _REQUEST.pack(_REQUEST.size, _SOCK_DIAG_BY_FAMILY, 1, 1, 0,  # NLM_F_REQUEST: one socket, no dump
                         family, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF, 0, 0, src, dst, 0, 0xFFFFFFFF, 0xFFFFFFFF)
    body = bytearray(body)
    struct.pack_into(">HH", body, 24, peer[1], local[1])  # inet_diag_sockid: sport, dport in network order
    global _netlink
    if _netlink is None:  # one socket for every lookup (the accept loop is single-threaded)
        _netlink = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG)
        _netlink.settimeout(1.0)
    try:
        _netlink.send(bytes(body))
        answer = _netlink.recv(4096)
    except OSError:
        _netlink.close()
        _netlink = None
        raise
    if len(answer) < _ANSWER_UID + 4 or struct.unpack_from("=H", answer, 4)[0] != _SOCK_DIAG_BY_FAMILY:
        return None  # NLMSG_ERROR: no such socket here
    return struct.unpack_from("=L", answer, _ANSWER_UID)[0]


def _proc_uid(host: str, port: int) -> int | None:
    """The same from /proc/net/tcp{,6} (slower: one scan of the whole table)."""
    wanted = b": " + _proc_net_address(host, port).encode() + b" "
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, "rb") as f:
                data = f.read()
        except OSError:
            continue
        at = data.find(wanted)
        if at >= 0:
            fields = data[at:data.find(b"\n", at)].split()
            return int(fields[7]) if len(fields) > 7 else None
    return None


_local_addresses: tuple[float, frozenset[str]] = (0.0, frozenset())


def is_local_address(host: str) -> bool:
    """True for loopback and for this machine's own interface addresses (a neighbour may connect to ib0's)."""
    global _local_addresses
    address = ipaddress.ip_address(host.split("%", 1)[0])
    if address.is_loopback:
        return True
    checked, known = _local_addresses
    if time.monotonic() - checked > 60:
        known = frozenset(a.address.split("%", 1)[0] for addrs in psutil.net_if_addrs().values() for a in addrs
                          if a.family in (socket.AF_INET, socket.AF_INET6))
        _local_addresses = (time.monotonic(), known)
    return str(address) in known


def peer_uid(sock: socket.socket) -> int | None:
    """The local user owning the other end of a connection on this machine (None if it is not local)."""
    if sock.family == socket.AF_UNIX:
        return None  # our Unix socket sits in the owner's 0700 state directory
    peer, local = sock.getpeername()[:2], sock.getsockname()[:2]
    if not is_local_address(peer[0]):
        return None
    try:
        return _diag_uid(sock.family, peer, local)
    except OSError:
        return _proc_uid(*peer)


OWN, OTHER_USER, REMOTE = "own", "other user", "remote"  # where a connection comes from


def connection_origin(sock: socket.socket, uid: int | None = None) -> str:
    """OWN (the owner's process, or the owner-only Unix socket), OTHER_USER (another user of this machine, or a
    local socket whose owner cannot be told) or REMOTE (another machine: a compute node, a tunnel's far end)."""
    if sock.family == socket.AF_UNIX:
        return OWN
    try:
        if not is_local_address(sock.getpeername()[0]):
            return REMOTE
        owner = peer_uid(sock)  # one sock_diag lookup (~0.1 ms)
    except (OSError, ValueError):
        return OTHER_USER
    return OWN if owner == (os.getuid() if uid is None else uid) else OTHER_USER


def stream_origin(stream: Any) -> str:
    """The origin CappedHTTPServer gave a connection's stream (OWN for a stream it did not accept)."""
    return getattr(stream, "imjoy_origin", OWN)


ACCEPT_BATCH = 16  # connections accepted per turn of the event loop (tornado takes up to 128 at once)
ACCEPT_PAUSE = 1.0  # seconds accepting waits when the process is (nearly) out of descriptors
_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class CappedHTTPServer(tornado.httpserver.HTTPServer):
    """An HTTPServer that keeps serving its owner while others flood it: connections of the origins in `capped`
    (other users of the machine; by default also other machines) are limited to `max_foreign` at a time, and
    beyond `max_connections` open HTTP connections (idle ones, half-sent requests, long-polls) new ones are closed
    at once, so a flood cannot take the descriptors the owner needs. It accepts ACCEPT_BATCH connections per turn
    of the event loop, and refuses a foreign one on its bare socket, so a burst of a thousand connects never holds
    up the owner's calls for more than a few milliseconds. Out of descriptors (or within DESCRIPTOR_RESERVE / 2
    of the limit) it stops accepting for ACCEPT_PAUSE seconds, with one log line per cause and a counter: the
    connections wait in the kernel's queue instead of turning the event loop into an accept-and-fail loop."""

    def initialize(self, *args: Any, max_connections: int, max_foreign: int, foreign_per_second: float,
                   causes: CauseLog | None = None,
                   capped: frozenset[str] = frozenset({OTHER_USER, REMOTE}), door: str = "front",
                   **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.max_connections = max_connections
        self.max_foreign = max_foreign
        # New connections of capped origins taken per second (bursts of as many): a flood of connect, upgrade,
        # wrong secret, close costs the gateway's CPU at most this often; the rest are closed on the bare socket.
        self.foreign_rate = float(foreign_per_second)
        self._foreign_tokens, self._foreign_refilled = self.foreign_rate, time.monotonic()
        self.capped = capped
        self.door = door
        self.causes = causes or CauseLog(logger)
        self._foreign: list[Any] = []
        self._uid = os.getuid()
        self._origin = OWN  # the origin of the connection being handed to handle_stream
        self._paused: set[int] = set()

    def add_sockets(self, sockets: Any) -> None:
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._listen(sock)
            self._handlers[sock.fileno()] = lambda sock=sock: self._unlisten(sock)

    def _listen(self, sock: socket.socket) -> None:
        tornado.ioloop.IOLoop.current().add_handler(sock, lambda fd, events: self._accept(sock),
                                                    tornado.ioloop.IOLoop.READ)

    def _unlisten(self, sock: socket.socket) -> None:
        if sock.fileno() not in self._paused:
            tornado.ioloop.IOLoop.current().remove_handler(sock)
        self._paused.discard(sock.fileno())

    def _pause(self, sock: socket.socket, cause: str, detail: str) -> None:
        """Stop accepting on `sock` for ACCEPT_PAUSE seconds."""
        self.causes.note(f"{self.door} door: accepting paused for {ACCEPT_PAUSE:.0f} s, {cause}", detail)
        fd = sock.fileno()
        if fd in self._paused:
            return
        self._paused.add(fd)
        loop = tornado.ioloop.IOLoop.current()
        loop.remove_handler(sock)

        def resume() -> None:
            if fd in self._paused and self._sockets.get(fd) is sock:
                self._paused.discard(fd)
                self._listen(sock)
        loop.call_later(ACCEPT_PAUSE, resume)

    def _accept(self, sock: socket.socket) -> None:
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]  # read each turn: it may be changed (prlimit)
        for _ in range(ACCEPT_BATCH):  # the rest waits for the next turn (epoll reports the socket again)
            try:
                connection, address = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:  # out of descriptors: the connection waits in the kernel's queue
                if exc.errno in _OUT_OF_DESCRIPTORS:
                    self._pause(sock, "out of descriptors", errno.errorcode.get(exc.errno, str(exc)))
                else:
                    self.causes.note(f"{self.door} door: accepting a connection failed: {exc.strerror or exc}")
                return
            if connection.fileno() >= limit - DESCRIPTOR_RESERVE // 2:  # the lowest free one: all below are taken
                connection.close()
                self._pause(sock, "descriptors nearly exhausted",
                            f"{limit} is the limit; {DESCRIPTOR_RESERVE // 2} are kept for the owner")
                return
            origin = connection_origin(connection, self._uid)
            if origin in self.capped:
                self._foreign = [s for s in self._foreign if not s.closed()]
                if len(self._foreign) >= self.max_foreign:
                    self.causes.note(f"{self.door} door: connection of another user closed at once: "
                                     f"{self.max_foreign} of theirs are open")
                    connection.close()
                    continue
                if not self._take_foreign_token():
                    self.causes.note(f"{self.door} door: connection of another user closed at once: more than "
                                     f"{self.foreign_rate:.0f} new ones a second")
                    connection.close()
                    continue
            self._origin = origin
            try:
                self._handle_connection(connection, address)
            finally:
                self._origin = OWN

    def _take_foreign_token(self) -> bool:
        now = time.monotonic()
        self._foreign_tokens = min(self.foreign_rate,
                                   self._foreign_tokens + (now - self._foreign_refilled) * self.foreign_rate)
        self._foreign_refilled = now
        if self._foreign_tokens < 1.0:
            return False
        self._foreign_tokens -= 1.0
        return True

    def handle_stream(self, stream: Any, address: Any) -> None:
        stream.imjoy_origin = self._origin
        if self._origin in self.capped:
            self._foreign.append(stream)
        if len(self._connections) >= self.max_connections:
            self.causes.note(f"{self.door} door: connection closed at once: {self.max_connections} HTTP "
                             "connections are already open")
            stream.close()
            return
        super().handle_stream(stream, address)


def connection_cap(descriptors: int, configured: int | None) -> int:
    """How many HTTP connections the front door keeps open at most (leaving the reserve free)."""
    room = max(16, descriptors - DESCRIPTOR_RESERVE)
    return min(configured, room) if configured else min(1024, room)

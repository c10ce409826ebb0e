"""Limits that keep the gateway serving its owner while others misbehave: descriptors and connections."""

from __future__ import annotations

import ipaddress
import logging
import os
import resource
import socket
import struct
from typing import Any

import tornado.httpserver
import tornado.ioloop

from imjoy_hpc.gateway.causes import CauseLog

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


def _diag_uid(family: int, peer: tuple, local: tuple) -> int | None:
    """Ask the kernel (sock_diag netlink, one exact lookup) which user owns the socket at the other end."""
    src, dst = (ipaddress.ip_address(a[0]).packed.ljust(16, b"\0") for a in (peer, local))
    body = _REQUEST.pack(_REQUEST.size, _SOCK_DIAG_BY_FAMILY, 1, 1, 0,  # NLM_F_REQUEST: one socket, no dump
                         family, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF, 0, 0, src, dst, 0, 0xFFFFFFFF, 0xFFFFFFFF)
    body = bytearray(body)
    struct.pack_into(">HH", body, 24, peer[1], local[1])  # inet_diag_sockid: sport, dport in network order
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as nl:
        nl.settimeout(1.0)
        nl.send(bytes(body))
        answer = nl.recv(4096)
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


def peer_uid(sock: socket.socket) -> int | None:
    """The local user owning the other end of a connection on this machine (None if it is not local)."""
    if sock.family == socket.AF_UNIX:
        return None  # our Unix socket sits in the owner's 0700 state directory
    peer, local = sock.getpeername()[:2], sock.getsockname()[:2]
    if not ipaddress.ip_address(peer[0]).is_loopback:
        return None
    try:
        return _diag_uid(sock.family, peer, local)
    except OSError:
        return _proc_uid(*peer)


ACCEPT_BATCH = 16  # connections accepted per turn of the event loop (tornado takes up to 128 at once)


class CappedHTTPServer(tornado.httpserver.HTTPServer):
    """An HTTPServer that keeps serving its owner while others flood it: connections from other users of the
    machine (or from other machines) are limited to `max_foreign` at a time, and beyond `max_connections` open
    HTTP connections (idle ones, half-sent requests, long-polls) new ones are closed at once, so a flood cannot
    take the descriptors the owner needs. It accepts ACCEPT_BATCH connections per turn of the event loop, and
    refuses a foreign one on its bare socket, so a burst of a thousand connects never holds up the owner's calls
    for more than a few milliseconds."""

    def initialize(self, *args: Any, max_connections: int = 512, max_foreign: int = 32,
                   causes: CauseLog | None = None, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.max_connections = max_connections
        self.max_foreign = max_foreign
        self.causes = causes or CauseLog(logger)
        self._foreign: list[Any] = []
        self._uid = os.getuid()
        self._accepting_foreign = False  # the connection being handed to handle_stream is foreign

    def add_sockets(self, sockets: Any) -> None:
        loop = tornado.ioloop.IOLoop.current()
        for sock in sockets:
            fd = sock.fileno()
            self._sockets[fd] = sock
            loop.add_handler(sock, lambda fd, events, sock=sock: self._accept(sock), tornado.ioloop.IOLoop.READ)
            self._handlers[fd] = lambda sock=sock: loop.remove_handler(sock)

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(ACCEPT_BATCH):  # the rest waits for the next turn (epoll reports the socket again)
            try:
                connection, address = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:  # out of descriptors: the connection waits in the kernel's queue
                self.causes.note(f"accepting a connection failed: {exc.strerror or exc}")
                return
            foreign = self._is_foreign(connection)
            if foreign:
                self._foreign = [s for s in self._foreign if not s.closed()]
                if len(self._foreign) >= self.max_foreign:
                    self.causes.note(f"connection of another user closed at once: {self.max_foreign} of theirs "
                                     "are open")
                    connection.close()
                    continue
            self._accepting_foreign = foreign
            try:
                self._handle_connection(connection, address)
            finally:
                self._accepting_foreign = False

    def _is_foreign(self, sock: socket.socket) -> bool:
        if sock.family == socket.AF_UNIX:
            return False
        try:
            return peer_uid(sock) != self._uid  # one sock_diag lookup (~0.1 ms)
        except (OSError, ValueError):
            return True

    def handle_stream(self, stream: Any, address: Any) -> None:
        if self._accepting_foreign:
            self._foreign.append(stream)
        if len(self._connections) >= self.max_connections:
            self.causes.note(f"connection closed at once: {self.max_connections} HTTP connections are already open")
            stream.close()
            return
        super().handle_stream(stream, address)


def connection_cap(descriptors: int, configured: int | None) -> int:
    """How many HTTP connections the front door keeps open at most (leaving the reserve free)."""
    room = max(16, descriptors - DESCRIPTOR_RESERVE)
    return min(configured, room) if configured else min(1024, room)

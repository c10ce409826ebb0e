"""Limits that keep the gateway serving its owner while others misbehave: descriptors and connections."""

from __future__ import annotations

import ipaddress
import logging
import os
import resource
import socket
from typing import Any

import tornado.httpserver

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


def peer_uid(sock: socket.socket) -> int | None:
    """The local user owning the other end of a connection on this machine (None if it is not local)."""
    if sock.family == socket.AF_UNIX:
        return None  # our Unix socket sits in the owner's 0700 state directory
    host, port = sock.getpeername()[:2]
    if not ipaddress.ip_address(host).is_loopback:
        return None
    wanted = _proc_net_address(host, port)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f, None)
                for line in f:
                    fields = line.split()
                    if len(fields) > 7 and fields[1] == wanted:
                        return int(fields[7])
        except OSError:
            continue
    return None


class CappedHTTPServer(tornado.httpserver.HTTPServer):
    """An HTTPServer that keeps serving its owner while others flood it: connections from other users of the
    machine (or from other machines) are limited to `max_foreign` at a time, and beyond `max_connections` open
    HTTP connections (idle ones, half-sent requests, long-polls) new ones are closed at once, so a flood cannot
    take the descriptors the owner needs."""

    def initialize(self, *args: Any, max_connections: int = 512, max_foreign: int = 32,
                   causes: CauseLog | None = None, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.max_connections = max_connections
        self.max_foreign = max_foreign
        self.causes = causes or CauseLog(logger)
        self._foreign: list[Any] = []
        self._uid = os.getuid()

    def _is_foreign(self, stream: Any) -> bool:
        sock = getattr(stream, "socket", None)
        if sock is None or sock.family == socket.AF_UNIX:
            return False
        try:
            return peer_uid(sock) != self._uid
        except (OSError, ValueError):
            return True

    def handle_stream(self, stream: Any, address: Any) -> None:
        if self._is_foreign(stream):
            self._foreign = [s for s in self._foreign if not s.closed()]
            if len(self._foreign) >= self.max_foreign:
                self.causes.note(f"connection of another user closed at once: {self.max_foreign} of theirs are open")
                stream.close()
                return
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

"""Limits that keep the gateway serving its owner while others misbehave: descriptors and connections."""

from __future__ import annotations

import logging
import resource
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


class CappedHTTPServer(tornado.httpserver.HTTPServer):
    """An HTTPServer that closes new connections at once beyond `max_connections` open HTTP connections (idle
    ones, half-sent requests, long-polls), so a flood cannot take the descriptors the owner needs."""

    def initialize(self, *args: Any, max_connections: int = 512, causes: CauseLog | None = None,
                   **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.max_connections = max_connections
        self.causes = causes or CauseLog(logger)

    def handle_stream(self, stream: Any, address: Any) -> None:
        if len(self._connections) >= self.max_connections:
            self.causes.note(f"connection closed at once: {self.max_connections} HTTP connections are already open")
            stream.close()
            return
        super().handle_stream(stream, address)


def connection_cap(descriptors: int, configured: int | None) -> int:
    """How many HTTP connections the front door keeps open at most (leaving the reserve free)."""
    room = max(16, descriptors - DESCRIPTOR_RESERVE)
    return min(configured, room) if configured else min(1024, room)

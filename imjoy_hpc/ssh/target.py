"""What a forward reaches on the SSH server's side: a TCP address (direct-tcpip) or a Unix socket (streamlocal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

import paramiko

if TYPE_CHECKING:
    from imjoy_hpc.ssh.client import Connection


@dataclass(frozen=True)
class TcpTarget:
    """host:port as seen from the SSH server (`ssh -L L:host:port`)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    def open(self, conn: Connection, origin: tuple[str, int], timeout: float) -> paramiko.Channel:
        """A channel to this address (raises paramiko.ChannelException when the server cannot connect)."""
        return conn.open_channel(self.host, self.port, origin, timeout=timeout)

    def refused(self, server: str, exc: paramiko.ChannelException) -> str:
        """One line saying that `server` could not connect here."""
        return f"{self} on {server} refused the forwarded connection: {exc.text or exc}"


@dataclass(frozen=True)
class SocketTarget:
    """A Unix socket on the SSH server, by absolute path (`ssh -L L:/path`)."""

    path: str

    def __str__(self) -> str:
        return f"Unix socket {self.path}"

    def open(self, conn: Connection, origin: tuple[str, int], timeout: float) -> paramiko.Channel:
        """A channel to this socket (raises paramiko.ChannelException when the server cannot connect)."""
        return conn.open_socket_channel(self.path, timeout=timeout)

    def refused(self, server: str, exc: paramiko.ChannelException) -> str:
        """One line saying that `server` could not connect here (OpenSSH gives the same answer for every cause)."""
        return (f"cannot reach the Unix socket {self.path} on {server}: it does not exist, nothing listens on it, "
                f"or the SSH server does not allow forwarding to Unix sockets (AllowStreamLocalForwarding) "
                f"[{exc.text or exc}]")


Target = Union[TcpTarget, SocketTarget]

"""Open an SSH connection through a chain of hops (ProxyJump) with paramiko, tuned for port forwarding.

Each hop after the first runs over a `direct-tcpip` channel of the previous one. Forwards open direct-tcpip
channels, or direct-streamlocal ones to Unix sockets (streamlocal.py). Transports prefer AES-GCM, advertise an
8 MB channel window and 256 KB packets, and use TCP_NODELAY and TCP keepalives on the real socket.
The address a host name resolved to is pinned after the first connection, so reconnects reach the same machine.
"""

from __future__ import annotations

import logging
import shlex
import socket
import threading
import time
from dataclasses import dataclass

import paramiko

from imjoy_hpc.ssh.auth import Authenticator
from imjoy_hpc.ssh.config import HostSpec
from imjoy_hpc.ssh.errors import HostUnreachable, SSHError
from imjoy_hpc.ssh.hostkeys import HostKeyChecker
from imjoy_hpc.ssh.streamlocal import open_streamlocal_channel

log = logging.getLogger(__name__)

WINDOW_SIZE = 8 * 1024 * 1024
MAX_PACKET_SIZE = 256 * 1024
FAST_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr", "aes192-ctr")


def tune_socket(sock: socket.socket, keepalive_seconds: float | None = None) -> None:
    """TCP_NODELAY (no Nagle stalls for small requests) and, for the SSH link, TCP keepalives."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if keepalive_seconds:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            for name, value in (("TCP_KEEPIDLE", keepalive_seconds), ("TCP_KEEPINTVL", keepalive_seconds),
                                ("TCP_KEEPCNT", 3), ("TCP_USER_TIMEOUT", int(keepalive_seconds * 4000))):
                if hasattr(socket, name):
                    sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), int(value))
    except OSError as exc:  # not a TCP socket (e.g. a ProxyCommand pipe)
        log.debug("socket options not set: %s", exc)


class QuickAckSocket(socket.socket):
    """A TCP socket that acknowledges every read at once (Linux TCP_QUICKACK, which the kernel resets).

    sshd does not set TCP_NODELAY on connections without a pty, so a reply it writes in two pieces waits for our
    ACK of the first; a delayed ACK (40 ms) there is the whole latency of a small request. Acking at once fixes it.
    """

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data = super().recv(bufsize, flags)
        try:
            self.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass
        return data


def quick_ack(sock: socket.socket) -> socket.socket:
    """`sock` as a QuickAckSocket where the platform has TCP_QUICKACK, else unchanged."""
    if not hasattr(socket, "TCP_QUICKACK"):
        return sock
    timeout = sock.gettimeout()
    wrapped = QuickAckSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    wrapped.settimeout(timeout)
    return wrapped


@dataclass
class Hop:
    """One hop of the chain and the concrete address it was reached at (pinned after the first connect)."""

    spec: HostSpec
    pinned: tuple | str | None = None  # first hop: (family, sockaddr); later hops: address string


@dataclass
class RemoteResult:
    """Outcome of a remote command."""

    exit_status: int
    stdout: bytes
    stderr: bytes


class Connection:
    """Open transports of one chain (first hop first); the last one talks to the target host."""

    def __init__(self, transports: list[paramiko.Transport], hops: list[Hop]) -> None:
        self.transports = transports
        self.hops = hops
        self.final = transports[-1]
        self._closed = threading.Event()
        spec = hops[-1].spec
        self._keepalive = threading.Thread(target=self._keepalive_loop, name="ssh-keepalive", daemon=True,
                                           args=(spec.server_alive_interval, spec.server_alive_count))
        self._keepalive.start()

    def is_active(self) -> bool:
        """Whether every transport of the chain is still up."""
        return not self._closed.is_set() and all(t.is_active() for t in self.transports)

    def close(self) -> None:
        """Close every transport (last hop first)."""
        self._closed.set()
        for transport in reversed(self.transports):
            try:
                transport.close()
            except Exception:  # closing a broken transport may raise; it is closed either way
                pass

    def _keepalive_loop(self, interval: float, count: int) -> None:
        """Ask the server for a reply every `interval` s; close the chain when `count` go unanswered."""
        while not self._closed.wait(interval):
            if not self.is_active():
                return
            answered = threading.Event()

            def ping() -> None:
                try:
                    self.final.global_request("keepalive@openssh.com", wait=True)
                except Exception:  # the transport died; the check below notices
                    pass
                answered.set()

            threading.Thread(target=ping, name="ssh-keepalive-ping", daemon=True).start()
            if not answered.wait(interval * count):
                log.warning("the server did not answer a keepalive within %.0f s (ServerAliveInterval %.0f x "
                            "ServerAliveCountMax %d): closing the connection", interval * count, interval, count)
                self.close()
                return

    def open_channel(self, host: str, port: int, origin: tuple[str, int], timeout: float = 15.0) -> paramiko.Channel:
        """A direct-tcpip channel from the target host to host:port (raises paramiko.ChannelException)."""
        return self.final.open_channel("direct-tcpip", (host, port), origin, window_size=WINDOW_SIZE,
                                       max_packet_size=MAX_PACKET_SIZE, timeout=timeout)

    def open_socket_channel(self, path: str, timeout: float = 15.0) -> paramiko.Channel:
        """A direct-streamlocal channel to the Unix socket `path` on the target host (raises ChannelException)."""
        return open_streamlocal_channel(self.final, path, window_size=WINDOW_SIZE, max_packet_size=MAX_PACKET_SIZE,
                                        timeout=timeout)

    def run(self, command: str, timeout: float, max_bytes: int = 1 << 20) -> RemoteResult:
        """Run `command` on the target host (no pty); collect stdout and stderr (bounded) and the exit status."""
        try:
            chan = self.final.open_session(timeout=timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise SSHError(f"cannot run a command on {self.hops[-1].spec.hostname}: {exc}") from None
        try:
            chan.exec_command(command)
            chan.shutdown_write()
            out, err = bytearray(), bytearray()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                busy = False
                if chan.recv_ready():
                    out += chan.recv(65536)
                    busy = True
                if chan.recv_stderr_ready():
                    err += chan.recv_stderr(65536)
                    busy = True
                del err[:-max_bytes]
                if len(out) > max_bytes:
                    raise SSHError(f"remote command printed more than {max_bytes} bytes on stdout")
                if (not busy and chan.exit_status_ready() and not chan.recv_ready()
                        and not chan.recv_stderr_ready()):
                    return RemoteResult(chan.recv_exit_status(), bytes(out), bytes(err))
                if not busy:
                    if not self.is_active():
                        raise HostUnreachable("the SSH connection dropped while the remote command was running")
                    time.sleep(0.01)
            raise SSHError(f"remote command did not finish within {timeout:.0f} s")
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise HostUnreachable(f"the SSH connection failed while a remote command was running: {exc}") from None
        finally:
            chan.close()

    def pin_final_address(self) -> str | None:
        """Pin the target host behind jump hosts to the address it was reached at ($SSH_CONNECTION there)."""
        if len(self.hops) < 2 or self.hops[-1].pinned:
            return self.hops[-1].pinned if isinstance(self.hops[-1].pinned, str) else None
        try:
            result = self.run('echo "$SSH_CONNECTION"', timeout=30)
            fields = result.stdout.decode().split()
            if len(fields) >= 3:
                self.hops[-1].pinned = fields[2]
                return fields[2]
        except (SSHError, paramiko.SSHException, OSError) as exc:
            log.debug("could not pin the target address: %s", exc)
        return None


class Connector:
    """Knows how to (re)connect through the hops; shares key/password caches and pinned addresses."""

    def __init__(self, chain: list[HostSpec], authenticator: Authenticator, hostkeys: HostKeyChecker) -> None:
        self.hops = [Hop(spec) for spec in chain]
        self.authenticator = authenticator
        self.hostkeys = hostkeys

    @property
    def target(self) -> HostSpec:
        """The destination hop's spec."""
        return self.hops[-1].spec

    def describe(self) -> str:
        """`user@host:port` of the target, with the jump hosts."""
        text = str(self.target)
        if len(self.hops) > 1:
            text += " via " + " -> ".join(str(h.spec) for h in self.hops[:-1])
        return text

    def _first_socket(self, hop: Hop) -> socket.socket | paramiko.ProxyCommand:
        spec = hop.spec
        if spec.proxy_command:
            return paramiko.ProxyCommand(spec.proxy_command)
        if hop.pinned:
            candidates = [hop.pinned]
        else:
            try:
                infos = socket.getaddrinfo(spec.hostname, spec.port, 0, socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise HostUnreachable(f"cannot resolve host name {spec.hostname!r}: {exc.strerror}. Check the "
                                      f"name, or the HostName in your ssh config for {spec.alias!r}") from None
            candidates = [(info[0], info[4]) for info in infos]
        errors = []
        for family, sockaddr in candidates:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(spec.connect_timeout)
            try:
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                errors.append(f"{sockaddr[0]}: {exc.strerror or exc}")
                continue
            tune_socket(sock, keepalive_seconds=spec.server_alive_interval)
            hop.pinned = (family, sockaddr)
            return quick_ack(sock)
        raise HostUnreachable(f"cannot reach {spec.hostname} port {spec.port}: " + "; ".join(errors))

    def _start(self, hop: Hop, sock) -> paramiko.Transport:
        spec = hop.spec
        transport = paramiko.Transport(sock, default_window_size=WINDOW_SIZE, default_max_packet_size=MAX_PACKET_SIZE)
        transport.banner_timeout = spec.connect_timeout
        options = transport.get_security_options()
        supported = list(options.ciphers)
        options.ciphers = [c for c in FAST_CIPHERS if c in supported] + [c for c in supported if c not in FAST_CIPHERS]
        known = [t for t in self.hostkeys.preferred_key_types(spec) if t in options.key_types]
        if known:
            options.key_types = known + [t for t in options.key_types if t not in known]
        try:
            transport.start_client(timeout=spec.connect_timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            transport.close()
            raise HostUnreachable(f"SSH handshake with {spec.hostname} port {spec.port} failed: {exc}") from None
        try:
            self.hostkeys.check(spec, transport.get_remote_server_key())
            self.authenticator.authenticate(transport, spec)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            transport.close()
            raise HostUnreachable(f"the connection to {spec.hostname} port {spec.port} failed during login: "
                                  f"{exc}") from None
        except BaseException:
            transport.close()
            raise
        return transport

    def connect(self) -> Connection:
        """Connect and authenticate every hop; return the open chain."""
        transports: list[paramiko.Transport] = []
        try:
            for i, hop in enumerate(self.hops):
                if i == 0:
                    sock = self._first_socket(hop)
                else:
                    address = hop.pinned if isinstance(hop.pinned, str) else hop.spec.hostname
                    try:
                        sock = transports[-1].open_channel(
                            "direct-tcpip", (address, hop.spec.port), ("127.0.0.1", 0),
                            window_size=WINDOW_SIZE, max_packet_size=MAX_PACKET_SIZE,
                            timeout=hop.spec.connect_timeout)
                    except (paramiko.ChannelException, paramiko.SSHException, EOFError) as exc:
                        raise HostUnreachable(
                            f"jump host {self.hops[i - 1].spec.hostname} could not connect to {address} port "
                            f"{hop.spec.port}: {exc}") from None
                transports.append(self._start(hop, sock))
        except BaseException:
            for transport in reversed(transports):
                transport.close()
            raise
        return Connection(transports, self.hops)


def login_shell_command(command: str) -> str:
    """`command` wrapped to run in a bash login shell (so modules and the user's PATH are set up)."""
    return "bash -lc " + shlex.quote(command)

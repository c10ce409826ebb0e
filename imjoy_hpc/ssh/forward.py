"""The local port forward: 127.0.0.1:L -> (through SSH) host:port or a Unix socket there, like `ssh -N -L`.

One thread pair per forwarded connection, 1 MB reads, TCP_NODELAY on the local socket (the SSH socket has it
too), big channel windows (client.py). A dropped SSH connection is replaced by the KeptConnection; new local connections
wait for it, open ones end with EOF.
"""

from __future__ import annotations

import errno
import logging
import selectors
import socket
import threading
from typing import Callable

import paramiko

from imjoy_hpc.ssh.client import tune_socket
from imjoy_hpc.ssh.errors import LocalPortBusy
from imjoy_hpc.ssh.keepalive import KeptConnection
from imjoy_hpc.ssh.target import Target

log = logging.getLogger(__name__)

BUFFER_SIZE = 1024 * 1024
WAIT_FOR_CONNECTION = 30.0  # s a new local connection waits for a reconnect
CHANNEL_TIMEOUT = 15.0


def bind_local(port: int, host: str = "127.0.0.1") -> socket.socket:
    """A listening socket on host:port (loopback only by default); LocalPortBusy when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise LocalPortBusy(f"local port {port} on {host} is already in use by another program; choose "
                                f"another with --local-port, or stop what is listening there") from None
        if exc.errno == errno.EACCES:
            raise LocalPortBusy(f"not allowed to listen on local port {port} (ports below 1024 need privileges); "
                                f"choose another with --local-port") from None
        raise LocalPortBusy(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


class LocalForwarder:
    """Accepts local connections and forwards each over its own channel (direct-tcpip or direct-streamlocal)."""

    def __init__(self, listener: socket.socket, ssh: KeptConnection, target: Target,
                 notify: Callable[[str], None] = lambda message: None) -> None:
        self.listener = listener
        self.ssh = ssh
        self.target = target
        self.notify = notify
        self._open: set[tuple[socket.socket, paramiko.Channel]] = set()
        self._lock = threading.Lock()
        self.stopped = threading.Event()

    @property
    def local_port(self) -> int:
        return self.listener.getsockname()[1]

    def set_target(self, target: Target) -> None:
        """Forward new connections to `target` from now on (the gateway moved after a restart)."""
        self.target = target

    def serve_forever(self) -> None:
        """Accept until stop() is called or the SSH connection is given up."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.listener, selectors.EVENT_READ)
            while not self.stopped.is_set() and not self.ssh.ended:
                if not selector.select(0.25):
                    continue
                try:
                    client, address = self.listener.accept()
                except OSError:
                    continue
                threading.Thread(target=self._handle, args=(client, address), name="forward", daemon=True).start()

    def stop(self) -> None:
        """Stop accepting and close every forwarded connection."""
        self.stopped.set()
        try:
            self.listener.close()
        except OSError:
            pass
        with self._lock:
            pairs = list(self._open)
        for client, chan in pairs:
            _close(client, chan)

    def _open_channel(self, address: tuple[str, int]) -> paramiko.Channel | None:
        for _ in range(3):
            conn = self.ssh.current(timeout=WAIT_FOR_CONNECTION)
            if conn is None:
                self.notify("no SSH connection: closed a local connection")
                return None
            target = self.target
            try:
                return target.open(conn, address, timeout=CHANNEL_TIMEOUT)
            except paramiko.ChannelException as exc:
                self.notify(target.refused(self.ssh.connector.target.hostname, exc))
                return None
            except (paramiko.SSHException, EOFError, OSError) as exc:
                log.debug("channel open failed (%s); asking for a reconnect", exc)
                self.ssh.report_broken(conn)
        return None

    def _handle(self, client: socket.socket, address: tuple[str, int]) -> None:
        tune_socket(client)
        chan = self._open_channel(address)
        if chan is None or self.stopped.is_set():
            _close(client, chan)
            return
        pair = (client, chan)
        with self._lock:
            self._open.add(pair)
        upstream = threading.Thread(target=_to_channel, args=(client, chan), name="forward-up", daemon=True)
        upstream.start()
        try:
            _to_client(chan, client)
            upstream.join()
        finally:
            with self._lock:
                self._open.discard(pair)
            _close(client, chan)


def _to_channel(client: socket.socket, chan: paramiko.Channel) -> None:
    """Local socket -> channel until EOF, then send EOF on the channel."""
    try:
        while True:
            data = client.recv(BUFFER_SIZE)
            if not data:
                break
            chan.sendall(data)
    except (OSError, EOFError, paramiko.SSHException):
        pass
    finally:
        try:
            chan.shutdown_write()
        except (OSError, EOFError, paramiko.SSHException):
            pass


def _to_client(chan: paramiko.Channel, client: socket.socket) -> None:
    """Channel -> local socket until EOF; if the channel is gone, end the other direction too."""
    try:
        while True:
            data = chan.recv(BUFFER_SIZE)
            if not data:
                break
            client.sendall(data)
    except (OSError, EOFError, paramiko.SSHException):
        pass
    try:
        client.shutdown(socket.SHUT_RDWR if chan.closed or not chan.get_transport().is_active()
                        else socket.SHUT_WR)
    except OSError:
        pass


def _close(client: socket.socket | None, chan: paramiko.Channel | None) -> None:
    for thing in (chan, client):
        if thing is not None:
            try:
                thing.close()
            except (OSError, EOFError, paramiko.SSHException):
                pass


def serve_until_interrupted(forwarder: LocalForwarder) -> None:
    """Serve until Ctrl-C, SIGTERM or the end of the SSH connection; then close the forwarder and the connection."""
    import signal

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: forwarder.stopped.set())
    try:
        forwarder.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        forwarder.stop()
        forwarder.ssh.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)

"""Forwarding to a Unix socket on the SSH server (direct-streamlocal), against real private sshd instances.

`imjoy-hpc tunnel --remote-socket` to an echo server on a socket in a 0700 directory, and `imjoy-hpc connect`
with a stand-in remote command that prints the gateway's JSON line with "socket" (and "port": null).
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import socket
import socketserver
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sshd_support import (  # noqa: F401  (fixtures)
    ClientKey,
    CliProcess,
    EchoServer,
    client_env,
    client_key,
    echo_roundtrip,
    known_hosts_file,
    megabyte_through,
    socket_dir,
    sshd,
    sshd_factory,
    tunnel_cli,
)
from support import free_port

pytestmark = pytest.mark.ssh


_known_hosts = known_hosts_file


def _tunnel(tmp_path: Path, server, key: ClientKey, remote_socket: str, local_port: int,
            *extra: str) -> CliProcess:
    return tunnel_cli(tmp_path, server, key, _known_hosts(tmp_path, server), ["--remote-socket", remote_socket],
                      local_port, list(extra))


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


@pytest.fixture
def unix_echo(socket_dir):
    """An EchoServer on a Unix socket in a private directory."""
    server = EchoServer(path=socket_dir / "echo.sock")
    yield server
    server.close()


# --- imjoy-hpc tunnel --remote-socket ----------------------------------------------------------------------------

def test_tunnel_to_a_unix_socket_carries_concurrent_streams_byte_exact(tmp_path, sshd, client_key, unix_echo):
    local = free_port()
    tunnel = _tunnel(tmp_path, sshd, client_key, unix_echo.path, local)
    try:
        line = tunnel.read_line()
        assert f"127.0.0.1:{local} -> Unix socket {unix_echo.path} on " in line
        payloads = [os.urandom(3 * 1024 * 1024 + i * 4099) for i in range(6)]
        results: list[bytes | BaseException | None] = [None] * len(payloads)

        def one(i: int) -> None:
            try:
                results[i] = echo_roundtrip(local, payloads[i], timeout=120)
            except BaseException as exc:  # reported below
                results[i] = exc

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(payloads))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        assert not any(t.is_alive() for t in threads), "a stream did not finish within 180 s"
        for i, payload in enumerate(payloads):
            assert isinstance(results[i], bytes), f"stream {i} failed: {results[i]!r}"
            assert results[i] == payload, f"stream {i} corrupted ({len(results[i])} of {len(payload)} bytes)"
        assert unix_echo.connections >= len(payloads)
    finally:
        tunnel.stop()


def test_tunnel_to_a_missing_socket_closes_the_connection_and_names_the_path(tmp_path, sshd, client_key,
                                                                             socket_dir):
    missing = str(socket_dir / "nobody-listens.sock")
    local = free_port()
    tunnel = _tunnel(tmp_path, sshd, client_key, missing, local)
    try:
        tunnel.read_line()
        with socket.create_connection(("127.0.0.1", local), timeout=30) as c:
            assert c.recv(10) == b""  # closed, not left hanging
        _wait_for(lambda: "cannot reach" in tunnel.stderr(), 10, "the refusal notice")
        first = tunnel.stderr().splitlines()[0]
        assert first.startswith(f"imjoy-hpc tunnel: cannot reach the Unix socket {missing} on 127.0.0.1: it does "
                                f"not exist, nothing listens on it"), first
        assert tunnel.proc.poll() is None  # the tunnel itself keeps running
    finally:
        tunnel.stop()


def test_tunnel_to_a_socket_reconnects_after_a_drop(tmp_path, sshd, client_key, unix_echo):
    local = free_port()
    tunnel = _tunnel(tmp_path, sshd, client_key, unix_echo.path, local)
    try:
        tunnel.read_line()
        assert echo_roundtrip(local, b"before") == b"before"
        assert sshd.kill_connections() >= 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if echo_roundtrip(local, b"after", timeout=30) == b"after":
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError(f"no round trip after the drop; stderr: {tunnel.stderr()}")
        assert "reconnected" in tunnel.stderr()
    finally:
        tunnel.stop()


def test_tunnel_to_a_socket_through_a_jump_host(tmp_path, sshd_factory, client_key, unix_echo):
    jump = sshd_factory([client_key.public_line], name="jump")
    login = sshd_factory([client_key.public_line], name="login")
    known = _known_hosts(tmp_path, jump, login)
    local = free_port()
    target = ["-J", f"{jump.user}@127.0.0.1:{jump.port}", "--remote-socket", unix_echo.path]
    megabyte_through(tunnel_cli(tmp_path, login, client_key, known, target, local), local)
    assert unix_echo.connections >= 1


@pytest.mark.parametrize("extra, message", [
    (["--remote-socket", "gateway.sock", "--local-port", "0"], "--remote-socket gateway.sock is not an absolute path"),
    (["--remote-socket", "/run/x.sock"], "--remote-socket needs --local-port"),
    (["--remote-socket", "/run/x.sock", "--local-port", "0", "--remote-host", "h"],
     "--remote-host goes with --remote-port"),
    (["--remote-socket", "/run/x.sock", "--remote-port", "1"], "not allowed with argument"),
])
def test_tunnel_socket_options_are_checked_before_logging_in(tmp_path, extra, message):
    cli = CliProcess(["tunnel", "nobody@127.0.0.1", "-F", "/dev/null", *extra], tmp_path / "cli",
                     env=client_env(tmp_path / "home"))
    try:
        assert cli.wait(timeout=60) == 2
        assert message in cli.stderr()
    finally:
        cli.stop()


# --- imjoy-hpc connect with a gateway that reports "socket" ------------------------------------------------------

class _Door(http.server.BaseHTTPRequestHandler):
    """Answers GET with the door's name when the bearer token matches, else 401."""

    def do_GET(self) -> None:
        ok = self.headers.get("Authorization") == f"Bearer {self.server.token}"
        body = (self.server.name if ok else "token required").encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class FakeDoor:
    """A stand-in gateway door: HTTP on a Unix socket (`path`) or on 127.0.0.1:<free port>."""

    def __init__(self, name: str, token: str, path: Path | None = None) -> None:
        if path is None:
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Door)
            self.port, self.path = self.server.server_address[1], None
        else:
            self.server = _UnixHTTPServer(str(path), _Door)
            self.port, self.path = None, str(path)
        self.server.name, self.server.token = name, token
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)
        if self.path is not None:
            Path(self.path).unlink(missing_ok=True)


@pytest.fixture
def doors():
    """Open FakeDoors: `doors(name, token, path=None)`; all closed afterwards."""
    opened: list[FakeDoor] = []

    def make(name: str, token: str, path: Path | None = None) -> FakeDoor:
        opened.append(FakeDoor(name, token, path))
        return opened[-1]

    yield make
    for door in opened:
        door.close()


def _write_info(path: Path, token: str, port: int | None, sock: str | None) -> None:
    """The gateway JSON line the stand-in remote command (`cat path`) prints; the token stays in a 0600 file."""
    info = {"pid": os.getpid(), "host": "127.0.0.1", "port": port, "socket": sock,
            "url": f"http://127.0.0.1:{port}/" if port else None, "token": token, "reused": True}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("Welcome to the login node\n" + json.dumps(info) + "\n")


def _connect(tmp_path: Path, server, key: ClientKey, info_file: Path, *extra: str) -> CliProcess:
    known = _known_hosts(tmp_path, server)
    args = ["connect", f"{server.user}@127.0.0.1", "-p", str(server.port), "-i", str(key.path),
            "--known-hosts", str(known), "-F", "/dev/null", "--remote-command", f"cat {info_file}", *extra]
    return CliProcess(args, tmp_path / "cli", env=client_env(tmp_path / "home"))


def _get(port: int, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/",
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_connect_forwards_to_the_socket_and_follows_the_gateway_after_a_drop(tmp_path, sshd, client_key,
                                                                            socket_dir, doors):
    token = secrets.token_urlsafe(32)
    sock_door = doors("socket door", token, path=socket_dir / "gateway.sock")
    info = tmp_path / "gateway-info.json"
    _write_info(info, token, port=None, sock=sock_door.path)
    local = free_port()
    connect = _connect(tmp_path, sshd, client_key, info, "--local-port", str(local))
    try:
        assert connect.read_line(timeout=60) == f"http://127.0.0.1:{local}/#token={token}"
        assert f"forwarding 127.0.0.1:{local} -> Unix socket {sock_door.path}." in connect.stderr()
        assert _get(local, token) == (200, "socket door")
        assert _get(local)[0] == 401

        # after a drop the gateway reports only a TCP door (same token): new connections go there
        tcp_door = doors("tcp door", token)
        _write_info(info, token, port=tcp_door.port, sock=None)
        assert sshd.kill_connections() >= 1
        moved = f"the gateway moved; forwarding to 127.0.0.1:{tcp_door.port} now"
        _wait_for(lambda: moved in connect.stderr(), 60, "following the gateway to its TCP door")
        assert _get(local, token) == (200, "tcp door")

        # and after another drop, a restarted gateway on a new socket with a new token: a new URL
        new_token = secrets.token_urlsafe(32)
        new_door = doors("new socket door", new_token, path=socket_dir / "gateway2.sock")
        _write_info(info, new_token, port=tcp_door.port, sock=new_door.path)
        assert sshd.kill_connections() >= 1
        assert connect.read_line(timeout=60) == f"http://127.0.0.1:{local}/#token={new_token}"
        assert f"the gateway was restarted; forwarding to Unix socket {new_door.path} now" in connect.stderr()
        assert _get(local, new_token) == (200, "new socket door")
        assert token not in connect.stderr() and new_token not in connect.stderr()
    finally:
        connect.stop()


def test_connect_falls_back_to_the_tcp_door_when_sshd_forbids_socket_forwarding(tmp_path, sshd_factory,
                                                                                client_key, socket_dir, doors):
    server = sshd_factory([client_key.public_line], extra_config=["AllowStreamLocalForwarding no"])
    token = secrets.token_urlsafe(32)
    sock_door = doors("socket door", token, path=socket_dir / "gateway.sock")
    tcp_door = doors("tcp door", token)
    info = tmp_path / "gateway-info.json"
    _write_info(info, token, port=tcp_door.port, sock=sock_door.path)
    local = free_port()
    connect = _connect(tmp_path, server, client_key, info, "--local-port", str(local))
    try:
        connect.read_line(timeout=60)
        err = connect.stderr()
        assert f"cannot reach the Unix socket {sock_door.path} on 127.0.0.1" in err
        assert f"forwarding to 127.0.0.1:{tcp_door.port} instead" in err
        assert f"forwarding 127.0.0.1:{local} -> 127.0.0.1:{tcp_door.port}." in err
        assert _get(local, token) == (200, "tcp door")
    finally:
        connect.stop()
    assert "refused streamlocal port forward" in server.log.read_text()


def test_connect_to_a_missing_socket_fails_in_words_naming_the_path(tmp_path, sshd, client_key, socket_dir):
    missing = str(socket_dir / "gateway.sock")  # nothing listens there
    info = tmp_path / "gateway-info.json"
    _write_info(info, secrets.token_urlsafe(32), port=None, sock=missing)
    connect = _connect(tmp_path, sshd, client_key, info, "--local-port", str(free_port()))
    try:
        assert connect.wait(timeout=60) == 1
        first = connect.stderr().splitlines()[0]
    finally:
        connect.stop()
    assert first.startswith(f"imjoy-hpc connect: error: the gateway on 127.0.0.1 (pid {os.getpid()}) is out of "
                            f"reach: cannot reach the Unix socket {missing} on 127.0.0.1: it does not exist"), first


def test_connect_keeps_retrying_while_the_socket_is_gone_after_a_drop(tmp_path, sshd, client_key, socket_dir,
                                                                      doors):
    token = secrets.token_urlsafe(32)
    path = socket_dir / "gateway.sock"
    door = doors("socket door", token, path=path)
    info = tmp_path / "gateway-info.json"
    _write_info(info, token, port=None, sock=str(path))
    local = free_port()
    connect = _connect(tmp_path, sshd, client_key, info, "--local-port", str(local))
    try:
        connect.read_line(timeout=60)
        assert _get(local, token) == (200, "socket door")
        door.close()  # the gateway is away for a moment
        assert sshd.kill_connections() >= 1
        _wait_for(lambda: "reconnect attempt 1 failed (the gateway on 127.0.0.1" in connect.stderr(), 60,
                  "a failed reconnect attempt")
        assert f"cannot reach the Unix socket {path}" in connect.stderr()
        doors("socket door is back", token, path=path)
        _wait_for(lambda: "reconnected" in connect.stderr(), 60, "the reconnect")
        assert _get(local, token) == (200, "socket door is back")
        assert connect.proc.poll() is None
    finally:
        connect.stop()

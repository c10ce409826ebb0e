"""`imjoy-hpc connect` against a real private sshd: a fake remote gateway command, and the real gateway."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sshd_support import (  # noqa: F401  (fixtures)
    CliProcess,
    client_env,
    client_key,
    sshd,
    sshd_factory,
)
from support import free_port, require

pytestmark = pytest.mark.ssh

# A stand-in for `imjoy-hpc serve --detach/--stop` that follows the gateway contract: one JSON line on stdout,
# a background HTTP server on 127.0.0.1 that survives the SSH session and requires the token.
FAKE_GATEWAY = r'''
import http.server, json, os, secrets, signal, socket, subprocess, sys, time
action, state_dir = sys.argv[1], sys.argv[2]
state = os.path.join(state_dir, "gateway.json")
token_file = os.path.join(state_dir, "token")

def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)

if action == "--serve":
    token = open(token_file).read()
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.headers.get("Authorization") == "Bearer " + token
            body = b"fake gateway: authorized" if ok else b"fake gateway: token required"
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3])), Handler).serve_forever()
elif action == "--detach":
    print("Welcome to the login node (a banner some login shells print)")
    if os.path.exists(state):
        info = json.load(open(state))
        if alive(info["pid"]):
            info["reused"] = True
            print(json.dumps(info))
            sys.exit(0)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    token = secrets.token_urlsafe(32)
    write_private(token_file, token)
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    child = subprocess.Popen([sys.executable, __file__, "--serve", state_dir, str(port)], start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    info = {"pid": child.pid, "host": "127.0.0.1", "port": port, "url": "http://127.0.0.1:%d/" % port,
            "token": token, "reused": False}
    write_private(state, json.dumps(info))
    print(json.dumps(info))
elif action == "--stop":
    if os.path.exists(state):
        info = json.load(open(state))
        os.kill(info["pid"], signal.SIGTERM)
        os.remove(state)
        print("stopped the gateway (pid %d)" % info["pid"])
    else:
        print("no gateway running")
elif action == "--fail":
    print("starting the gateway ...", file=sys.stderr)
    print("OSError: [Errno 98] address already in use: 127.0.0.1:9527 (gateway log tail)", file=sys.stderr)
    sys.exit(3)
'''


@pytest.fixture
def fake_gateway(tmp_path):
    """(command prefix, state dir) of the fake remote gateway; kills its server by PID afterwards."""
    script = tmp_path / "fake_gateway.py"
    script.write_text(FAKE_GATEWAY)
    state = tmp_path / "gateway-state"
    yield f"{sys.executable} {script}", state
    info_file = state / "gateway.json"
    if info_file.exists():
        try:
            os.kill(json.loads(info_file.read_text())["pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass


def _connect(tmp_path, server, key, *extra: str) -> CliProcess:
    known = tmp_path / "known_hosts"
    if not known.exists():
        known.write_text(server.known_hosts_line + "\n")
    args = ["connect", f"{server.user}@127.0.0.1", "-p", str(server.port), "-i", str(key.path),
            "--known-hosts", str(known), "-F", "/dev/null", *extra]
    return CliProcess(args, tmp_path / "cli", env=client_env(tmp_path / "home"))


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _command_lines_containing(secret: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if secret in cmdline:
                found.append(f"{entry}: {cmdline}")
    return found


def test_connect_starts_then_reattaches_and_stops_the_gateway(tmp_path, sshd, client_key, fake_gateway):
    command, state = fake_gateway
    local = free_port()
    options = ["--remote-command", f"{command} --detach {state}", "--remote-stop-command", f"{command} --stop {state}"]
    first = _connect(tmp_path, sshd, client_key, "--local-port", str(local), *options)
    try:
        url = first.read_line(timeout=60)
        assert url.startswith(f"http://127.0.0.1:{local}/#token=")
        token = url.split("#token=", 1)[1]
        info = json.loads((state / "gateway.json").read_text())
        assert token == info["token"]
        assert "started your gateway" in first.stderr()
        # the forward reaches the gateway, which really requires that token
        assert _get(f"http://127.0.0.1:{local}/", token) == (200, "fake gateway: authorized")
        assert _get(f"http://127.0.0.1:{local}/")[0] == 401
        # the token was read over the SSH channel: no process on this host has it in its command line
        assert _command_lines_containing(token) == []
        assert token not in first.stderr()
    finally:
        first.stop()

    # a second connect finds the running gateway instead of starting another one
    local2 = free_port()
    second = _connect(tmp_path, sshd, client_key, "--local-port", str(local2), *options)
    try:
        assert second.read_line(timeout=60) == f"http://127.0.0.1:{local2}/#token={token}"
        assert "re-attached to your running gateway" in second.stderr()
        assert _get(f"http://127.0.0.1:{local2}/", token)[0] == 200
    finally:
        second.stop()

    stopper = _connect(tmp_path, sshd, client_key, "--stop", *options)
    try:
        assert stopper.wait(timeout=60) == 0
        assert f"stopped the gateway (pid {info['pid']})" in stopper.read_line(timeout=5)
    finally:
        stopper.stop()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{info['pid']}").exists():
        time.sleep(0.05)
    assert not Path(f"/proc/{info['pid']}").exists() or "Z" in Path(f"/proc/{info['pid']}/stat").read_text().split()[2]


def test_connect_follows_the_gateway_across_a_dropped_connection(tmp_path, sshd, client_key, fake_gateway):
    command, state = fake_gateway
    local = free_port()
    connect = _connect(tmp_path, sshd, client_key, "--local-port", str(local),
                       "--remote-command", f"{command} --detach {state}")
    try:
        token = connect.read_line(timeout=60).split("#token=", 1)[1]
        assert sshd.kill_connections() >= 1
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status = _get(f"http://127.0.0.1:{local}/", token)[0]
                if status == 200 and "reconnected" in connect.stderr():
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert status == 200 and "reconnected" in connect.stderr(), connect.stderr()
    finally:
        connect.stop()


def test_connect_explains_missing_remote_imjoy_hpc(tmp_path, sshd, client_key):
    connect = _connect(tmp_path, sshd, client_key, "--local-port", str(free_port()),
                       "--remote-command", "imjoy-hpc-not-installed-here serve --detach")
    try:
        assert connect.wait(timeout=60) == 1
        err = connect.stderr()
    finally:
        connect.stop()
    assert "imjoy-hpc-not-installed-here was not found on 127.0.0.1" in err
    assert "module load imjoy" in err and "pip install --user imjoy-hpc" in err


def test_connect_reports_a_failed_gateway_with_its_log_tail(tmp_path, sshd, client_key, fake_gateway):
    command, state = fake_gateway
    connect = _connect(tmp_path, sshd, client_key, "--local-port", str(free_port()),
                       "--remote-command", f"{command} --fail {state}")
    try:
        assert connect.wait(timeout=60) == 1
        err = connect.stderr()
    finally:
        connect.stop()
    assert "the gateway on 127.0.0.1 failed to start" in err and "exit status 3" in err
    assert "address already in use: 127.0.0.1:9527 (gateway log tail)" in err


def test_connect_refuses_a_busy_local_port(tmp_path, sshd, client_key, fake_gateway):
    import socket

    command, state = fake_gateway
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        connect = _connect(tmp_path, sshd, client_key, "--local-port", str(port),
                           "--remote-command", f"{command} --detach {state}")
        try:
            assert connect.wait(timeout=60) == 1
            assert f"local port {port} on 127.0.0.1 is already in use" in connect.stderr()
        finally:
            connect.stop()
    assert not (state / "gateway.json").exists()  # nothing was started remotely


# --- the real gateway, end to end -------------------------------------------------------------------------------
# Needs the gateway's `imjoy-hpc serve --detach/--stop`. It guards itself: when `imjoy-hpc serve --help` does not
# list --detach it skips locally and fails under CI=true (tests/support.require). With the current serve it runs.

def _serve_supports_detach(imjoy_hpc: str) -> bool:
    done = subprocess.run([imjoy_hpc, "serve", "--help"], capture_output=True, text=True, timeout=60)
    return done.returncode == 0 and "--detach" in done.stdout


def test_connect_end_to_end_with_the_real_gateway_and_imjoy_rpc_client(tmp_path, sshd_factory, client_key):
    imjoy_hpc = str(Path(sys.executable).with_name("imjoy-hpc"))
    require(_serve_supports_detach(imjoy_hpc), "`imjoy-hpc serve --detach`",
            "the gateway's detach mode is not built yet; this test enables itself once `imjoy-hpc serve --help` "
            "lists --detach")
    import imjoy_rpc

    state = tmp_path / "gateway-state"
    site_config = tmp_path / "site.yaml"
    site_config.write_text(f"imjoy-hpc:\n  state-dir: {state}\n")
    server = sshd_factory([client_key.public_line], env={"IMJOY_HPC_CONFIG": str(site_config)})
    gateway_port, local = free_port(), free_port()
    options = ["--remote-command", f"{imjoy_hpc} serve --detach --port {gateway_port}",
               "--remote-stop-command", f"{imjoy_hpc} serve --stop", "--start-timeout", "120"]
    connect = _connect(tmp_path, server, client_key, "--local-port", str(local), *options)
    try:
        url = connect.read_line(timeout=150)
        assert url.startswith(f"http://127.0.0.1:{local}/#token=")
        token = url.split("#token=", 1)[1]
        assert _command_lines_containing(token) == []

        async def call_through_tunnel():
            api = await asyncio.wait_for(imjoy_rpc.connect_to_server(
                {"server_url": f"http://127.0.0.1:{local}", "token": token, "name": "t"}), 60)
            try:
                return await asyncio.wait_for(api.list_plugins(), 60)
            finally:
                dispose = getattr(api, "dispose", None)
                if callable(dispose):
                    result = dispose()
                    if asyncio.iscoroutine(result):
                        await asyncio.wait_for(result, 10)
                    await asyncio.sleep(0.5)  # let the socket.io client close its HTTP session

        plugins = asyncio.run(call_through_tunnel())
        assert isinstance(plugins, list)
    finally:
        connect.stop()
        stopper = _connect(tmp_path, server, client_key, "--stop", *options)
        try:
            assert stopper.wait(timeout=120) == 0, stopper.stderr()
        finally:
            stopper.stop()


def test_connect_through_a_jump_host_pins_the_login_node(tmp_path, sshd_factory, client_key, fake_gateway):
    command, state = fake_gateway
    jump = sshd_factory([client_key.public_line], name="jump")
    login = sshd_factory([client_key.public_line], name="login")
    (tmp_path / "known_hosts").write_text(jump.known_hosts_line + "\n" + login.known_hosts_line + "\n")
    local = free_port()
    connect = _connect(tmp_path, login, client_key, "--local-port", str(local), "-J",
                       f"{jump.user}@127.0.0.1:{jump.port}", "--remote-command", f"{command} --detach {state}")
    try:
        token = connect.read_line(timeout=60).split("#token=", 1)[1]
        assert _get(f"http://127.0.0.1:{local}/", token)[0] == 200
        assert "(pinned to 127.0.0.1)" in connect.stderr() and f"via {jump.user}@127.0.0.1:{jump.port}" in \
            connect.stderr()
    finally:
        connect.stop()

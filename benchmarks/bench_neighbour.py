"""The neighbour of bench_load.py: another user of the login node, without the token.

Standard library only, so that it runs with the system's Python as a Unix user the benchmark creates (that user
cannot read the project's virtualenv). Reads one JSON config line on stdin, then (a) opens `flood` idle TCP
connections to the front door, holds them `hold` seconds and closes them, and (b) sends `big_bytes` socket.io
`register_plugin` events before registering, one after another on raw websockets for `big_seconds`; event lines on stdout (MARK + JSON).
A config with an `attack` runs that one of ATTACKS instead (issue 26's round: registration floods on either door,
links that never register, descriptor exhaustion, bodies held back one byte short, long-polling sessions, junk on
Dask's ports), bounded in count and time.

    /usr/bin/python3 benchmarks/bench_neighbour.py < config.json    # started by bench_load.py or the tests
    sudo .venv/bin/python benchmarks/bench_neighbour.py --owner     # every attack against a gateway of its own:
                                                                    # the owner's figures beside the idle baseline
"""

from __future__ import annotations

import asyncio
import base64
import collections
import errno
import json
import os
import resource
import statistics
import sys
import time

MARK = "@@bench-load "          # prefix of the helper processes' JSON event lines on stdout


def emit(event: str, **fields) -> None:
    """An event line of a helper process, read by the benchmark's main process."""
    print(MARK + json.dumps({"event": event, "t": time.monotonic(), **fields}, default=str), flush=True)


# ---------------------------------------------------------------------------------------------------- the attack
async def page_probe(port: int) -> dict:
    """GET / on a fresh connection: does the front door still answer a newcomer?"""
    start = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        writer.write(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        line = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        return {"answer": line.decode(errors="replace").strip() or "connection closed without an answer",
                "ms": (time.perf_counter() - start) * 1000}
    except Exception as exc:  # noqa: BLE001
        return {"answer": f"{type(exc).__name__} {exc}".strip(), "ms": (time.perf_counter() - start) * 1000}


async def flood(port: int, count: int, hold: float) -> dict:
    """Open `count` idle TCP connections (bounded: 128 at a time, 3 s each, 40 s in all), hold them, close them."""
    outcome: collections.Counter = collections.Counter()
    conns: list[tuple] = []
    sem = asyncio.Semaphore(128)
    t0 = time.monotonic()

    async def open_one() -> None:
        async with sem:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 3)
            except asyncio.TimeoutError:
                outcome["timed out"] += 1
            except ConnectionRefusedError:
                outcome["refused"] += 1
            except OSError as exc:
                outcome[errno.errorcode.get(exc.errno, str(exc))] += 1
            else:
                conns.append((reader, writer, time.monotonic()))

    tasks = [asyncio.ensure_future(open_one()) for _ in range(count)]
    _, pending = await asyncio.wait(tasks, timeout=40)
    for task in pending:
        task.cancel()
    if pending:
        outcome["not tried (40 s cap)"] += len(pending)
    opened = time.monotonic()
    emit("flood-open", accepted=len(conns))
    closed: list[tuple[float, str, str]] = []

    async def watch(reader, opened_at: float) -> None:
        first = b""
        try:
            while True:
                data = await reader.read(4096)
                if not data:
                    closed.append((time.monotonic() - opened_at, "closed", first.decode(errors="replace")))
                    return
                first = first or data[:60]
        except OSError as exc:
            closed.append((time.monotonic() - opened_at, type(exc).__name__, first.decode(errors="replace")))

    watchers = [asyncio.ensure_future(watch(r, t)) for r, _, t in conns]
    await asyncio.sleep(hold / 2)
    probe = await page_probe(port)
    await asyncio.sleep(max(0.0, opened + hold - time.monotonic()))
    closed_during_hold = list(closed)
    for task in watchers:
        task.cancel()
    for _, writer, _ in conns:
        writer.transport.abort()
    await asyncio.sleep(0.2)
    how = collections.Counter(kind for _, kind, _ in closed_during_hold)
    answers = collections.Counter(first.splitlines()[0] if first else "" for _, _, first in closed_during_hold)
    return {
        "tried": count, "accepted": len(conns), "outcome": dict(outcome), "open_seconds": opened - t0,
        "closed_by_gateway": len(closed_during_hold), "closed_how": dict(how),
        "closed_after_median_s": statistics.median([s for s, _, _ in closed_during_hold]) if closed_during_hold
        else None,
        "gateway_said": {k: v for k, v in answers.items() if k},
        "still_open": len(conns) - len(closed_during_hold), "probe": probe, "hold": hold,
    }


def big_frame(size: int) -> tuple[str, int]:
    """A socket.io EVENT packet with ack id 1, exactly `size` bytes: 421["register_plugin",{},{},...]."""
    head, tail = '421["register_plugin",', "]"
    n = (size - len(head)) // 3
    body = "{}" + ",{}" * (n - 1)
    return head + body + " " * (size - len(head) - len(body) - len(tail)) + tail, n


# ---------------------------------------------------------------------------------------------------- a websocket
class WebSocket:
    """The least of RFC 6455 a client needs here: the upgrade, masked text frames out, frames in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int, path: str) -> "WebSocket":
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                      ).encode())
        status = (await asyncio.wait_for(reader.readline(), 10)).decode(errors="replace").strip()
        while (await asyncio.wait_for(reader.readline(), 10)).strip():
            pass
        if " 101 " not in f"{status} ":
            writer.close()
            raise ConnectionError(f"no websocket upgrade: {status or 'connection closed'}")
        return cls(reader, writer)

    @staticmethod
    def text_frame(text: str) -> bytes:
        """A client's (masked) text frame, ready for the wire."""
        return WebSocket.frame(text.encode(), 0x81)

    @staticmethod
    def frame(data: bytes, first: int) -> bytes:
        """A client's (masked) frame whose first byte is `first` (0x81 text, 0x82 binary)."""
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            head = bytes([first, 0x80 | n])
        elif n < 1 << 16:
            head = bytes([first, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([first, 0x80 | 127]) + n.to_bytes(8, "big")
        key = (mask * (n // 4 + 1))[:n]
        return head + mask + (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")

    async def send(self, frame: bytes) -> None:
        self.writer.write(frame)
        await self.writer.drain()

    async def send_text(self, text: str) -> None:
        await self.send(self.text_frame(text))

    async def receive(self) -> tuple[str, str]:
        """("text", data), ("close", code and reason) or ("closed", "") when the connection ends."""
        try:
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(await self.reader.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(n)
        except (asyncio.IncompleteReadError, ConnectionError):
            return "closed", ""
        opcode = b0 & 0x0F
        if opcode == 0x8:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            return "close", f"close code {code}{', ' + payload[2:].decode(errors='replace') if payload[2:] else ''}"
        if opcode == 0x9:  # ping: answer, read on
            self.writer.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            return await self.receive()
        return "text", payload.decode(errors="replace")

    def close(self) -> None:
        self.writer.transport.abort()


async def big_messages(port: int, size: int, wait: float, seconds: float, most: int) -> dict:
    """`size`-byte register_plugin events before any token, one at a time on fresh connections, for `seconds`
    (at most `most` of them): the first one's outcome in full, then how all of them ended. The frame is built
    before the "big-start" event: the window measures the gateway, not our masking."""
    text, objects = big_frame(size)
    frame = WebSocket.text_frame(text)
    emit("big-start")
    end, outcomes = time.monotonic() + seconds, collections.Counter()
    first = await big_message(port, frame, wait)
    outcomes[first["outcome"].split(" after ")[0].split(" (")[0]] += 1
    while len(outcomes) and sum(outcomes.values()) < most and time.monotonic() < end:
        out = await big_message(port, frame, wait)
        outcomes[out["outcome"].split(" after ")[0].split(" (")[0]] += 1
    emit("big-done")
    return {**first, "bytes": size, "objects": objects, "count": sum(outcomes.values()), "outcomes": dict(outcomes)}


async def big_message(port: int, frame: bytes, wait: float) -> dict:
    """One prepared register_plugin frame on a raw engine.io websocket, before any registration or token."""
    out: dict = {}
    try:
        ws = await WebSocket.connect(port, "/socket.io/?EIO=4&transport=websocket")
    except Exception as exc:  # noqa: BLE001
        out["outcome"] = f"websocket refused before the message: {type(exc).__name__} {exc}"[:200]
        return out
    try:
        kind, opening = await asyncio.wait_for(ws.receive(), 10)
        if kind != "text" or not opening.startswith("0"):
            out["outcome"] = f"no engine.io handshake: {kind} {opening[:80]}"
            return out
        await ws.send_text("40")
        kind, joined = await asyncio.wait_for(ws.receive(), 10)
        if kind != "text" or not joined.startswith("40"):
            out["outcome"] = f"socket.io connect refused: {kind} {joined[:80]}"
            return out
        start = time.monotonic()
        try:
            await asyncio.wait_for(ws.send(frame), 30)
        except Exception as exc:  # noqa: BLE001
            out["send_seconds"] = time.monotonic() - start
            out["outcome"] = f"closed by the gateway while sending ({type(exc).__name__} {exc})"[:200]
            return out
        sent = time.monotonic()
        out["send_seconds"] = sent - start
        while True:
            left = sent + wait - time.monotonic()
            if left <= 0:
                out["outcome"] = f"no answer within {wait:.0f} s; the connection is still open"
                break
            try:
                kind, text = await asyncio.wait_for(ws.receive(), left)
            except asyncio.TimeoutError:
                continue
            text = text[:160]
            if kind == "text" and text == "2":
                await ws.send_text("3")  # engine.io ping
                continue
            after = time.monotonic() - sent
            if kind == "text" and text.startswith("431"):
                out["outcome"] = f"answered after {after:.2f} s: {text[3:]}"
            elif kind == "text" and text.startswith("41"):
                out["outcome"] = f"socket.io disconnect by the gateway after {after:.2f} s"
            elif kind == "text" and text.startswith("1"):
                out["outcome"] = f"engine.io close by the gateway after {after:.2f} s"
            elif kind == "text":
                out.setdefault("other", []).append(text)
                continue
            else:
                out["outcome"] = f"closed by the gateway after {after:.2f} s ({text or 'connection closed'})"
            break
    except Exception as exc:  # noqa: BLE001
        out["outcome"] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        ws.close()
    return out


# ---------------------------------------------------------------------------------------------------- round 2
def _mp_str(text: str) -> bytes:
    data = text.encode()
    return bytes([0xA0 | len(data)]) + data  # msgpack fixstr (< 32 bytes)


# The plugin link's register frame, msgpack ["register", {"instance_id": "nope", "secret": "guess"}, 0]
WRONG_REGISTER = (bytes([0x93]) + _mp_str("register") + bytes([0x82]) + _mp_str("instance_id") + _mp_str("nope")
                  + _mp_str("secret") + _mp_str("guess") + b"\x00")


def binary_frame(data: bytes) -> bytes:
    """A client's (masked) binary frame."""
    return WebSocket.frame(data, 0x82)


async def _bounded(count: int, seconds: float, parallel: int, one, rate: float = 0.0) -> collections.Counter:
    """Run `one()` (returning an outcome word) up to `count` times, `parallel` at a time, for at most `seconds`,
    at most `rate` starts a second when given."""
    outcomes: collections.Counter = collections.Counter()
    begin = time.monotonic()
    end, started = begin + seconds, [0]

    async def worker() -> None:
        while started[0] < count and time.monotonic() < end:
            if rate:
                wait = begin + started[0] / rate - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
            started[0] += 1
            try:
                outcomes[await asyncio.wait_for(one(), max(0.5, end - time.monotonic()))] += 1
            except asyncio.TimeoutError:
                outcomes["timed out"] += 1
            except Exception as exc:  # noqa: BLE001
                outcomes[type(exc).__name__] += 1

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return outcomes


async def link_flood(port: int, count: int, seconds: float, parallel: int = 16, rate: float = 0.0) -> dict:
    """Registrations with a wrong secret on the plugin door, as fast as the door answers."""
    async def one() -> str:
        ws = await WebSocket.connect(port, "/link")
        try:
            await ws.send(binary_frame(WRONG_REGISTER))
            kind, text = await asyncio.wait_for(ws.receive(), 10)
            if kind != "text":
                return f"closed without an answer ({text or kind})"
            return "refused: invalid secret" if "invalid or already used" in text else \
                ("refused: too many" if "too many" in text else "other answer")
        finally:
            ws.close()

    start = time.monotonic()
    outcomes = await _bounded(count, seconds, parallel, one, rate)
    took = time.monotonic() - start
    return {"attempts": sum(outcomes.values()), "per_second": sum(outcomes.values()) / max(took, 1e-3),
            "outcomes": dict(outcomes)}


async def idle_links(port: int, count: int, hold: float) -> dict:
    """`count` links to the plugin door that never register (opened 64 at a time), held `hold` seconds: how many
    the door closed, and after how long."""
    sem, links, outcomes = asyncio.Semaphore(64), [], collections.Counter()

    async def open_one() -> None:
        async with sem:
            try:
                links.append((await WebSocket.connect(port, "/link"), time.monotonic()))
            except Exception as exc:  # noqa: BLE001
                outcomes[f"not opened: {type(exc).__name__}"] += 1

    await asyncio.wait_for(asyncio.gather(*(open_one() for _ in range(count)), return_exceptions=True), 60)
    closed: list[float] = []

    async def watch(ws: WebSocket, opened: float) -> None:
        while True:
            kind, _ = await ws.receive()
            if kind != "text":
                closed.append(time.monotonic() - opened)
                return

    watchers = [asyncio.ensure_future(watch(ws, t)) for ws, t in links]
    await asyncio.sleep(hold)
    for task in watchers:
        task.cancel()
    for ws, _ in links:
        ws.close()
    return {"opened": len(links), "outcomes": dict(outcomes), "closed_by_gateway": len(closed),
            "closed_after_median_s": statistics.median(closed) if closed else None}


async def held_bodies(port: int, routes: list, size: int, per_route: int, seconds: float) -> dict:
    """Requests declaring a `size`-byte body, sent one byte short and held (no token, no key): per route, how many
    bytes the server took before it answered or closed, and its first line."""
    result = {}

    async def one(method: str, path: str) -> tuple[int, str]:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {size}\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n".encode())
        sent, piece, end = 0, b"x" * 65536, time.monotonic() + seconds
        answer, held = "", "held"
        first_line = asyncio.ensure_future(reader.readline())  # read as we send: the answer may come first
        try:
            while sent < size - 1 and time.monotonic() < end:
                n = min(len(piece), size - 1 - sent)
                writer.write(piece[:n])
                await asyncio.wait_for(writer.drain(), max(0.1, end - time.monotonic()))
                sent += n
        except (asyncio.TimeoutError, OSError) as exc:  # the server stopped reading: did it answer?
            held = f"held ({type(exc).__name__})"
        try:
            line = await asyncio.wait_for(first_line, max(1.0, end - time.monotonic()))
            answer = line.decode(errors="replace").strip() or ("closed" if held == "held" else held)
        except (asyncio.TimeoutError, OSError):
            answer = held
        finally:
            writer.transport.abort()
        return sent, answer

    for method, path in routes:
        tasks = [one(method, path) for _ in range(per_route)]
        done = await asyncio.gather(*tasks, return_exceptions=True)
        ok = [d for d in done if isinstance(d, tuple)]
        result[f"{method} {path}"] = {
            "max_sent": max((d[0] for d in ok), default=0),
            "answers": dict(collections.Counter(d[1] for d in ok)),
            "errors": [type(d).__name__ for d in done if not isinstance(d, tuple)]}
    return result


async def polling_sessions(port: int, count: int, seconds: float, parallel: int = 16, rate: float = 0.0) -> dict:
    """Engine.IO long-polling handshakes (a session each, never registering), one per request."""
    async def one() -> str:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        try:
            writer.write(f"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                         "Connection: close\r\n\r\n".encode())
            line = (await asyncio.wait_for(reader.readline(), 10)).decode(errors="replace").split(" ")
            return f"HTTP {line[1]}" if len(line) > 1 else "closed"
        finally:
            writer.transport.abort()

    outcomes = await _bounded(count, seconds, parallel, one, rate)
    return {"attempts": sum(outcomes.values()), "outcomes": dict(outcomes)}


async def front_flood(port: int, count: int, seconds: float, parallel: int = 16, rate: float = 0.0) -> dict:
    """register_plugin with a wrong token on the front door, each on a fresh websocket."""
    async def one() -> str:
        ws = await WebSocket.connect(port, "/socket.io/?EIO=4&transport=websocket")
        try:
            kind, text = await asyncio.wait_for(ws.receive(), 10)
            if not text.startswith("0"):
                return f"no handshake ({kind})"
            await ws.send_text("40")
            kind, text = await asyncio.wait_for(ws.receive(), 10)
            if not text.startswith("40"):
                return f"connect refused: {text[:40]}"
            await ws.send_text('421["register_plugin",{"name":"x","token":"guess"}]')
            kind, text = await asyncio.wait_for(ws.receive(), 10)
            return "refused: invalid token" if "invalid or missing token" in text else f"other: {text[:60]}"
        finally:
            ws.close()

    start = time.monotonic()
    outcomes = await _bounded(count, seconds, parallel, one, rate)
    return {"attempts": sum(outcomes.values()),
            "per_second": sum(outcomes.values()) / max(time.monotonic() - start, 1e-3), "outcomes": dict(outcomes)}


async def junk(ports: list, count: int, seconds: float, parallel: int = 16) -> dict:
    """Connections that send a line of junk and close (to Dask's TLS ports: each one a failed handshake)."""
    turn = [0]

    async def one() -> str:
        turn[0] += 1
        port = ports[turn[0] % len(ports)]
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            data = await asyncio.wait_for(reader.read(64), 5)
            return "HTTP answer" if data.startswith(b"HTTP/") else ("closed" if not data else "other answer")
        finally:
            writer.transport.abort()

    outcomes = await _bounded(count, seconds, parallel, one)
    return {"attempts": sum(outcomes.values()), "outcomes": dict(outcomes)}


ATTACKS = {
    "junk": lambda c: junk(c["ports"], c["count"], c["seconds"]),
    "link-flood": lambda c: link_flood(c["port"], c["count"], c["seconds"], rate=c.get("rate", 0.0)),
    "idle-links": lambda c: idle_links(c["port"], c["count"], c["hold"]),
    "descriptors": lambda c: flood(c["port"], c["count"], c["hold"]),
    "bodies": lambda c: held_bodies(c["port"], c["routes"], c["size"], c["per_route"], c["seconds"]),
    "polling": lambda c: polling_sessions(c["port"], c["count"], c["seconds"], rate=c.get("rate", 0.0)),
    "front-flood": lambda c: front_flood(c["port"], c["count"], c["seconds"], rate=c.get("rate", 0.0)),
}


async def attack(cfg: dict) -> None:
    """One attack of ATTACKS (cfg["attack"]), bounded in count and time; its result as the "result" event."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = int(cfg.get("count", 0)) + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    emit("attack-start", attack=cfg["attack"])
    result = await ATTACKS[cfg["attack"]](cfg)
    emit("result", attack=cfg["attack"], **result)


async def neighbour(cfg: dict) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = cfg["flood"] + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    result: dict = {}
    emit("flood-start")
    if cfg["flood"]:
        result["flood"] = await flood(cfg["port"], cfg["flood"], cfg["hold"])
    emit("flood-closed")
    await asyncio.sleep(1.0)
    result["big"] = await big_messages(cfg["port"], cfg["big_bytes"], cfg["big_wait"], cfg.get("big_seconds", 5.0),
                                       cfg.get("big_count", 100))
    await asyncio.sleep(1.0)
    emit("result", **result)


# ---------------------------------------------------------------------------------------------------- the owner
def owner_attacks(door: int, front: int, dask_ports: list) -> list:
    """(phase, attack config) of the owner's run, each bounded in count and time."""
    bodies = {"size": 16 << 20, "per_route": 6, "seconds": 8}
    return [
        ("plugin door: registration flood", {"attack": "link-flood", "port": door, "count": 6000, "seconds": 15}),
        ("plugin door: idle links", {"attack": "idle-links", "port": door, "count": 300, "hold": 12}),
        ("plugin door: descriptors", {"attack": "descriptors", "port": door, "count": 4000, "hold": 15}),
        ("plugin door: held bodies", {"attack": "bodies", "port": door, **bodies,
                                      "routes": [["POST", "/link"], ["PUT", "/array/" + "ab" * 16]]}),
        ("front door: registration flood", {"attack": "front-flood", "port": front, "count": 6000, "seconds": 15}),
        ("front door: descriptors", {"attack": "descriptors", "port": front, "count": 4000, "hold": 15}),
        ("front door: held bodies", {"attack": "bodies", "port": front, **bodies,
                                     "routes": [["POST", "/"], ["POST", "/socket.io/?EIO=4&transport=polling"]]}),
        ("front door: polling sessions", {"attack": "polling", "port": front, "count": 6000, "seconds": 20}),
        ("Dask TLS ports: junk", {"attack": "junk", "ports": dask_ports, "count": 3000, "seconds": 10}),
    ]


async def owner(plugins: int) -> None:
    """Start a gateway and a neighbour user, then every attack while the owner works; print the figures."""
    import tempfile
    from pathlib import Path

    import psutil
    from common import ROOT  # noqa: F401 - puts tests/ on sys.path
    from gateway_support import connect, disconnect, start_gateway
    from neighbour_support import attack_result, delete_user, door_port, make_user, owner_phase, start_attack

    user = make_user()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            gw = start_gateway(Path(tmp), {"server": {"max-foreign-connections": 32}})
            try:
                client = await connect(gw)
                try:
                    await client.load_plugin("Hello")
                    rows.append(("idle baseline", (await owner_phase(client, gw, None, plugins, "idle")).row(), {}))
                    listening = {c.laddr.port for c in psutil.Process(gw.proc.pid).net_connections("tcp")
                                 if c.status == psutil.CONN_LISTEN}
                    dask = sorted(listening - {gw.port, door_port(gw)})
                    for phase, cfg in owner_attacks(door_port(gw), gw.port, dask):
                        proc = start_attack(user, cfg)
                        result = asyncio.ensure_future(attack_result(proc, 180))
                        await asyncio.sleep(1.0)
                        figures = await owner_phase(client, gw, result, plugins, phase.split(":")[0])
                        found = result.result()
                        rows.append((phase, figures.row(), {k: v for k, v in found.items()
                                                            if k not in ("event", "t", "attack")}))
                        print(f"{phase:<34} {json.dumps(rows[-1][1])}", flush=True)
                finally:
                    await disconnect(client)
            finally:
                gw.stop()
    finally:
        delete_user(user)
    print(f"\n{'phase':<34} {'plugins':>7} {'start s':>7} {'p50 ms':>7} {'p99 ms':>7} {'RSS +MB':>7} {'log':>4}")
    for phase, row, _ in rows:
        print(f"{phase:<34} {row['plugins']:>7} {row['start_s']:>7} {row['p50_ms']!s:>7} {row['p99_ms']!s:>7} "
              f"{row['rss_mb']:>7} {row['log_lines']:>4}")
    print("\nthe neighbour saw:")
    for phase, _, found in rows[1:]:
        print(f"  {phase:<34} {json.dumps(found)[:300]}")


def main() -> None:
    if sys.argv[1:2] == ["--owner"]:
        asyncio.run(owner(int(sys.argv[2]) if len(sys.argv) > 2 else 4))
        return
    cfg = json.loads(sys.stdin.readline())
    asyncio.run(attack(cfg) if "attack" in cfg else neighbour(cfg))


if __name__ == "__main__":
    main()

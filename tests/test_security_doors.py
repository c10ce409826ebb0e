"""A neighbour on the login node, round 2 (issue 26): a second Unix user (created here, deleted afterwards), without
the token, attacks the plugin door and the front door of a real gateway, bounded in count and time, while the owner
starts plugins (all of N must start) and makes small calls (p99 < 50 ms); the gateway's RSS stays within +200 MB and
its log grows by a few lines. Attacks: registration floods (plugin door, front door), links that never register,
descriptor exhaustion, request bodies held back one byte short, long-polling session floods."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time

import psutil
import pytest
from gateway_support import connect, disconnect, start_gateway
from neighbour_support import (ATTACK_SCRIPT, OwnerFigures, attack_result, door_port, open_descriptors, owner_phase,
                               plugin_source, second_user, start_attack)

pytestmark = pytest.mark.timeout(300)
PLUGINS = 4          # the owner's plugins started during each attack
FLOOD_RATE = 600     # connection attempts a second of the floods (the measured flood: ~540/s)
MAX_P99_MS = 50.0
MAX_RSS_MB = 200.0
MAX_LOG_LINES = 25   # a few lines per cause, whatever the number of attempts
FIGURES: dict[str, dict] = {}


@pytest.fixture(scope="module")
def neighbour():
    """A second Unix user, deleted afterwards."""
    yield from second_user()


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("doors"), {"server": {"max-foreign-connections": 32}})
    try:
        yield gateway
    finally:
        assert gateway.stop() == 0
        if FIGURES:
            print("\nowner's figures (idle baseline first):")
            for phase, row in FIGURES.items():
                print(f"  {phase:<26} {json.dumps(row)}")


def check(figures: OwnerFigures, gw, phase: str) -> None:
    FIGURES[phase] = figures.row()
    assert figures.started == figures.wanted, f"{phase}: not all of the owner's plugins started: {figures.failures}"
    assert figures.row()["p99_ms"] < MAX_P99_MS, f"{phase}: owner p99 {figures.row()}"
    assert figures.rss_growth_mb < MAX_RSS_MB, f"{phase}: gateway RSS grew {figures.rss_growth_mb:.0f} MB"
    assert figures.log_lines <= MAX_LOG_LINES, f"{phase}: the log grew by {figures.log_lines} lines:\n" \
                                               f"{gw.log()[-4000:]}"
    assert "Traceback" not in gw.log()


async def under_attack(gw, neighbour, cfg: dict, phase: str, timeout: float = 120) -> tuple[OwnerFigures, dict]:
    """Run one attack as the neighbour while the owner starts PLUGINS plugins and makes small calls."""
    client = await connect(gw)
    try:
        proc = start_attack(neighbour, cfg)
        result = asyncio.ensure_future(attack_result(proc, timeout))
        await asyncio.sleep(cfg.get("lead", 1.0))  # the attack is under way when the owner starts
        figures = await owner_phase(client, gw, result, PLUGINS, phase)
        print(f"\n{phase}: owner {figures.row()}; idle {FIGURES.get('idle baseline')}; "
              f"neighbour {json.dumps(result.result())[:600]}")
        check(figures, gw, phase)
        return figures, result.result()
    finally:
        await disconnect(client)


async def test_idle_baseline(gw):
    client = await connect(gw)
    try:
        await client.load_plugin(plugin_source("Warm up"))  # the cluster is up before the first measurement
        figures = await owner_phase(client, gw, None, PLUGINS, "idle", calls=400)
        check(figures, gw, "idle baseline")
    finally:
        await disconnect(client)


async def test_plugin_door_registration_flood(gw, neighbour):
    _, result = await under_attack(gw, neighbour, {"attack": "link-flood", "port": door_port(gw), "count": 6000,
                                                   "seconds": 12, "rate": FLOOD_RATE}, "plugin door: registration flood")
    assert result["attempts"] > 100, result
    assert "refused: too many" not in result["outcomes"], "a wrong secret never spends the registration budget"
    assert result["outcomes"].get("refused: invalid secret", 0) > 0, result


async def test_links_that_never_register(gw, neighbour):
    _, result = await under_attack(gw, neighbour, {"attack": "idle-links", "port": door_port(gw), "count": 300,
                                                   "hold": 12}, "plugin door: idle links")
    # at most 32 of another user's links are kept, each for the 5 s a link has to present its secret
    assert result["closed_by_gateway"] == result["opened"], result
    assert result["closed_after_median_s"] is None or result["closed_after_median_s"] < 8, result


async def test_front_door_registration_flood(gw, neighbour):
    client = await connect(gw)
    try:
        proc = start_attack(neighbour, {"attack": "front-flood", "port": gw.port, "count": 6000, "seconds": 12,
                                           "rate": FLOOD_RATE})
        result = asyncio.ensure_future(attack_result(proc, 120))
        await asyncio.sleep(1.0)
        refused = 0
        for i in range(20):  # the owner's new connections during the flood: every one registers
            try:
                other = await asyncio.wait_for(connect(gw, name=f"owner-{i}"), 20)
                await disconnect(other)
            except Exception:  # noqa: BLE001
                refused += 1
        figures = await owner_phase(client, gw, result, PLUGINS, "front flood")
        check(figures, gw, "front door: registration flood")
        assert refused == 0, f"{refused} of the owner's 20 new connections were refused during the flood"
        assert result.result()["attempts"] > 100
    finally:
        await disconnect(client)


async def test_long_polling_session_flood(gw, neighbour):
    _, result = await under_attack(gw, neighbour, {"attack": "polling", "port": gw.port, "count": 6000,
                                                   "seconds": 20, "rate": FLOOD_RATE}, "front door: long-polling sessions")
    opened = result["outcomes"].get("HTTP 200", 0)
    # sessions of another user wait at most 15 s, 128 at a time: the rest are refused at the handshake
    assert opened <= 128 * 3, result
    assert result["attempts"] > opened, result


async def test_bodies_held_back_one_byte_short(gw, neighbour):
    client = await connect(gw)
    try:
        await client.load_plugin(plugin_source("Worker warm"))
        ours = [psutil.Process(gw.proc.pid), *gw.descendants()]
        listening = {c.laddr.port for p in ours for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    finally:
        await disconnect(client)
    # Dask's schedulers and workers listen on no HTTP port: whatever else listens does not speak HTTP
    for port in sorted(listening - {gw.port, door_port(gw)}):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(3)
            try:
                answer = s.recv(64)
            except OSError:
                answer = b""
        assert not answer.startswith(b"HTTP/"), f"port {port} answers HTTP: {answer!r}"
    front = [["POST", "/"], ["POST", "/api/info"], ["POST", "/socket.io/?EIO=4&transport=polling"],
             ["PUT", "/static/app.js"], ["POST", "/no/such/path"]]
    door = [["POST", "/link"], ["PUT", "/array/" + "ab" * 16], ["POST", "/nope"]]
    before = psutil.Process(gw.proc.pid).memory_info().rss
    for port, routes in ((gw.port, front), (door_port(gw), door)):
        _, result = await under_attack(gw, neighbour, {"attack": "bodies", "port": port, "routes": routes,
                                                       "size": 16 << 20, "per_route": 6, "seconds": 8},
                                       f"bodies held back ({'front' if port == gw.port else 'plugin'} door)")
        for route in (f"{method} {path}" for method, path in routes):
            answers = result[route]["answers"]
            # refused in words before the body is read: too large for a request without a token, or no upload key
            expected = "HTTP/1.1 403 Forbidden" if route.startswith("PUT /array/") else \
                "HTTP/1.1 413 Request Entity Too Large"
            # every attempt gets the refusal: the gateway closes only once the attacker has gone or after a while,
            # so its close never resets the connection before the attacker has read the answer
            assert answers == {expected: 6}, (route, answers)
            assert result[route]["max_sent"] < (16 << 20) - 1, (route, result[route])  # never read to the end
    assert psutil.Process(gw.proc.pid).memory_info().rss - before < MAX_RSS_MB * 2**20


async def test_junk_on_dask_ports_is_counted_not_logged_each(gw, neighbour):
    gateway = psutil.Process(gw.proc.pid)
    ports = sorted({c.laddr.port for c in gateway.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
                   - {gw.port, door_port(gw)})
    assert ports, "the Dask scheduler listens in the gateway"
    log_before = gw.log().count("\n")
    _, result = await under_attack(gw, neighbour, {"attack": "junk", "ports": ports, "count": 1500, "seconds": 10},
                                   "Dask TLS port: junk")
    assert result["attempts"] >= 200 and "HTTP answer" not in result["outcomes"], result
    grown = gw.log().splitlines()[log_before:]
    assert sum("handshake" in line for line in grown) <= 2, grown


@pytest.mark.slow
async def test_descriptor_exhaustion(gw, neighbour):
    fds_before = open_descriptors(gw)
    proc = start_attack(neighbour, {"attack": "descriptors", "port": door_port(gw), "count": 3000, "hold": 15})
    try:
        await asyncio.sleep(12)
        held = open_descriptors(gw)
    finally:
        result = await attack_result(proc, 120)
    assert held - fds_before < 32 + 64, f"the neighbour holds {held - fds_before} of the gateway's descriptors"
    assert result["still_open"] <= 32 + 8, result
    # the owner's own flood near the descriptor limit: accepting pauses, one line per cause, no traceback
    gateway = psutil.Process(gw.proc.pid)
    soft, hard = gateway.rlimit(psutil.RLIMIT_NOFILE)
    log_before = gw.log().count("\n")
    own: list[socket.socket] = []
    try:
        gateway.rlimit(psutil.RLIMIT_NOFILE, (open_descriptors(gw) + 300, hard))
        deadline = time.monotonic() + 20
        while len(own) < 600 and time.monotonic() < deadline:
            try:
                own.append(socket.create_connection(("127.0.0.1", door_port(gw)), timeout=2))
            except OSError:
                break
        await asyncio.sleep(3)
        assert gateway.is_running()
        grown = gw.log().splitlines()[log_before:]
        assert any("accepting paused" in line for line in grown), grown
        assert len(grown) < 10 and "Traceback" not in "\n".join(grown), grown
    finally:
        for s in own:
            s.close()
        gateway.rlimit(psutil.RLIMIT_NOFILE, (soft, hard))
    client = await connect(gw)
    try:
        figures = await owner_phase(client, gw, None, PLUGINS, "after descriptors", calls=400)
        check(figures, gw, "after descriptor exhaustion")
    finally:
        await disconnect(client)


async def test_a_refused_registration_is_tried_again(tmp_path):
    """A plugin whose registration the door refuses for now (over the budget) tries again until it starts."""
    gw = start_gateway(tmp_path, {"server": {"registrations-per-second": 1}})
    try:
        client = await connect(gw)
        try:
            plugins = await asyncio.gather(*(client.load_plugin(plugin_source(f"Retry {i}")) for i in range(4)))
            assert [await p.add(i, 1) for i, p in enumerate(plugins)] == [1, 2, 3, 4]
            logs = [await client.plugin_log(i["id"]) for i in await client.list_instances()]
            assert any("trying again" in json.dumps(log) for log in logs), logs
        finally:
            await disconnect(client)
    finally:
        assert gw.stop() == 0


def test_the_attack_script_runs_on_the_system_python():
    assert ATTACK_SCRIPT.is_file() and os.access(ATTACK_SCRIPT, os.R_OK)

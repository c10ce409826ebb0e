"""Benchmark: `imjoy-hpc tunnel` (paramiko) beside OpenSSH `ssh -N -L`, through the same private sshd, same run.

Measures a stream download (default 64 MB, several runs: median [min-max] MB/s) and small-request latency
(1 KB request -> 1 KB reply, p50/p99 ms) through each tunnel, plus the direct loopback figures, and prints the
ratios. Needs openssh-server and openssh-client. Run: `.venv/bin/python benchmarks/bench_tunnel.py`.

WAN-shaped: `--delay-ms 20 --rate-mbit 200` puts a shaping relay (shaped_link.py: 20 ms each way, 200 Mbit/s, in
a process of its own) between both SSH clients and sshd, and adds the relay alone (no SSH) as the ceiling; the goal
is then ours >= 0.90 of OpenSSH's throughput. With `--gateway`, a small call through a real gateway over each
tunnel (and over the relay alone), judged against one round trip of the link as measured in the same run (the
relay's 1 KB echo p50, which includes the relay's own sub-millisecond cost) plus 5 ms, and against the nominal
round trip (twice the delay) plus 5 ms; beside them the same call made directly with a round trip of idle time
before each (over the link every process on the way sleeps that long between two calls, and a process woken from
sleep runs its first milliseconds slower on these virtual machines).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # sshd_support, shaped_link: shared with the tests

from shaped_link import ShapedLinkProcess  # noqa: E402
from sshd_support import ClientKey, SshServer  # noqa: E402
from support import free_port  # noqa: E402

# The far end: 'S' + 8-byte size -> that many bytes; 'E' -> echo 1 KB messages until EOF. One process per port.
SERVER = r"""
import os, socket, struct, sys, threading
block = os.urandom(1 << 20)
view = memoryview(block)
def recv_exact(c, n):
    buf = bytearray()
    while len(buf) < n:
        part = c.recv(n - len(buf))
        if not part:
            return None
        buf += part
    return bytes(buf)
def handle(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with c:
        kind = recv_exact(c, 1)
        if kind == b"S":
            size = struct.unpack("!Q", recv_exact(c, 8))[0]
            while size:
                n = min(size, len(block))
                c.sendall(view[:n])
                size -= n
        elif kind == b"E":
            while True:
                msg = recv_exact(c, 1024)
                if msg is None:
                    return
                c.sendall(msg)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
print(srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
"""


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tunnel process exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def download(port: int, size: int) -> float:
    """MB/s of a `size`-byte stream through 127.0.0.1:port."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as c:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray(1 << 20)
        start = time.perf_counter()
        c.sendall(b"S" + struct.pack("!Q", size))
        got = 0
        while got < size:
            n = c.recv_into(buf)
            if not n:
                raise RuntimeError(f"stream ended after {got} of {size} bytes")
            got += n
        return size / (time.perf_counter() - start) / 1e6


def p50_p99(times: list[float]) -> tuple[float, float]:
    """The median and the 99th percentile of `times`."""
    times = sorted(times)
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def latency(port: int, iterations: int) -> tuple[float, float]:
    """p50 and p99 in ms of 1 KB request -> 1 KB reply round trips."""
    msg = os.urandom(1024)
    times = []
    with socket.create_connection(("127.0.0.1", port), timeout=60) as c:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.sendall(b"E")
        for i in range(iterations + 50):
            start = time.perf_counter()
            c.sendall(msg)
            got = 0
            while got < len(msg):
                part = c.recv(len(msg) - got)
                if not part:
                    raise RuntimeError("echo stream ended")
                got += len(part)
            if i >= 50:  # warm-up
                times.append((time.perf_counter() - start) * 1000)
    return p50_p99(times)


async def timed_echoes(hello, calls: int, idle: float = 0.0) -> tuple[float, float]:
    """p50 and p99 in ms of `calls` small calls of Hello's echo (after 20 for warm-up), `idle` seconds apart."""
    times = []
    for i in range(calls + 20):
        if idle:
            await asyncio.sleep(idle)
        start = time.perf_counter()
        assert await hello.echo({"i": i}) == {"i": i}
        if i >= 20:
            times.append((time.perf_counter() - start) * 1000)
    return p50_p99(times)


def gateway_calls(urls: dict[str, tuple[str, float]], token: str,
                  calls: int) -> dict[tuple[str, str], tuple[float, float]]:
    """p50 and p99 in ms of a small call (Hello's echo) client -> gateway -> plugin -> back, through each
    (URL, idle seconds between calls), with the real imjoy-rpc client and with imjoy-hpc's own; keyed by
    (client, name)."""
    import imjoy_rpc
    from gateway_support import disconnect

    from imjoy_hpc.rpc.sioclient import connect_to_gateway

    async def published(url: str, idle: float) -> tuple[float, float]:
        server = await asyncio.wait_for(imjoy_rpc.connect_to_server(
            {"server_url": url, "name": "bench-tunnel", "token": token}), 60)
        try:
            return await timed_echoes(await asyncio.wait_for(server.load_plugin("Hello"), 120), calls, idle)
        finally:
            await disconnect(server, goodbye=0.3)

    async def ours(url: str, idle: float) -> tuple[float, float]:
        connection = await asyncio.wait_for(connect_to_gateway(url, token, "bench-tunnel"), 60)
        try:
            hello = await asyncio.wait_for(connection.peer.remote.load_plugin("Hello"), 120)
            return await timed_echoes(hello, calls, idle)
        finally:
            await connection.disconnect()

    async def run_all() -> dict[tuple[str, str], tuple[float, float]]:
        out = {}
        for name, (url, idle) in urls.items():
            out["imjoy-rpc client", name] = await published(url, idle)
            out["imjoy-hpc client", name] = await ours(url, idle)
        return out

    return asyncio.run(run_all())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by process `pid`."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):7.0f} MB/s [{min(values):.0f}-{max(values):.0f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=2000, help="round trips for the latency figures")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="one-way delay of a shaped link (0: loopback)")
    parser.add_argument("--rate-mbit", type=float, default=0.0, help="rate cap of the shaped link, Mbit/s")
    parser.add_argument("--gateway", action="store_true",
                        help="also a small call through a real gateway (embedded default) over each tunnel")
    parser.add_argument("--openssh-cipher", default=None,
                        help="also measure OpenSSH with this cipher (e.g. aes128-gcm@openssh.com)")
    args = parser.parse_args()
    size = args.size_mb << 20
    if not shutil.which("ssh") or not os.path.exists("/usr/sbin/sshd"):
        print("needs openssh-server and openssh-client (apt-get install openssh-server openssh-client)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-tunnel-"))
    procs: list[subprocess.Popen] = []
    links: list[ShapedLinkProcess] = []
    server = None
    shaped = args.delay_ms > 0 or args.rate_mbit > 0
    try:
        key = ClientKey(work / "client")
        server = SshServer(work / "sshd", [key.public_line]).start()
        ssh_port = server.port
        if shaped:
            links.append(ShapedLinkProcess(server.port, args.delay_ms / 1000, (args.rate_mbit or 100_000) * 1e6 / 8))
            ssh_port = links[-1].port
        known = work / "known_hosts"
        known.write_text(server.known_hosts_line.replace(f"]:{server.port} ", f"]:{ssh_port} ") + "\n")
        far = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
        procs.append(far)
        far_port = int(far.stdout.readline())

        imjoy_hpc = str(Path(sys.executable).with_name("imjoy-hpc"))
        ours_port = free_port()
        ours = subprocess.Popen([imjoy_hpc, "tunnel", f"{server.user}@127.0.0.1", "-p", str(ssh_port),
                                 "-i", str(key.path), "--known-hosts", str(known), "--remote-port", str(far_port),
                                 "--local-port", str(ours_port)], stdout=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL)
        procs.append(ours)
        tunnels = {"imjoy-hpc tunnel (paramiko)": ours_port}

        def openssh(cipher: str | None, target: int | None = None) -> int:
            port = free_port()
            cmd = ["ssh", "-N", "-L", f"{port}:127.0.0.1:{target or far_port}", "-p", str(ssh_port), "-i", str(key.path),
                   "-o", f"UserKnownHostsFile={known}", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                   "-o", "ExitOnForwardFailure=yes", "-F", "/dev/null"]
            if cipher:
                cmd += ["-c", cipher]
            procs.append(subprocess.Popen(cmd + [f"{server.user}@127.0.0.1"], stdin=subprocess.DEVNULL))
            return port

        tunnels["OpenSSH ssh -L (default cipher)"] = openssh(None)
        if args.openssh_cipher:
            tunnels[f"OpenSSH ssh -L ({args.openssh_cipher})"] = openssh(args.openssh_cipher)
        pids = {name: proc.pid for name, proc in zip(tunnels, procs[1:])}
        for port, proc in zip(tunnels.values(), procs[1:]):
            wait_port(port, proc)
        if shaped:
            links.append(ShapedLinkProcess(far_port, args.delay_ms / 1000, (args.rate_mbit or 100_000) * 1e6 / 8))
            tunnels = {"shaped link alone (no SSH)": links[-1].port, **tunnels}
        else:
            tunnels = {"direct loopback (no tunnel)": far_port, **tunnels}

        link = (f"; every SSH connection through a shaped link: {args.delay_ms:g} ms each way, "
                f"{args.rate_mbit or 'no'} Mbit/s cap" if shaped else "")
        print(f"stream download {args.size_mb} MB, {args.runs} runs, interleaved; "
              f"latency: {args.iterations} x 1 KB echo round trips{link}")
        for port in tunnels.values():
            download(port, 8 << 20)  # warm-up
        rates: dict[str, list[float]] = {name: [] for name in tunnels}
        cpu: dict[str, float] = {name: 0.0 for name in pids}
        for _ in range(args.runs):
            for name, port in tunnels.items():
                before = cpu_seconds(pids[name]) if name in pids else 0.0
                rates[name].append(download(port, size))
                if name in pids:
                    cpu[name] += cpu_seconds(pids[name]) - before
        lat = {name: latency(port, args.iterations) for name, port in tunnels.items()}
        width = max(len(n) for n in tunnels)
        for name in tunnels:
            p50, p99 = lat[name]
            per_gb = f"  client CPU {cpu[name] / (args.runs * size / 1e9):.1f} s/GB" if name in cpu else ""
            print(f"  {name:<{width}}  {fmt(rates[name])}   latency p50 {p50:.3f} ms  p99 {p99:.3f} ms{per_gb}")
        ours_rate = statistics.median(rates["imjoy-hpc tunnel (paramiko)"])
        base = statistics.median(rates["OpenSSH ssh -L (default cipher)"])
        print(f"throughput ratio ours / OpenSSH default cipher: {ours_rate / base:.2f} "
              f"(goal >= {0.90 if shaped else 0.75:.2f})")
        budget = f"{2 * args.delay_ms + 5:g} ms = one round trip + 5 ms" if shaped else "5 ms"
        print(f"latency p99 ours: {lat['imjoy-hpc tunnel (paramiko)'][1]:.2f} ms (goal < {budget}); "
              f"p50 ratio ours / OpenSSH: "
              f"{lat['imjoy-hpc tunnel (paramiko)'][0] / lat['OpenSSH ssh -L (default cipher)'][0]:.2f}")
        if args.gateway:
            from gateway_support import start_gateway

            (work / "gateway").mkdir()
            gateway = start_gateway(work / "gateway")
            try:
                urls = {"direct (no tunnel, no link)": (gateway.url, 0.0)}
                if shaped:  # over the link, every process on the way waits a round trip between two calls
                    urls[f"direct, {2 * args.delay_ms:g} ms idle before each"] = (gateway.url, 2 * args.delay_ms / 1000)
                ours_gw = free_port()
                procs.append(subprocess.Popen(
                    [imjoy_hpc, "tunnel", f"{server.user}@127.0.0.1", "-p", str(ssh_port), "-i", str(key.path),
                     "--known-hosts", str(known), "--remote-port", str(gateway.port), "--local-port", str(ours_gw)],
                    stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL))
                wait_port(ours_gw, procs[-1])
                openssh_gw = openssh(None, gateway.port)
                wait_port(openssh_gw, procs[-1])
                if shaped:
                    links.append(ShapedLinkProcess(gateway.port, args.delay_ms / 1000,
                                                   (args.rate_mbit or 100_000) * 1e6 / 8))
                    urls["shaped link alone (no SSH)"] = (f"http://127.0.0.1:{links[-1].port}", 0.0)
                urls["imjoy-hpc tunnel (paramiko)"] = (f"http://127.0.0.1:{ours_gw}", 0.0)
                urls["OpenSSH ssh -L (default cipher)"] = (f"http://127.0.0.1:{openssh_gw}", 0.0)
                calls = gateway_calls(urls, gateway.token, 200)
            finally:
                gateway.stop()
            print("small call (Hello's echo) client -> gateway -> plugin -> back, 200 calls:")
            for (client, name), (p50, p99) in calls.items():
                print(f"  {client}, {name:<{width}}  p50 {p50:.2f} ms  p99 {p99:.2f} ms")
            if shaped:
                measured = lat["shaped link alone (no SSH)"][0]
                for client in ("imjoy-rpc client", "imjoy-hpc client"):
                    p50 = calls[client, "imjoy-hpc tunnel (paramiko)"][0]
                    print(f"small call through gateway and our tunnel, {client}: p50 {p50:.2f} ms; goal one round "
                          f"trip + 5 ms: measured round trip {measured:.2f} + 5 = {measured + 5:.2f} ms "
                          f"{'met' if p50 <= measured + 5 else 'MISSED'}; nominal {2 * args.delay_ms:g} + 5 = "
                          f"{2 * args.delay_ms + 5:g} ms {'met' if p50 <= 2 * args.delay_ms + 5 else 'MISSED'}")
        return 0
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        for link in links:
            link.close()
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

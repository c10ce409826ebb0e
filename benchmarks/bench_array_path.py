"""Array throughput plugin -> gateway -> client, beside python-socketio's direct server -> client, in one run;
and the round trip of a small call client -> gateway -> plugin -> back beside a direct socket.io ack round trip.

    .venv/bin/python benchmarks/bench_array_path.py [--runs 5] [--sizes 1,16,64] [--browser-sizes 16,64]
                                                    [--big-mb 1024] [--slow-mb 128] [--fetch-sizes 16,64,256]
                                                    [--upload-sizes 16,64,256] [--upload-big-mb 1024]

Ours: a real `imjoy-hpc serve` (local Dask cluster); the Image Filter example's `big(mb)` makes a float32 array in
the plugin process, which travels plugin -> gateway -> client in chunks. Clients: imjoy-hpc's own socket.io client,
the real imjoy-rpc 0.5.59 Python client (its chunk joining copies quadratically, so it is slower), and the real
page in headless Chromium (the vendored imjoy-rpc JS client; the page joins the chunks into a Float32Array).
The page's HTTP path (the workspace: arrays larger than one chunk are fetched from the gateway as one HTTP body)
beside its websocket path (the console page) and the same Chromium's fetch() of one body from a plain tornado
server (its ceiling), taking turns (`--fetch-sizes`).
Page -> plugin (`--upload-sizes`): an array made in the workspace page passed to a plugin (the engine uploads it,
PUT /array/... in 64 MiB parts, the plugin reads it from the gateway's spool), beside the same Chromium's PUT of the
same bytes as one body to a plain tornado sink, taking turns. `--upload-big-mb`: one array that large from imjoy-hpc's
Python client to a plugin with the gateway's peak RSS growth, beside a plain http.client PUT of the same bytes to
that tornado sink.
Also: the gateway's peak RSS growth while one 1 GB array passes, and while a client reading at 10 MB/s receives
one (with another client's small-call latency meanwhile).
Baseline: a python-socketio 5 + tornado server in its own process sending the same number of bytes as one binary
message to a python-socketio AsyncClient (compression off, limits raised, TCP_NODELAY), i.e. the transport alone.
The gateway and plugin processes raise glibc's mmap threshold (imjoy_hpc/tuning.py); the baseline server and
both clients run with the allocator's defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from browser_rows import RAW_SERVER, chromium_fetch_rates, chromium_rates, chromium_upload_rates, sink_plugin
from common import p50_row, row
from slow_client_row import slow_client

MB = 2**20
SMALL_CALLS = 300
DIRECT_SERVER = r"""
import asyncio, sys, socketio, tornado.web
sio = socketio.AsyncServer(async_mode="tornado", max_http_buffer_size=1 << 30)
@sio.on("get")
async def get(sid, size):
    return b"\0" * size
class H(socketio.get_tornado_handler(sio)):
    def get_compression_options(self):
        return None
    async def open(self, *args, **kwargs):
        self.set_nodelay(True)
        return await super().open(*args, **kwargs)
async def main():
    app = tornado.web.Application([(r"/socket.io/", H)], websocket_max_message_size=1 << 30)
    app.listen(int(sys.argv[1]), "127.0.0.1")
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


async def direct(port: int, sizes: list[int], runs: int) -> dict[int, list[float]]:
    import socketio

    client = socketio.AsyncClient(websocket_extra_options={"max_msg_size": 0})
    await client.connect(f"http://127.0.0.1:{port}", transports=["websocket"])
    out: dict[int, list[float]] = {}
    for mb in sizes:
        await client.call("get", mb * MB, timeout=120)  # warm-up
        out[mb] = []
        for _ in range(runs):
            t = time.perf_counter()
            data = await client.call("get", mb * MB, timeout=120)
            out[mb].append(len(data) / MB / (time.perf_counter() - t))
    await client.disconnect()
    return out


async def _big_transfer(plugin, mb: int, gateway_pid: int) -> dict:
    """One very large array; the gateway's peak RSS growth is sampled while it passes through."""
    import psutil

    gateway = psutil.Process(gateway_pid)
    before = peak = gateway.memory_info().rss

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, gateway.memory_info().rss)
            await asyncio.sleep(0.05)

    sampler = asyncio.ensure_future(sample())
    t = time.perf_counter()
    arr = await plugin.big(mb)
    seconds = time.perf_counter() - t
    sampler.cancel()
    intact = arr.size == mb * MB // 4 and float(arr.ravel()[-1]) == float(np.float32(arr.size - 1))
    return {"seconds": seconds, "growth_mb": (peak - before) / MB, "intact": intact}


async def through_gateway(url: str, token: str, sizes: list[int], runs: int, real_client: bool,
                          big_mb: int = 0, gateway_pid: int = 0, direct_port: int = 0) -> dict:
    """Array rates and small-call round trips through the gateway, each run alternating with the same through
    python-socketio directly (`direct_port`: the baseline), so that both see the same load of this shared
    machine. The baseline's figures are under ("direct", mb) and "direct_rtt"."""
    import socketio

    if real_client:
        import imjoy_rpc

        api = await imjoy_rpc.connect_to_server({"server_url": url, "name": "bench", "token": token})
    else:
        from imjoy_hpc.rpc.sioclient import connect_to_gateway

        connection = await connect_to_gateway(url, token, "bench")
        api = connection.peer.remote
    direct_client = socketio.AsyncClient(websocket_extra_options={"max_msg_size": 0})
    await direct_client.connect(f"http://127.0.0.1:{direct_port}", transports=["websocket"])
    plugin = await api.load_plugin("Image Filter")
    out: dict = {}
    for mb in sizes:
        await plugin.big(mb)
        await direct_client.call("get", mb * MB, timeout=120)
        out[mb], out[("direct", mb)] = [], []
        for _ in range(runs):
            t = time.perf_counter()
            arr = await plugin.big(mb)
            out[mb].append(arr.nbytes / MB / (time.perf_counter() - t))
            t = time.perf_counter()
            data = await direct_client.call("get", mb * MB, timeout=120)
            out[("direct", mb)].append(len(data) / MB / (time.perf_counter() - t))
    if big_mb and not real_client:
        out["big"] = await _big_transfer(plugin, big_mb, gateway_pid)
    hello = await api.load_plugin("Hello")
    await hello.echo(b"\0" * 16)
    await direct_client.call("get", 16, timeout=10)
    out["rtt"], out["direct_rtt"] = [], []
    for _ in range(SMALL_CALLS):
        t = time.perf_counter()
        await hello.echo(b"\0" * 16)
        out["rtt"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        await direct_client.call("get", 16, timeout=10)
        out["direct_rtt"].append((time.perf_counter() - t) * 1000)
    await direct_client.disconnect()
    if real_client:
        from gateway_support import disconnect

        await disconnect(api, goodbye=0.3)
    else:
        await connection.disconnect()
    return out


def plain_put(port: int, data: memoryview) -> float:
    """Seconds for http.client to PUT `data` as one body to the plain tornado sink and read its answer."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        started = time.perf_counter()
        connection.request("PUT", "/sink", body=data, headers={"Content-Length": str(len(data))})
        got = int(connection.getresponse().read())
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    assert got == len(data), f"the sink got {got} bytes of {len(data)}"
    return seconds


async def big_upload(url: str, token: str, mb: int, gateway_pid: int, turns: int = 2) -> dict:
    """One `mb` MB array from imjoy-hpc's client to a plugin, `turns` times, the gateway's peak RSS growth sampled
    (every 20 ms) while it goes; each turn followed by the baseline: the same bytes PUT to a plain tornado sink."""
    from test_array_memory import RssPeak

    from imjoy_hpc.rpc.sioclient import connect_to_gateway

    raw = subprocess.Popen([sys.executable, "-c", RAW_SERVER], stdout=subprocess.PIPE, text=True)
    connection = await connect_to_gateway(url, token, "bench uploads")
    out: dict = {"ours": [], "plain": [], "growth_mb": 0.0, "intact": True}
    try:
        raw_port = int(raw.stdout.readline())
        sink = await connection.peer.remote.load_plugin(sink_plugin())
        x = np.zeros(mb * MB // 4, dtype=np.uint32)
        x[0], x[-1] = 7, x.size - 1
        await sink.take(x[:MB])  # warm-up (4 MB: uploaded too)
        for _ in range(turns):
            rss = RssPeak(gateway_pid)
            started = time.perf_counter()
            answer = await sink.take(x)
            out["ours"].append(mb / (time.perf_counter() - started))
            out["growth_mb"] = max(out["growth_mb"], rss.stop())
            out["intact"] &= answer == [x.nbytes, 7, x.size - 1]
            out["plain"].append(mb / await asyncio.to_thread(plain_put, raw_port, memoryview(x).cast("B")))
    finally:
        await connection.disconnect()
        raw.terminate()
        raw.wait(10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1,16,64")
    parser.add_argument("--big-mb", type=int, default=1024, help="one array this large (0: skip)")
    parser.add_argument("--browser-sizes", default="16,64", help="sizes for headless Chromium ('': skip)")
    parser.add_argument("--slow-mb", type=int, default=128, help="array for the 10 MB/s client (0: skip)")
    parser.add_argument("--fetch-sizes", default="16,64,256",
                        help="sizes for the page's HTTP path, its websocket path and Chromium's fetch() ceiling "
                             "('': skip)")
    parser.add_argument("--upload-sizes", default="16,64,256",
                        help="sizes for page -> plugin uploads beside Chromium's PUT of one body ('': skip)")
    parser.add_argument("--upload-big-mb", type=int, default=1024,
                        help="one array this large from imjoy-hpc's client to a plugin, gateway RSS sampled (0: skip)")
    args = parser.parse_args()
    upload_sizes = [int(s) for s in args.upload_sizes.split(",") if s]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    fetch_sizes = [int(s) for s in args.fetch_sizes.split(",") if s]
    browser_sizes = [int(s) for s in args.browser_sizes.split(",") if s]
    from gateway_support import start_gateway
    from support import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", DIRECT_SERVER, str(port)], stdout=subprocess.PIPE, text=True)
    gateway = start_gateway(Path(tempfile.mkdtemp(prefix="imjoy-hpc-bench-")))
    try:
        assert server.stdout.readline().strip() == "ready"
        ours = asyncio.run(through_gateway(gateway.url, gateway.token, sizes, args.runs, real_client=False,
                                           big_mb=args.big_mb, gateway_pid=gateway.proc.pid, direct_port=port)) \
            if sizes else {}
        theirs = asyncio.run(through_gateway(gateway.url, gateway.token, sizes, args.runs, real_client=True,
                                             direct_port=port)) if sizes else {}
        paths = chromium_fetch_rates(gateway.url, gateway.token, fetch_sizes, args.runs,
                                     Path(tempfile.mkdtemp(prefix="imjoy-hpc-bench-chromium-"))) \
            if fetch_sizes else {}
        uploads = chromium_upload_rates(gateway.url, gateway.token, upload_sizes, args.runs,
                                        Path(tempfile.mkdtemp(prefix="imjoy-hpc-bench-chromium-"))) \
            if upload_sizes else {}
        big_up = asyncio.run(big_upload(gateway.url, gateway.token, args.upload_big_mb, gateway.proc.pid)) \
            if args.upload_big_mb else None
        browser, browser_raw = chromium_rates(gateway.url, gateway.token, browser_sizes, args.runs,
                                              Path(tempfile.mkdtemp(prefix="imjoy-hpc-bench-chromium-"))) \
            if browser_sizes else ({}, {})
        baseline = asyncio.run(direct(port, browser_sizes, args.runs)) if browser_sizes else {}
        slow = asyncio.run(slow_client(gateway.url, gateway.port, gateway.token, gateway.proc.pid,
                                       args.slow_mb)) if args.slow_mb else None
    finally:
        server.terminate()
        server.wait(10)
        gateway.stop()
    print(f"array path, float32, {args.runs} runs each, median [min-max], {os.cpu_count()} cores")
    print("baseline: python-socketio direct server -> client, one binary message (each run alternating with ours)")
    for mb in sizes:
        print(row(f"{mb:3d} MB, imjoy-hpc client", ours[mb], ours[("direct", mb)], "MB/s"))
    for mb in sizes:
        print(row(f"{mb:3d} MB, imjoy-rpc client", theirs[mb], theirs[("direct", mb)], "MB/s"))
    if browser_sizes:
        print("Chromium, beside the baseline measured right after it:")
    for mb in browser_sizes:
        print(row(f"{mb:3d} MB, Chromium page", browser[mb], baseline[mb], "MB/s"))
    if browser_sizes:
        print("  the same Chromium's ceiling here: a plain tornado websocket, one binary message, into a page:")
    for mb in browser_sizes:
        print(row(f"{mb:3d} MB, Chromium page", browser[mb], browser_raw[mb], "MB/s").replace("baseline", "plain ws"))
    if fetch_sizes:
        print("page <- plugin, each beside the same Chromium's fetch() of one HTTP body from a plain tornado server, "
              "taking turns:")
    for mb in fetch_sizes:
        print(row(f"{mb:3d} MB, page, HTTP path", paths["fetch"][mb], paths["ceiling"][mb], "MB/s")
              .replace("baseline", " fetch()"))
        print(row(f"{mb:3d} MB, page, websocket", paths["websocket"][mb], paths["ceiling"][mb], "MB/s")
              .replace("baseline", " fetch()"))
    if upload_sizes:
        print("page -> plugin (the workspace's engine uploads), each beside the same Chromium's PUT of the same bytes "
              "as one body to a plain tornado sink, taking turns:")
    for mb in upload_sizes:
        print(row(f"{mb:3d} MB, page -> plugin", uploads["upload"][mb], uploads["ceiling"][mb], "MB/s")
              .replace("baseline", "   PUT"))
    if big_up is not None:
        print(f"{args.upload_big_mb} MB from imjoy-hpc's client to a plugin: "
              f"{'intact' if big_up['intact'] else 'CORRUPTED'}, gateway RSS grew by {big_up['growth_mb']:.0f} MB at "
              f"peak (goal < 128 MB)")
        print(row(f"{args.upload_big_mb} MB, client -> plugin", big_up["ours"], big_up["plain"], "MB/s")
              .replace("baseline", "   PUT") + "  (baseline: http.client PUT to a plain tornado sink)")
    if "big" in ours:
        big = ours["big"]
        print(f"{args.big_mb} MB array through the gateway: {'intact' if big['intact'] else 'CORRUPTED'} in "
              f"{big['seconds']:.1f} s ({args.big_mb / big['seconds']:.0f} MB/s); gateway RSS grew by "
              f"{big['growth_mb']:.0f} MB at peak (goal < 128 MB)")
    if slow is not None:
        print(f"{args.slow_mb} MB to a client reading at 10 MB/s: {'intact' if slow['intact'] else 'CORRUPTED'} in "
              f"{slow['seconds']:.1f} s; gateway RSS grew by {slow['growth_mb']:.0f} MB at peak (goal: bounded)")
        print(p50_row("  another client meanwhile", slow["during"], slow["idle"]).replace("baseline", "idle"))
    if sizes:
        print(f"small calls ({SMALL_CALLS}), each alternating with a direct socket.io ack (the baseline):")
        print(p50_row("small call p50, imjoy-hpc", ours["rtt"], ours["direct_rtt"]))
        print(p50_row("small call p50, imjoy-rpc", theirs["rtt"], theirs["direct_rtt"]))
    print("hypha's published figure for 4 MB arrays: about 1-2 MB/s")


if __name__ == "__main__":
    main()

"""A client reading at 10 MB/s (through shaped_link's rate-capped relay) receives a large array while another
client makes small calls: the gateway's peak RSS growth, and the other client's call latency, idle and during."""

from __future__ import annotations

import asyncio
import time

import psutil
from shaped_link import ShapedLink

MB = 2**20
CALLS = 50


async def _small_calls(hello, count: int) -> list[float]:
    waits = []
    for _ in range(count):
        started = time.perf_counter()
        await hello.echo(b"\0" * 16)
        waits.append((time.perf_counter() - started) * 1000)
    return waits


async def slow_client(url: str, port: int, token: str, gateway_pid: int, mb: int, rate: float = 10e6) -> dict:
    from imjoy_hpc.rpc.sioclient import connect_to_gateway

    link = ShapedLink(port, delay=0.001, rate=rate)
    slow = await connect_to_gateway(f"http://127.0.0.1:{link.port}", token, "slow bench")
    fast = await connect_to_gateway(url, token, "fast bench")
    try:
        image = await slow.peer.remote.load_plugin("Image Filter")
        hello = await fast.peer.remote.load_plugin("Hello")
        idle = await _small_calls(hello, CALLS)
        gateway = psutil.Process(gateway_pid)
        before = peak = gateway.memory_info().rss

        async def sample() -> None:
            nonlocal peak
            while True:
                peak = max(peak, gateway.memory_info().rss)
                await asyncio.sleep(0.02)

        sampler = asyncio.ensure_future(sample())
        started = time.perf_counter()
        big = asyncio.ensure_future(image.big(mb))
        during: list[float] = []
        while not big.done():
            during += await _small_calls(hello, 10)
            await asyncio.sleep(0.05)
        arr = await big
        seconds = time.perf_counter() - started
        sampler.cancel()
        return {"growth_mb": (peak - before) / MB, "seconds": seconds, "idle": idle, "during": during,
                "intact": arr.size == mb * MB // 4}
    finally:
        await slow.disconnect()
        await fast.disconnect()
        link.close()

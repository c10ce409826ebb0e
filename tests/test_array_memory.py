"""Large arrays through a real gateway keep its memory bounded: a client reading at 10 MB/s, a client that goes away
mid-transfer, and a plugin killed mid-transfer (the client gets an error, never a cut array).

The gateway's RSS is sampled from /proc while the arrays pass; the bounds are generous (the arrays are several
times larger than the bound). Spooled arrays are anonymous files of the gateway's private spool directory, so its
open descriptors show whether any is still held.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from gateway_support import connect, disconnect, start_gateway

from imjoy_hpc.rpc.sioclient import connect_to_gateway

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from shaped_link import ShapedLink  # noqa: E402 - the benchmarks' rate-capped TCP relay

pytestmark = pytest.mark.timeout(300)
MB = 2**20
SLOW_RATE = 10e6           # bytes/s the slow client reads
BOUND_MB = 96              # allowed RSS growth of the gateway while an array passes


class RssPeak:
    """Samples a process's VmRSS from /proc every 20 ms in a thread; `growth_mb` is the peak over the start."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start = self.peak = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def rss(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.rss())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(5)
        return (self.peak - self.start) / MB


def spool_descriptors(pid: int) -> list[str]:
    """The gateway's open descriptors on spooled arrays."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if "imjoy-hpc-spool-" in target:
            found.append(target)
    return found


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def intact(arr: np.ndarray, mb: int) -> bool:
    """Image Filter's big(mb): np.arange(n) as float32, n = mb MiB / 4."""
    n = mb * MB // 4
    return arr.size == n and float(arr.ravel()[-1]) == float(np.float32(n - 1)) and float(arr.ravel()[12345]) == 12345


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("arrays")
    (tmp / "tmp").mkdir()
    gw = start_gateway(tmp, env={**os.environ, "TMPDIR": str(tmp / "tmp")})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


async def test_spool_directory_is_private(gateway):
    client = await connect_to_gateway(gateway.url, gateway.token, "spool check")
    try:
        image = await client.peer.remote.load_plugin("Image Filter")
        assert intact(await image.big(8), 8)  # larger than a chunk: it went through the spool
    finally:
        await client.disconnect()
    spools = [p for p in (gateway.state_dir.parent / "tmp").iterdir() if p.name.startswith("imjoy-hpc-spool-")]
    assert len(spools) == 1 and spools[0].stat().st_mode & 0o777 == 0o700
    assert not list(spools[0].iterdir()), "spooled arrays are anonymous files, never visible by name"


async def test_slow_reader_keeps_memory_bounded_and_others_are_served(gateway):
    link = ShapedLink(gateway.port, delay=0.001, rate=SLOW_RATE)
    slow = await connect_to_gateway(f"http://127.0.0.1:{link.port}", gateway.token, "slow reader")
    fast = await connect(gateway, name="fast client")
    try:
        image = await slow.peer.remote.load_plugin("Image Filter")
        hello = await fast.load_plugin("Hello")
        rss = RssPeak(gateway.proc.pid)
        big = asyncio.ensure_future(image.big(192))  # about 20 s at 10 MB/s
        await asyncio.sleep(3)
        assert not big.done()
        waits = []
        for _ in range(10):
            started = time.perf_counter()
            assert await hello.echo("ping") == "ping"
            waits.append(time.perf_counter() - started)
        arr = await asyncio.wait_for(big, 120)
        growth = rss.stop()
        assert intact(arr, 192)
        assert growth < BOUND_MB, f"the gateway's RSS grew by {growth:.0f} MB for a slow reader"
        assert max(waits) < 2.0, f"another client's calls waited {max(waits):.2f} s during the slow transfer"
    finally:
        await slow.disconnect()
        await disconnect(fast)
        link.close()
    assert wait_until(lambda: not spool_descriptors(gateway.proc.pid), 10)


LEAVING_CLIENT = r"""
import asyncio, sys
sys.path.insert(0, sys.argv[3])
from shaped_link import ShapedLink
from imjoy_hpc.rpc.sioclient import connect_to_gateway
async def main():
    link = ShapedLink(int(sys.argv[1]), delay=0.001, rate=float(sys.argv[4]))
    client = await connect_to_gateway(f"http://127.0.0.1:{link.port}", sys.argv[2], "leaving reader")
    image = await client.peer.remote.load_plugin("Image Filter")
    print("loaded", flush=True)
    await image.big(256)
    print("received", flush=True)
asyncio.run(main())
"""


async def test_client_gone_mid_transfer_frees_the_array(gateway):
    """A slow client's process dies while an array is on its way to it: the gateway lets go of the array."""
    benchmarks = str(Path(__file__).resolve().parents[1] / "benchmarks")
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LEAVING_CLIENT, str(gateway.port), gateway.token, benchmarks, str(SLOW_RATE),
        stdout=asyncio.subprocess.PIPE)
    try:
        assert (await asyncio.wait_for(client.stdout.readline(), 120)).strip() == b"loaded"
        rss = RssPeak(gateway.proc.pid)
        assert await asyncio.to_thread(wait_until, lambda: spool_descriptors(gateway.proc.pid), 60)
        await asyncio.sleep(3)  # the gateway is sending it now, at 10 MB/s
        client.kill()           # the client goes away mid-transfer
        await client.wait()
        freed = await asyncio.to_thread(wait_until, lambda: not spool_descriptors(gateway.proc.pid), 5)
        growth = rss.stop()
    finally:
        if client.returncode is None:
            client.kill()
            await client.wait()
    assert freed, "the array of a client that left is still held"
    assert growth < BOUND_MB, f"the gateway's RSS grew by {growth:.0f} MB"


KILLABLE = """<config lang="json">{"name": "Killable Arrays", "type": "native-python"}</config>
<script lang="python">
import os
import numpy as np
from imjoy import api
class P:
    def pid(self):
        return os.getpid()
    def big(self, megabytes):
        return np.arange(megabytes * 2**20 // 4, dtype=np.float32)
api.export(P())
</script>"""


async def test_plugin_killed_mid_transfer_gives_the_client_an_error(gateway):
    client = await connect(gateway, name="waiting client")
    try:
        plugin = await client.load_plugin(KILLABLE)
        pid = await plugin.pid()
        big = asyncio.ensure_future(plugin.big(1024))
        # The plugin's array is on its way into the gateway: kill the plugin now.
        assert await asyncio.to_thread(wait_until, lambda: spool_descriptors(gateway.proc.pid), 60)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(Exception) as failure:
            result = await asyncio.wait_for(big, 60)
            pytest.fail(f"a call whose plugin was killed mid-transfer returned {type(result).__name__}")
        assert "Killable Arrays" in str(failure.value) or "exit" in str(failure.value).lower() \
            or "killed" in str(failure.value).lower(), str(failure.value)
        assert await asyncio.to_thread(wait_until, lambda: not spool_descriptors(gateway.proc.pid), 10)
        hello = await client.load_plugin("Hello")  # the gateway serves on
        assert await hello.echo(1) == 1
    finally:
        await disconnect(client)


async def test_pings_pass_a_long_slow_transfer_and_an_idle_connection(tmp_path):
    """With pings every 2 s (2 s to answer), a 10 MB/s client receives an array for about 10 s, then idles for
    longer than a ping cycle: it stays connected throughout (pings do not wait behind the array)."""
    gw = start_gateway(tmp_path, {"server": {"ping-interval": 2, "ping-timeout": 2}})
    link = ShapedLink(gw.port, delay=0.001, rate=SLOW_RATE)
    try:
        slow = await connect_to_gateway(f"http://127.0.0.1:{link.port}", gw.token, "slow, pinged")
        image = await slow.peer.remote.load_plugin("Image Filter")
        assert intact(await asyncio.wait_for(image.big(96), 120), 96)
        await asyncio.sleep(6)
        assert (await asyncio.wait_for(image.render(4, 2), 10)).shape == (2, 4, 3)
        assert not slow.closed.is_set()
        await slow.disconnect()
    finally:
        link.close()
        assert gw.stop() == 0, gw.log()[-3000:]

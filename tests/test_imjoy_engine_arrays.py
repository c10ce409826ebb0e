"""Arrays from an ImJoy app on another origin to a Python plugin through the gateway's engine: every element arrives
(checked in the plugin), and a large one does not swell the gateway's memory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import quote

import gateway_support
import psutil
import pytest
from imjoy_host_support import imjoy_host
from imjoy_plugins import python_plugin

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

MiB = 2**20
# check(x): every element of a float32 array made by fill() below (its bits are i * 2654435761 mod 2**32, so a
# chunk lost, repeated or moved changes them); answers [element count, shape, dtype, elements that differ].
CHECKER = python_plugin("Array Checker", "return 'ready'", header="""
import numpy as np


def differing(x):
    bits = np.asarray(x).reshape(-1).view(np.uint32)
    wrong, step = 0, 1 << 22
    for start in range(0, bits.size, step):
        index = np.arange(start, min(start + step, bits.size), dtype=np.uint64)
        expected = ((index * 2654435761) % (1 << 32)).astype(np.uint32)
        wrong += int(np.count_nonzero(bits[start:start + step] != expected))
    return wrong
""").replace("    async def setup(self):", """    def check(self, x):
        return [int(np.asarray(x).size), list(np.asarray(x).shape), str(np.asarray(x).dtype), differing(x)]

    async def setup(self):""")

# Call check() of the plugin with a float32 array of `n` elements made in the page, as an ImJoy app would pass it.
CALL_CHECK = """async ([name, n]) => {
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = Math.imul(i, 2654435761) >>> 0;
    const plugin = imjoy.pm.plugin_names[name];
    const x = {_rtype: "ndarray", _rvalue: bits.buffer, _rshape: [n], _rdtype: "float32"};
    try { return await plugin.api.check(x); } catch (e) { return "error: " + String(e && e.message || e); }
}"""


@pytest.fixture(scope="module")
def host_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with imjoy_host(tmp_path_factory.mktemp("imjoy-host")) as origin:
        yield origin


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, host_origin) -> Iterator[gateway_support.RunningGateway]:
    gw = gateway_support.start_gateway(tmp_path_factory.mktemp("engine-arrays"),
                                       {"server": {"allowed-origins": [host_origin]}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def load_checker(page, origin: str, gateway: gateway_support.RunningGateway) -> None:
    page.goto(f"{origin}/host.html#gateway=" + quote(f"{gateway.url}/#token={gateway.token}", safe=""))
    page.wait_for_function("() => window.hostReady !== undefined")
    page.evaluate("() => window.hostReady")
    page.evaluate("(url) => imjoy.pm.reloadPluginRecursively({uri: url})",
                  gateway.url + "/imjoy/engine.imjoy.html")
    page.wait_for_function("() => imjoy.em.engines.some((e) => e.name === 'imjoy-hpc' && e.connected)",
                           timeout=60_000)
    page.evaluate("async (code) => { await imjoy.pm.reloadPlugin({code}); }", CHECKER)


class PeakRSS:
    """The largest resident size of a process, sampled every 50 ms while the block runs."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / MiB


def test_arrays_above_64_kb_reach_a_plugin_intact_from_an_imjoy_app(browser_page, gateway, host_origin):
    load_checker(browser_page, host_origin, gateway)
    for size in (32 * 1024, 256 * 1024, 4 * MiB):
        n = size // 4
        answer = browser_page.evaluate(CALL_CHECK, ["Array Checker", n])
        assert answer == [n, [n], "float32", 0], (size, answer, gateway.log()[-2000:])

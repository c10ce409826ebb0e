"""What a plugin used of what it asked for: sampled live while it runs, summed up when it ends (CPU, peak memory,
core-hours of the allocation) with a suggestion for the next request; a real gateway and plugin process."""

from __future__ import annotations

import asyncio

import pytest
from gateway_support import connect, disconnect, start_gateway

pytestmark = pytest.mark.timeout(180)

BUSY = """<config lang="json">{"name": "Busy Then Big", "type": "native-python"}</config>
<script lang="python">
import time
import numpy as np

class Plugin:
    def burn(self, cpu_seconds):
        start = time.process_time()
        while time.process_time() - start < cpu_seconds:  # a fixed amount of work, however busy the machine
            sum(range(10000))
        return time.process_time()

    def hold(self, megabytes, seconds):
        block = np.ones(megabytes * 2**20, dtype=np.uint8)  # touched: resident
        time.sleep(seconds)
        return int(block.sum())

api.export(Plugin())
</script>"""


async def test_usage_is_sampled_live_and_summed_up_with_a_suggestion(tmp_path):
    profile = {"backend": "local", "processes": 1, "plugin-slots": 2, "cores": 4, "memory": "8GB"}
    gateway = start_gateway(tmp_path, {"profiles": {"local": profile}})
    client = await connect(gateway)
    try:
        plugin = await client.load_plugin(BUSY)
        plugin_cpu = await asyncio.wait_for(plugin.burn(4.0), 60)
        await asyncio.wait_for(plugin.hold(512, 4), 60)

        def info() -> dict:
            return next(i for i in instances if i["id"] == plugin.id)

        instances = await client.list_instances()
        live = info()["usage"]
        assert live and live["live"] and live["rss"] > 0 and "cores" in live, live
        assert info()["asked"]["cores"] == 4 and info()["asked"]["memory"] == "8GB"
        await client.kill_plugin(plugin.id)
        for _ in range(100):
            instances = await client.list_instances()
            if info()["usage"] and not info()["usage"]["live"]:
                break
            await asyncio.sleep(0.1)
        summary = info()["usage"]
        assert summary["live"] is False, summary
        assert plugin_cpu * 0.95 <= summary["cpu_seconds"] <= plugin_cpu + 3, (plugin_cpu, summary)
        assert 512 * 2**20 <= summary["peak_rss"] <= (512 + 400) * 2**20, summary
        assert 0.3 <= summary["peak_cores"] <= 1.5, summary  # one busy thread
        assert abs(summary["average_cores"] - summary["cpu_seconds"] / summary["elapsed"]) < 0.02
        assert "asked 4 cores" in summary["suggestion"] and "would do" in summary["suggestion"], summary
        assert "asked 8GB memory" in summary["suggestion"], summary
        assert "core_hours" not in summary  # local processes: no allocation is charged
    finally:
        await disconnect(client)
        assert gateway.stop() == 0


def test_core_hours_of_an_allocation_and_no_suggestion_when_the_request_fits():
    from imjoy_hpc.plugins.usage import usage_summary

    used = {"elapsed": 1800.0, "cpu_seconds": 5400.0, "average_cores": 3.0, "peak_cores": 3.9,
            "peak_rss": 3 * 2**30}
    summary = usage_summary({"cores": 4, "memory": "4GiB", "gpus": 1}, used, charged=True)
    assert summary["core_hours"] == 2.0 and summary["gpu_hours"] == 0.5 and summary["suggestion"] is None


def test_samples_from_two_threads_at_once_each_measure_against_the_one_before(monkeypatch):
    """The sampler's thread and the launcher (its last sample) may sample at the same moment: every sample is
    measured against the one before it, so a tree that keeps exactly one core busy reads one core in every
    sample and in the summary, never a sample taken against a later one (0 cores) or a doubled count."""
    import threading
    import time
    import types

    from imjoy_hpc.plugins import usage

    clock_lock, clock, read = threading.Lock(), [1000.0], threading.local()

    def monotonic() -> float:  # a clock that moves 10 ms at every reading
        with clock_lock:
            clock[0] += 0.01
            read.now = clock[0]
            return clock[0]

    def one_busy_core(procs, root):  # the CPU time the tree had used at this thread's last clock reading
        time.sleep(0.001)  # reading a tree takes a while: the other thread's sample runs meanwhile
        return read.now - 1000.0

    monkeypatch.setattr(usage, "time", types.SimpleNamespace(monotonic=monotonic))
    monkeypatch.setattr(usage, "_tree", lambda pid: ["one process"])
    monkeypatch.setattr(usage, "_cpu_seconds", one_busy_core)
    monkeypatch.setattr(usage, "_rss", lambda procs: 2**20)
    monkeypatch.setattr(usage, "_gpus", lambda: None)
    monkeypatch.setattr(usage, "FIRST_SAMPLE", 3600)
    heard: list[dict] = []
    sampler = usage.UsageSampler(12345, heard.append, interval=3600).start()  # its own thread waits meanwhile
    sampler._last = (sampler.started, sampler.started - 1000.0)  # the tree's CPU time when the sampler started
    taken: list[dict | None] = []
    start = threading.Barrier(2)

    def sample_often() -> None:
        start.wait()
        for _ in range(150):
            taken.append(sampler.sample())

    threads = [threading.Thread(target=sample_often) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    summary = sampler.stop()

    assert len(taken) == len(heard) == 300 and all(sample is not None for sample in taken)
    assert sorted({sample["cores"] for sample in heard}) == [1.0], sorted(sample["cores"] for sample in heard)
    assert summary["peak_cores"] == 1.0 and summary["average_cores"] == 1.0, summary
    assert summary["cpu_seconds"] == round(clock[0] - 1000.0 - 0.01, 1), (summary, clock)

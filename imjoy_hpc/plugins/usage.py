"""What a plugin uses of what it asked for: its process tree sampled every few seconds (cores busy, memory held;
GPUs through NVML where there are any), live to the gateway and summed up when it ends, with a suggestion for
the next request ("asked 8 cores, used 1.3 on average: 2 would do")."""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable

import psutil

INTERVAL = 3.0  # seconds between samples
FIRST_SAMPLE = 0.5


def _tree(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent] + parent.children(recursive=True)
    except psutil.Error:
        return []


def _cpu_seconds(procs: list[psutil.Process], root: int) -> float:
    """CPU time of the tree: every live process's own, plus what the root's finished children used."""
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
        if p.pid == root:
            total += t.children_user + t.children_system
    return total


def _rss(procs: list[psutil.Process]) -> int:
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def _gpus() -> Callable[[], dict] | None:
    """A reader of GPU use and memory through NVML, or None without NVML or GPUs."""
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception:  # noqa: BLE001 - no NVML, no driver, no GPU: nothing to sample
        return None
    if not handles:
        return None

    def read() -> dict:
        util = [pynvml.nvmlDeviceGetUtilizationRates(h).gpu / 100 for h in handles]
        memory = [pynvml.nvmlDeviceGetMemoryInfo(h).used for h in handles]
        return {"gpus": sum(util), "gpu_memory": sum(memory)}

    return read


class UsageSampler:
    """Samples the process tree of `pid` until stopped; `emit(sample)` hears every sample. `sample()` may be called
    from any thread (its own and the launcher's last one): one sample at a time, each measured against the one
    before it and emitted in that order."""

    def __init__(self, pid: int, emit: Callable[[dict], Any], interval: float = INTERVAL) -> None:
        self.pid, self.emit, self.interval = pid, emit, interval
        self.started = time.monotonic()
        self.cpu_seconds = 0.0
        self.peak_cores = 0.0
        self.peak_rss = 0
        self.peak_gpus = 0.0
        self.gpu_seconds = 0.0
        self._gpu = _gpus()
        self._last = (self.started, 0.0)
        self._lock = threading.Lock()  # the figures above and _last: one sample (or the summary) at a time
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="imjoy-hpc-usage")

    def start(self) -> "UsageSampler":
        self._thread.start()
        return self

    def _run(self) -> None:
        wait = min(FIRST_SAMPLE, self.interval)  # a short-lived plugin still gets one
        while not self._stop.wait(wait):
            self.sample()
            wait = self.interval

    def sample(self) -> dict | None:
        with self._lock:
            return self._sample()

    def _sample(self) -> dict | None:
        procs = _tree(self.pid)
        if not procs:
            return None
        now, cpu = time.monotonic(), _cpu_seconds(procs, self.pid)
        last_time, last_cpu = self._last
        cores = max(0.0, (cpu - last_cpu) / max(now - last_time, 1e-6))
        self._last = (now, cpu)
        self.cpu_seconds = max(self.cpu_seconds, cpu)
        rss = _rss(procs)
        self.peak_cores, self.peak_rss = max(self.peak_cores, cores), max(self.peak_rss, rss)
        sample = {"cores": round(cores, 2), "rss": rss, "processes": len(procs)}
        if self._gpu is not None:
            gpu = self._gpu()
            self.gpu_seconds += gpu["gpus"] * (now - last_time)
            self.peak_gpus = max(self.peak_gpus, gpu["gpus"])
            sample.update(gpu)
        self.emit(sample)
        return sample

    def stop(self, rusage: Any = None) -> dict:
        """Stop sampling; the summary of the plugin's life (CPU over the whole time, peaks seen), completed by
        what the kernel counted for the ended process (`os.wait4`'s rusage: its CPU time and peak memory)."""
        self._stop.set()
        self._thread.join(timeout=self.interval)
        with self._lock:  # a sample still being taken (a join that timed out) ends first
            if rusage is not None:
                self.cpu_seconds = max(self.cpu_seconds, rusage.ru_utime + rusage.ru_stime)
                self.peak_rss = max(self.peak_rss, int(rusage.ru_maxrss) * 1024)  # Linux counts KiB
            elapsed = max(time.monotonic() - self.started, 1e-6)
            average = self.cpu_seconds / elapsed
            summary = {"elapsed": round(elapsed, 1), "cpu_seconds": round(self.cpu_seconds, 1),
                       "average_cores": round(average, 2), "peak_cores": round(max(self.peak_cores, average), 2),
                       "peak_rss": self.peak_rss}
            if self._gpu is not None:
                summary.update(average_gpus=round(self.gpu_seconds / elapsed, 2),
                               peak_gpus=round(self.peak_gpus, 2))
        return summary


def suggestion(asked: dict, used: dict) -> str | None:
    """What to ask for next time when much less was used than asked (None when the request fits)."""
    parts = []
    cores = asked.get("cores") or 0
    busiest = max(used.get("average_cores", 0.0), used.get("peak_cores", 0.0) * 0.8)
    enough = max(1, math.ceil(busiest * 1.2))
    if cores > 1 and busiest < cores * 0.5 and enough < cores:
        parts.append(f"asked {cores} cores, used {used.get('average_cores', 0):.1f} on average "
                     f"(peak {used.get('peak_cores', 0):.1f}): {enough} would do")
    memory = asked.get("memory_bytes") or 0
    peak = used.get("peak_rss") or 0
    if memory and peak and peak < memory * 0.5:
        enough_gb = max(1, math.ceil(peak * 1.3 / 2**30))
        parts.append(f"asked {asked.get('memory')} memory, held at most {peak / 2**30:.1f} GiB: "
                     f"{enough_gb} GiB would do")
    return "; ".join(parts) or None


def usage_summary(asked: dict, used: dict, charged: bool) -> dict:
    """The summary kept for an ended plugin: what it used, the core-hours (and GPU-hours) of what it asked for
    over its life (what a scheduler charges for an allocation: `charged`, False for local processes), and a
    suggestion for next time."""
    from dask.utils import parse_bytes

    hours = used.get("elapsed", 0) / 3600
    summary = {**used, "live": False}
    if charged:
        summary["core_hours"] = round((asked.get("cores") or 0) * hours, 4)
        summary["gpu_hours"] = round((asked.get("gpus") or 0) * hours, 4)
    memory = asked.get("memory")
    summary["suggestion"] = suggestion({**asked, "memory_bytes": parse_bytes(memory) if memory else 0}, used)
    return summary

"""Cold plugin start on SLURM beside SLURM's own submit-to-running time, in one run.

    .venv/bin/python benchmarks/bench_cold_start_slurm.py [--runs 5]

Baseline: `sbatch --wrap` of a job that records when it starts: submit -> the job's first command runs.
Ours: ClusterManager.launch() on a fresh cluster of a slurm profile (no warm worker): launch -> the plugin task's
first line runs inside the new job (sbatch, job start, Dask worker start and registration, task placement).
Also: a second plugin on the now-warm worker (launch -> task runs, no new job).
Goal (shared/PERFORMANCE.md): cold start <= the scheduler's own submit-to-running time + 5 s.
Needs the single-node SLURM of scripts/ci/slurm.sh start.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from common import ROOT, row, summary

sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH"))
                                           if p)


def started_at() -> float:
    """Runs on the worker: when the plugin task began."""
    return time.time()


def baseline_once(tmp: Path) -> float:
    marker = tmp / f"start-{uuid.uuid4().hex}"
    t0 = time.time()
    subprocess.run(["sbatch", "--parsable", "-J", "imjoy-hpc-bench-baseline", "-o", "/dev/null",
                    "--wrap", f"python3 -c 'import time; open(\"{marker}\", \"w\").write(repr(time.time()))'"],
                   check=True, capture_output=True, timeout=30)
    deadline = time.time() + 60
    while not (marker.exists() and marker.read_text()):
        if time.time() > deadline:
            raise RuntimeError("the baseline job did not start within 60 s")
        time.sleep(0.01)
    return float(marker.read_text()) - t0


async def ours_once(tmp: Path) -> tuple[float, float]:
    from imjoy_hpc.cluster import ClusterManager

    settings = {"state-dir": str(tmp / "state"), "default-profile": "bench",
                "profiles": {"bench": {"backend": "slurm", "cores": 1, "memory": "1GB", "interface": "lo",
                                       "walltime": "00:10:00", "plugin-slots": 2, "poll-interval": 1}}}
    m = ClusterManager(settings, run_id=f"bench{uuid.uuid4().hex[:6]}", log_dir=tmp / "logs")
    try:
        p = m.resolve(None)
        client = await m.client(p)  # the scheduler starts here; not part of a plugin's start in a live gateway
        t0 = time.time()
        cold = await asyncio.wait_for(client.gather(await m.launch(p, started_at, key="cold")), 120) - t0
        t1 = time.time()
        warm = await asyncio.wait_for(client.gather(await m.launch(p, started_at, key="warm")), 60) - t1
        return cold, warm
    finally:
        await m.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base, cold, warm = [], [], []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for _ in range(args.runs):
            base.append(baseline_once(tmp))
            c, w = asyncio.run(ours_once(tmp))
            cold.append(c)
            warm.append(w)
    ms = lambda xs: [x * 1000 for x in xs]  # noqa: E731
    print(f"cold plugin start on SLURM, {args.runs} runs, median [min-max]")
    print(row("cold start (ms)", ms(cold), ms(base), "ms", higher_is_better=False))
    overhead = [c - b for c, b in zip(cold, base)]
    print(f"{'overhead over SLURM (ms)':<28} {summary(ms(overhead))} ms   goal < 5000 ms: "
          f"{'met' if statistics.median(overhead) < 5 else 'NOT met'}")
    print(f"{'warm worker start (ms)':<28} {summary(ms(warm))} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long a user waits for a new plugin's pip environment: imjoy-hpc's builder with uv beside the same builder
with pip, same requirements, same run, with warm and cold package caches.

    .venv/bin/python benchmarks/bench_env_build.py [--runs 3] [--cold-runs 1] [--requirements "numpy scipy ..."]

Each build is `ensure_environment` (the code a plugin start runs) into a fresh environment: a venv on this Python
plus the requirements. "warm": the tool's cache already holds every package (a first build filled it), as when
a user edits a plugin or a colleague starts the same one; "cold": an empty cache, every package downloaded from
the site's index. uv's cache is the one imjoy-hpc uses (`<env-cache>/.uv-cache`); pip's is a PIP_CACHE_DIR of
the run's own. The baseline is the same builder forced onto pip (what imjoy-hpc did before uv). Goal: the default
requirements below in < 2 s with warm caches. Prints median [min-max] per row and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imjoy_hpc.plugins import envs, uv_install  # noqa: E402

DEFAULT = "numpy scipy scikit-image matplotlib pandas"


def build(cache: Path, specs: list[str], tool: str) -> float:
    """Seconds for one environment build with `tool` (uv or pip); the environment is removed afterwards."""
    original = uv_install.uv_binary
    if tool == "pip":
        envs.uv_binary = lambda: None  # the builder's own fallback: pip
    try:
        started = time.perf_counter()
        info = envs.ensure_environment(specs, cache_dir=cache, log=lambda line: None, name="bench")
        took = time.perf_counter() - started
    finally:
        envs.uv_binary = original
    assert info.created, "the environment was found in the cache: the run measured nothing"
    shutil.rmtree(info.path)
    return took


def row(label: str, ours: list[float], base: list[float]) -> str:
    def fmt(xs: list[float]) -> str:
        return f"{statistics.median(xs):7.2f} s [{min(xs):.2f}-{max(xs):.2f}]"

    return f"{label:<28} uv {fmt(ours)}   pip (baseline) {fmt(base)}   " \
           f"ratio {statistics.median(base) / statistics.median(ours):5.1f}x faster"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm builds per tool")
    parser.add_argument("--cold-runs", type=int, default=1, help="cold builds per tool (downloads everything)")
    parser.add_argument("--requirements", default=DEFAULT)
    args = parser.parse_args()
    specs = args.requirements.split()
    root = Path(tempfile.mkdtemp(prefix="imjoy-hpc-bench-env-"))
    os.environ["PIP_CACHE_DIR"] = str(root / "pip-cache")
    cache = root / "envs"
    print(f"requirements: {' '.join(specs)}; Python {sys.version.split()[0]}; uv {uv_install.uv_binary()}")
    try:
        cold: dict[str, list[float]] = {"uv": [], "pip": []}
        for _ in range(max(1, args.cold_runs)):
            for tool in ("uv", "pip"):
                shutil.rmtree(cache / envs.UV_CACHE if tool == "uv" else root / "pip-cache", ignore_errors=True)
                cold[tool].append(build(cache, specs, tool))
                print(f"  cold {tool}: {cold[tool][-1]:.2f} s", flush=True)
        warm: dict[str, list[float]] = {"uv": [], "pip": []}
        for _ in range(args.runs):  # alternating, so both see the same machine
            for tool in ("uv", "pip"):
                warm[tool].append(build(cache, specs, tool))
                print(f"  warm {tool}: {warm[tool][-1]:.2f} s", flush=True)
        print(row("cold caches (downloads)", cold["uv"], cold["pip"]))
        print(row("warm caches", warm["uv"], warm["pip"]))
        goal = statistics.median(warm["uv"])
        print(f"goal: warm build < 2 s: {'met' if goal < 2 else 'missed'} ({goal:.2f} s)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Helpers for tests against the real single-node SLURM that scripts/ci/slurm.sh starts."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from support import require, require_command

HOW = "run `sudo scripts/ci/slurm.sh start` (installs and starts a single-node SLURM)"


USABLE = ("idle", "mixed", "allocated")


def require_slurm(pbs: bool = False) -> None:
    """Fail (CI) or skip unless SLURM answers and its node accepts jobs."""
    for cmd in ("sbatch", "squeue", "scancel", "sinfo", "scontrol") + (("qsub", "qstat", "qdel") if pbs else ()):
        require_command(cmd, HOW)
    host = socket.gethostname().split(".")[0]
    deadline = time.monotonic() + 15  # a node still completing the previous test's jobs gets a moment
    while True:
        try:
            out = subprocess.run(["sinfo", "-h", "-n", host, "-o", "%T"], capture_output=True, text=True,
                                 timeout=20).stdout.split()
        except subprocess.TimeoutExpired:
            out = []
        state = out[0].rstrip("*~#!%$@^-+") if out else "unreachable"  # drop flags such as mixed- (planned)
        if state in USABLE or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    require(state in USABLE, f"SLURM node {host} (state {state!r}, want idle or mixed)", HOW)


def squeue_ids(name: str) -> list[str]:
    """Ids of the jobs named `name` that squeue still lists (pending, running, completing)."""
    out = subprocess.run(["squeue", "-h", "-n", name, "-o", "%i"], capture_output=True, text=True, timeout=20)
    return out.stdout.split()


def job_state(job_id: str) -> str:
    out = subprocess.run(["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T"], capture_output=True,
                         text=True, timeout=20)
    return out.stdout.strip() or "GONE"


def sbatch_sleep(name: str, seconds: int = 120, partition: str | None = None, cwd: Path | None = None) -> str:
    """Submit a plain sleeping job; its id."""
    args = ["sbatch", "--parsable", "-J", name, "-t", "5", "-o", "/dev/null", "-e", "/dev/null"]
    if partition:
        args += ["-p", partition]
    args += ["--wrap", f"sleep {seconds}"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=20, cwd=cwd, check=True)
    return out.stdout.strip().split(";")[0]


def scancel(*job_ids: str) -> None:
    if job_ids:
        subprocess.run(["scancel", *job_ids], capture_output=True, timeout=20)


def _polls(predicate, timeout: float, what: str):
    """Yields between tries of `predicate` until it returns something truthy (its value ends the generator)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        yield
    return value


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy (bounded)."""
    polls = _polls(predicate, timeout, what)
    try:
        while True:
            next(polls)
            time.sleep(interval)
    except StopIteration as done:
        return done.value


async def async_wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    """wait_for without blocking the event loop."""
    polls = _polls(predicate, timeout, what)
    try:
        while True:
            next(polls)
            await asyncio.sleep(interval)
    except StopIteration as done:
        return done.value


def new_session() -> str:
    return f"t{os.getpid()}x{uuid.uuid4().hex[:6]}"


def settings(tmp_path: Path, **profiles: dict) -> dict:
    """imjoy-hpc settings with the given profiles, state under tmp_path; workers talk over loopback."""
    out: dict = {"state-dir": str(tmp_path / "state"), "default-profile": next(iter(profiles)), "profiles": {}}
    for name, prof in profiles.items():
        base = {"cores": 1, "memory": "1GB", "interface": "lo", "walltime": "00:10:00", "poll-interval": 0.5}
        if prof.get("backend", "local") == "local":
            base = {}
        base.update(prof)
        out["profiles"][name] = base
    return out


FAN_OUT_PROBE = """
import sys
from distributed import Client
client = Client(sys.argv[1], timeout=20)
print("answer", client.submit(lambda: 6 * 7).result(timeout=30))
client.close()
"""


def fan_out_from_a_child_process(address: str) -> str:
    """Runs as a plugin task: a separate process (as a plugin's own) submits work to the plugin's scheduler."""
    import sys

    proc = subprocess.run([sys.executable, "-c", FAN_OUT_PROBE, address], capture_output=True, text=True,
                          timeout=90)
    return proc.stdout.strip() or proc.stderr[-2000:]

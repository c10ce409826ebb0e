"""What the ClusterManager tests of every scheduler share: functions the worker jobs run, a runner with a bound,
the leftover-jobs check after a test, and the orphan-jobs scenario (a dead gateway session's job cancelled,
a live one's kept)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from imjoy_hpc.cluster import cancel_orphans, job_name
from imjoy_hpc.cluster.sessions import record_session
from slurm_support import new_session, wait_for

Listed = Callable[[str], list[str]]  # ids of the jobs whose name contains the given part
Cancel = Callable[..., None]


def sleeper(seconds: float) -> int:
    """Runs inside the worker job."""
    time.sleep(seconds)
    return os.getpid()


def run(coro, timeout: float = 120):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def checked_session(listed: Listed, cancel: Cancel) -> Iterator[str]:
    """A fresh gateway session name (for a fixture to yield); afterwards no job of it may be left."""
    name = new_session()
    yield name
    left = listed(job_name(name))
    cancel(*left)
    assert not left, f"jobs left behind by session {name}: {left}"


def orphan_sessions(state: Path, session: str) -> tuple[str, str, Path]:
    """Records of a dead session (its gateway process has exited) and a live one (this process) in `state`:
    (dead name, live name, the dead session's record)."""
    dead, live = f"{session}dead", session
    proc = subprocess.Popen(["true"])
    proc.wait(timeout=10)
    record_session(state, dead)
    rec = state / "sessions" / f"{dead}.json"
    rec.write_text(rec.read_text().replace(f'"pid": {os.getpid()}', f'"pid": {proc.pid}'))
    record_session(state, live)
    return dead, live, rec


def assert_orphans_cancelled(tmp_path: Path, session: str, backend: str, submit: Callable[[str], str],
                             listed: Listed, cancel: Cancel, timeout: float = 20) -> None:
    """A plain job named for a dead session is cancelled by cancel_orphans; one of a live session stays."""
    state = tmp_path / "state"
    dead, live, rec = orphan_sessions(state, session)
    dead_job, live_job = submit(job_name(dead)), submit(job_name(live))
    try:
        assert cancel_orphans(state, backends=[backend]) == [dead_job]
        wait_for(lambda: not listed(job_name(dead)), timeout, what="the orphan to leave the queue")
        assert listed(job_name(live)) == [live_job]
        assert not rec.exists()
    finally:
        cancel(dead_job, live_job)
        wait_for(lambda: not listed(job_name(dead)) and not listed(job_name(live)), timeout,
                 what="test jobs to leave the queue")

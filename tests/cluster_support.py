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
from typing import Any

from imjoy_hpc.cluster import cancel_orphans, job_name
from imjoy_hpc.cluster.gateway_records import record_gateway
from slurm_support import async_wait_for, new_session, wait_for

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
    record_gateway(state, dead)
    rec = state / "sessions" / f"{dead}.json"
    rec.write_text(rec.read_text().replace(f'"pid": {os.getpid()}', f'"pid": {proc.pid}'))
    record_gateway(state, live)
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


# --- scenarios the scheduler tests run on a ClusterManager `m` (each returns what its test checks) -------------
async def two_plugins_in_one_job(m, profile: str, fn: Callable, listed_now: Callable[[], Any]) -> tuple:
    """A first plugin runs (its status and the queue as listed then), a second joins its warm job; both results
    and the manager's job ids."""
    p = m.resolve(profile)
    f1 = await m.launch(p, fn, 1.0, key="first")
    # The plugin may run before the manager's next poll of the scheduler has seen its job start.
    await async_wait_for(lambda: (s := m.status("first"))["state"] == "running" and s["scheduler_state"] == "RUNNING",
                         60, what="first plugin running, its job seen running by the manager's poll")
    running, listed = m.status("first"), listed_now()
    f2 = await m.launch(p, fn, 0.0, key="second")
    r1, r2 = await asyncio.wait_for((await m.client(p)).gather([f1, f2]), 60)
    return running, listed, r1, r2, m.job_ids()


async def queued_until_freed(m, profile: str, fn: Callable, free: Callable[[], None], *args: Any) -> tuple:
    """A plugin waits in a full queue (its pending status), runs once `free()` made room; (pending, result)."""
    p = m.resolve(profile)
    fut = await m.launch(p, fn, *args, key="waiting")
    pending = await async_wait_for(
        lambda: (s := m.status("waiting"))["scheduler_state"] == "PENDING" and s["reason"] and s,
        30, what="the pending reason")
    free()
    return pending, await asyncio.wait_for((await m.client(p)).gather(fut), 60)


async def job_killed_under_a_plugin(m, profile: str, events: list, kill: Callable[[str], None]) -> tuple:
    """A running plugin's job is killed by `kill(job_id)`; (job id, the plugin future's status, its status)."""
    p = m.resolve(profile)
    fut = await m.launch(p, sleeper, 120, key="victim")
    await async_wait_for(lambda: m.status("victim")["state"] == "running", 60, what="plugin running")
    jid = m.status("victim")["job_id"]
    kill(jid)
    await async_wait_for(lambda: events, 30, interval=0.1, what="the worker-lost event")
    await async_wait_for(fut.done, 10, what="the plugin's future to fail")
    return jid, fut.status, m.status("victim")


def with_manager(conf: dict, session: str, tmp_path: Path, scenario: Callable, *args: Any,
                 on_event: Callable | None = None, timeout: float = 120) -> Any:
    """Run `scenario(manager, *args)` on a fresh ClusterManager (logs in tmp_path/logs), closed afterwards."""
    from imjoy_hpc.cluster import ClusterManager

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs", on_event=on_event)
        try:
            return await scenario(m, *args)
        finally:
            await m.close()

    return run(body(), timeout)

"""ClusterManager on a real single-node SLURM (scripts/ci/slurm.sh start): jobs, slots, pending reasons, faults."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time

import pytest

from cluster_support import checked_session, orphan_sessions, run, sleeper
from imjoy_hpc.cluster import ClusterManager, ResourceLimitError, cancel_orphans, job_name
from slurm_support import (async_wait_for, fan_out_from_a_child_process, job_state, require_slurm, sbatch_sleep,
                           scancel, settings, squeue_ids, wait_for)

pytestmark = pytest.mark.slurm


@pytest.fixture(scope="session")
def slurm():
    require_slurm()


@pytest.fixture
def session(slurm):
    """A fresh gateway session name; after the test no job of it may be left in the queue."""
    yield from checked_session(squeue_ids, scancel)


def job_env(seconds: float = 0.0) -> dict:
    """Runs inside the worker job."""
    time.sleep(seconds)
    return {"SLURM_JOB_ID": os.environ.get("SLURM_JOB_ID"), "PBS_JOBID": os.environ.get("PBS_JOBID"),
            "pid": os.getpid(), "cwd": os.getcwd()}


def test_plugins_run_in_a_slurm_job_and_share_one_warm_worker(tmp_path, session, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    conf = settings(tmp_path, slurm={"backend": "slurm", "plugin-slots": 2, "max-jobs": 2})

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs")
        try:
            p = m.resolve("slurm")
            f1 = await m.launch(p, job_env, 3.0, key="first")
            st = await async_wait_for(lambda: m.status("first")["job_id"] and m.status("first"), 30,
                                      what="a job id for the first plugin")
            listed = squeue_ids(job_name(session))
            # The plugin may run before the manager's next poll of the scheduler has seen its job start.
            await async_wait_for(lambda: (s := m.status("first"))["state"] == "running"
                                 and s["scheduler_state"] == "RUNNING", 60,
                                 what="first plugin running, its job seen running by the manager's poll")
            running = m.status("first")
            f2 = await m.launch(p, job_env, 0.0, key="second")
            client = await m.client(p)
            r1, r2 = await asyncio.wait_for(client.gather([f1, f2]), 60)
            jobs = m.list_jobs()
            still_listed = squeue_ids(job_name(session))
            await m.release("first")
            await m.release("second")
        finally:
            await m.close()
        return st, listed, running, r1, r2, jobs, still_listed

    st, listed, running, r1, r2, jobs, still_listed = run(body())
    jid = st["job_id"]
    assert listed == [jid]  # squeue showed exactly the job we report
    assert running["scheduler_state"] == "RUNNING" and running["node"]
    assert 0 < running["walltime_left"] <= 600
    assert r1["SLURM_JOB_ID"] == jid
    assert r2["SLURM_JOB_ID"] == jid and r2["pid"] == r1["pid"]  # second plugin: same warm worker, no new job
    assert still_listed == [jid] and [j["job_id"] for j in jobs] == [jid]
    assert squeue_ids(job_name(session)) == []  # close() waited until squeue forgot the job
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert f"{job_name(session)}-{jid}.err" in logs
    assert list(cwd.iterdir()) == []  # nothing written to the gateway's working directory


def test_plugin_in_a_job_fans_work_out_to_its_scheduler_over_tls(tmp_path, session):
    conf = settings(tmp_path, slurm={"backend": "slurm", "plugin-slots": 2})

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs")
        try:
            p = m.resolve("slurm")
            client = await m.client(p)
            address = m.scheduler_address(p)
            fut = await m.launch(p, fan_out_from_a_child_process, address, key="fan")
            return address, await asyncio.wait_for(client.gather(fut), 90)
        finally:
            await m.close()

    address, answer = run(body())
    assert address.startswith("tls://127.0.0.1:")
    assert answer == "answer 42"


def test_request_above_a_limit_is_refused_before_any_job(tmp_path, session):
    conf = settings(tmp_path, slurm={"backend": "slurm", "limits": {"max-walltime": "24:00:00", "max-cores": 2}})
    m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs")
    with pytest.raises(ResourceLimitError, match="walltime 48:00:00 exceeds the limit 24:00:00 of profile 'slurm'"):
        m.resolve("slurm", {"walltime": "48:00:00"})
    with pytest.raises(ResourceLimitError, match="cores 4 exceeds the limit 2 of profile 'slurm'"):
        m.resolve("slurm", {"cores": 4})
    run(m.close())
    assert squeue_ids(job_name(session)) == []


def test_partition_slurm_rejects_is_a_clear_error(tmp_path, session):
    conf = settings(tmp_path, bad={"backend": "slurm", "queue": "no-such-partition"})

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs")
        try:
            with pytest.raises(ValueError) as exc:
                await m.launch(m.resolve("bad"), job_env, key="x")
            return str(exc.value)
        finally:
            await m.close()

    message = run(body())
    assert "profile 'bad'" in message and "partition" in message.lower()


def test_submission_refused_after_start_fails_the_waiting_plugin_with_slurms_words(tmp_path, session):
    # A partition that closes after the cluster started: sbatch itself refuses the worker job.
    part = f"imjoy{session[-6:]}"
    subprocess.run(["scontrol", "create", f"PartitionName={part}", "Nodes=ALL", "State=UP"], check=True, timeout=20)
    events: list[dict] = []
    try:
        conf = settings(tmp_path, closing={"backend": "slurm", "queue": part})

        async def body():
            m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs", on_event=events.append)
            try:
                p = m.resolve("closing")
                await m.client(p)
                subprocess.run(["scontrol", "update", f"PartitionName={part}", "State=INACTIVE"], check=True,
                               timeout=20)
                fut = await m.launch(p, job_env, key="doomed")
                await async_wait_for(lambda: events, 20, what="the submit-failed event")
                await async_wait_for(fut.done, 10, what="the plugin's future to end")
                return fut.status, m.status("doomed")
            finally:
                await m.close()

        status, st = run(body())
    finally:
        subprocess.run(["scontrol", "delete", f"PartitionName={part}"], timeout=20)
    (event,) = events
    assert event["type"] == "submit-failed" and event["key"] == "doomed"
    assert "Required partition not available" in event["reason"]
    assert status == "cancelled" and st["state"] == "ended"


def test_job_pending_behind_a_full_partition_reports_queued_with_reason(tmp_path, session):
    # Partition "tiny" has one CPU in all: a plain job fills it, our worker job must wait.
    filler = sbatch_sleep(f"imjoy-hpc-test-filler-{session}", 120, partition="tiny")
    try:
        wait_for(lambda: job_state(filler) == "RUNNING", 30, what="the filler job to run")
        conf = settings(tmp_path, tiny={"backend": "slurm", "queue": "tiny"})

        async def body():
            m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs")
            try:
                p = m.resolve("tiny")
                fut = await m.launch(p, job_env, 2.0, key="waiting")
                pending = await async_wait_for(
                    lambda: (s := m.status("waiting"))["scheduler_state"] == "PENDING" and s["reason"] and s,
                    30, what="the pending reason")
                scancel(filler)
                await async_wait_for(lambda: m.status("waiting")["state"] in ("running", "ended"), 60,
                                     what="the plugin to run once the partition has room")
                result = await asyncio.wait_for((await m.client(p)).gather(fut), 30)
                return pending, result
            finally:
                await m.close()

        pending, result = run(body())
    finally:
        scancel(filler)
    assert pending["state"] == "queued"
    assert pending["reason"] in ("Resources", "Priority")
    assert pending["job_id"] and result["SLURM_JOB_ID"] == pending["job_id"]


def test_scancel_of_the_worker_job_is_reported_promptly(tmp_path, session):
    events: list[dict] = []
    conf = settings(tmp_path, slurm={"backend": "slurm"})

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs", on_event=events.append)
        try:
            p = m.resolve("slurm")
            fut = await m.launch(p, sleeper, 120, key="victim")
            await async_wait_for(lambda: m.status("victim")["state"] == "running", 60, what="plugin running")
            jid = m.status("victim")["job_id"]
            subprocess.run(["scancel", jid], check=True, timeout=20)
            t0 = time.monotonic()
            await async_wait_for(lambda: events, 15, interval=0.05, what="the worker-lost event")
            elapsed = time.monotonic() - t0
            await async_wait_for(fut.done, 10, what="the plugin's future to fail")
            st = m.status("victim")
            # the profile keeps working: a new plugin gets a new job
            again = await m.launch(p, job_env, key="after")
            result = await asyncio.wait_for((await m.client(p)).gather(again), 60)
            return jid, elapsed, fut.status, st, result, m.status("after")["job_id"], m.job_ids()
        finally:
            await m.close()

    jid, elapsed, status, st, result, after_job, ids = run(body())
    assert result["SLURM_JOB_ID"] not in (None, jid)
    assert after_job == result["SLURM_JOB_ID"] and ids == {jid, after_job}
    print(f"worker-lost event {elapsed:.2f} s after scancel")
    assert elapsed < 15
    (event,) = events
    assert event["type"] == "worker-lost" and event["key"] == "victim" and event["job_id"] == jid
    assert event["scheduler_state"] == "CANCELLED"
    assert "cancelled" in event["reason"]
    assert f"JOB {jid} ON" in event["stderr_tail"] and "CANCELLED" in event["stderr_tail"]
    assert status == "error"  # the plugin is not silently restarted elsewhere
    assert st["state"] == "ended" and st["scheduler_state"] == "CANCELLED"


def test_idle_job_is_released_after_idle_timeout_and_warm_job_is_kept(tmp_path, session):
    conf = settings(tmp_path,
                    cold={"backend": "slurm", "idle-timeout": 1},
                    warm={"backend": "slurm", "idle-timeout": 1, "warm": 1, "job-extra-directives": ["--comment=w"]})

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs")
        try:
            warm = m.resolve("warm")
            await m.client(warm)  # a warm job starts with the cluster, before any plugin
            warm_job = await async_wait_for(lambda: [j["job_id"] for j in m.list_jobs() if j["job_id"]], 30,
                                            what="the warm job")
            cold = m.resolve("cold")
            fut = await m.launch(cold, job_env, key="short")
            result = await asyncio.wait_for((await m.client(cold)).gather(fut), 60)
            await m.release("short")
            await async_wait_for(lambda: result["SLURM_JOB_ID"] not in squeue_ids(job_name(session)), 20,
                                 what="the idle job to be released")
            listed = squeue_ids(job_name(session))
            fut2 = await m.launch(warm, job_env, key="on-warm")
            r2 = await asyncio.wait_for((await m.client(warm)).gather(fut2), 60)
            return warm_job, listed, r2
        finally:
            await m.close()

    (warm_job,), listed, r2 = run(body())
    assert listed == [warm_job]  # the idle cold job went, the warm one stayed
    assert r2["SLURM_JOB_ID"] == warm_job


def test_orphan_jobs_of_a_dead_session_are_cancelled(tmp_path, session):
    state = tmp_path / "state"
    dead, live, rec = orphan_sessions(state, session)
    unknown = f"{session}other"  # recorded elsewhere (another state dir): not ours to judge
    dead_job = sbatch_sleep(job_name(dead), 120)
    live_job = sbatch_sleep(job_name(live), 120)
    other_job = sbatch_sleep(job_name(unknown), 120)
    try:
        cancelled = cancel_orphans(state, backends=["slurm"])
        assert cancelled == [dead_job]
        wait_for(lambda: dead_job not in squeue_ids(job_name(dead)), 15, what="the orphan to leave squeue")
        assert squeue_ids(job_name(live)) == [live_job]
        assert squeue_ids(job_name(unknown)) == [other_job]
        assert not rec.exists()
    finally:
        scancel(dead_job, live_job, other_job)
        wait_for(lambda: not any(squeue_ids(job_name(s)) for s in (dead, live, unknown)), 15,
                 what="test jobs to leave squeue")


@pytest.mark.slow
def test_walltime_warning_then_timeout_is_reported(tmp_path, session):
    events: list[dict] = []
    conf = settings(tmp_path, short={"backend": "slurm", "walltime": "00:01:00", "walltime-warning": 50})

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs", on_event=events.append)
        try:
            p = m.resolve("short")
            await m.launch(p, sleeper, 600, key="long-plugin")
            await async_wait_for(lambda: m.status("long-plugin")["state"] == "running", 60, what="plugin running")
            t_run = time.monotonic()
            await async_wait_for(lambda: any(e["type"] == "walltime-warning" for e in events), 30,
                                 what="the walltime warning")
            warned_after = time.monotonic() - t_run
            # Slurm enforces a 1-minute limit 60-90 s after the start.
            await async_wait_for(lambda: any(e["type"] == "worker-lost" for e in events), 150, interval=0.5,
                                 what="the worker-lost event at the walltime")
            return warned_after
        finally:
            await m.close()

    warned_after = run(body(), timeout=240)
    warning = next(e for e in events if e["type"] == "walltime-warning")
    lost = next(e for e in events if e["type"] == "worker-lost")
    assert warning["key"] == "long-plugin" and 0 < warning["seconds_left"] <= 50
    assert warned_after < 25
    assert lost["key"] == "long-plugin" and lost["scheduler_state"] == "TIMEOUT"
    assert "walltime" in lost["reason"] and "TIME LIMIT" in lost["stderr_tail"]


def test_job_that_dies_before_its_worker_starts_fails_the_waiting_plugin_with_its_stderr(tmp_path, session):
    events: list[dict] = []
    conf = settings(tmp_path, broken={"backend": "slurm",
                                      "job-script-prologue": ["echo 'module: nosuchmodule not found' >&2",
                                                              "exit 3"]})

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs", on_event=events.append)
        try:
            fut = await m.launch(m.resolve("broken"), job_env, key="never")
            await async_wait_for(lambda: events, 30, what="the worker-lost event")
            await async_wait_for(fut.done, 10, what="the plugin's future to end")
            await asyncio.sleep(1.5)  # no replacement job is submitted for a plugin that already failed
            return fut.status, m.job_ids()
        finally:
            await m.close()

    status, ids = run(body())
    (event,) = events
    assert event["type"] == "worker-lost" and event["key"] == "never"
    assert event["scheduler_state"] == "FAILED" and event["exit_code"].startswith("3:")
    assert "nosuchmodule not found" in event["stderr_tail"]
    assert status == "cancelled" and len(ids) == 1

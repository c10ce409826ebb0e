"""ClusterManager on a real single-node OpenPBS server (scripts/ci/openpbs.sh; these tests run inside its network
namespace): plugins in PBS jobs with ids `N.server`, the scheduler's comment as the pending reason, a request no
node can take failed with PBS's words, qdel reported from the job history's Exit_status, orphans cancelled,
walltime warning then the end. The node has 2 CPUs."""

from __future__ import annotations

import os
import time

import pytest

from cluster_support import (assert_orphans_cancelled, checked_session, job_killed_under_a_plugin, queued_until_freed,
                             run, sleeper, two_plugins_in_one_job, with_manager)
from imjoy_hpc.cluster import ClusterManager, job_name
from openpbs_support import HOST, JOB_ID, jobs_env, qdel, qstat_ids, qstat_jobs, qsub_sleep, require_openpbs
from slurm_support import async_wait_for, settings, wait_for

pytestmark = pytest.mark.openpbs


@pytest.fixture
def pbs(monkeypatch):
    """PBS's environment in this process (the in-process manager runs its commands)."""
    env = require_openpbs()
    for key in ("PATH", "PBS_CONF_FILE"):
        monkeypatch.setenv(key, env[key])
    return env


@pytest.fixture
def session(pbs):
    """A fresh gateway session name; after the test no job of it may be left in the queue."""
    yield from checked_session(qstat_ids, qdel)


def pbs_settings(tmp_path, **profile) -> dict:
    return settings(tmp_path, pbs={"backend": "pbs", "job-extra-directives": jobs_env(), **profile})


def job_env(seconds: float = 0.0) -> dict:
    """Runs inside the worker job."""
    time.sleep(seconds)
    return {"PBS_JOBID": os.environ.get("PBS_JOBID"), "pid": os.getpid()}


def test_plugins_run_in_a_pbs_job_and_share_its_worker(tmp_path, session, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    conf = pbs_settings(tmp_path, **{"plugin-slots": 2, "max-jobs": 1})

    running, listed, r1, r2, ids = with_manager(conf, session, tmp_path, two_plugins_in_one_job, "pbs", job_env,
                                                qstat_jobs)
    jid = running["job_id"]
    assert JOB_ID.fullmatch(jid), f"{jid!r} is no OpenPBS job id (N.{HOST}): did the test reach Slurm's qsub?"
    assert listed[jid]["Job_Name"] == job_name(session) and listed[jid]["job_state"] == "R"
    assert listed[jid]["Resource_List"]["ncpus"] == 1 and listed[jid]["Resource_List"]["walltime"] == "00:10:00"
    assert running["scheduler_state"] == "RUNNING" and running["node"] == HOST
    assert 0 < running["walltime_left"] <= 600
    assert r1["PBS_JOBID"] == jid and r2["PBS_JOBID"] == jid and r2["pid"] == r1["pid"] and ids == {jid}
    assert qstat_ids(job_name(session)) == []  # close() left no job
    assert list(cwd.iterdir()) == []


def test_job_pending_behind_a_full_node_reports_queued_with_the_scheduler_comment(tmp_path, session):
    filler = qsub_sleep(f"imjoy-hpc-test-filler-{session}", 120, ncpus=2)  # both CPUs of the node
    try:
        wait_for(lambda: qstat_jobs().get(filler, {}).get("job_state") == "R", 30, what="the filler job to run")

        pending, result = with_manager(pbs_settings(tmp_path), session, tmp_path, queued_until_freed, "pbs", job_env,
                                       lambda: qdel(filler))
    finally:
        qdel(filler)
    assert pending["state"] == "queued"
    assert pending["reason"].startswith("Not Running: ") and ("Not enough free nodes" in pending["reason"]
                                                              or "Insufficient amount of resource" in pending["reason"])
    assert result["PBS_JOBID"] == pending["job_id"]


@pytest.mark.parametrize("request_, event_type, words", [
    ({"cores": 16}, "worker-lost", "Can Never Run: Insufficient amount of resource: ncpus (R: 16 A: 2 T: 2)"),
    ({"gpus": 1}, "submit-failed", "qsub: Unknown resource: ngpus"),  # select=1:ncpus=1:mem=...:ngpus=1
])
def test_a_request_this_server_cannot_serve_fails_the_plugin_with_pbs_words(tmp_path, session, request_,
                                                                          event_type, words):
    events: list[dict] = []

    async def body():
        m = ClusterManager(pbs_settings(tmp_path, **request_), run_id=session, log_dir=tmp_path / "logs",
                           on_event=events.append)
        try:
            p = m.resolve("pbs")
            fut = await m.launch(p, job_env, key="too-big")
            await async_wait_for(lambda: events, 30, what="the plugin to fail")
            await async_wait_for(fut.done, 10, what="the plugin's future to end")
            return m.status("too-big")
        finally:
            await m.close()

    st = run(body())
    (event,) = events
    assert event["type"] == event_type and event["key"] == "too-big", event
    assert words in event["reason"], event
    assert event_type != "worker-lost" or JOB_ID.fullmatch(event["job_id"])
    assert st["state"] == "ended"


def test_qdel_of_the_worker_job_is_reported_from_the_job_history(tmp_path, session):
    events: list[dict] = []

    jid, status, st = with_manager(pbs_settings(tmp_path), session, tmp_path, job_killed_under_a_plugin, "pbs", events,
                                   qdel, on_event=events.append)
    (event,) = events
    assert event["type"] == "worker-lost" and event["key"] == "victim" and event["job_id"] == jid
    assert event["scheduler_state"] == "CANCELLED" and "cancelled" in event["reason"], event
    assert "Exit_status" in event["reason"], event
    assert status == "error" and st["state"] == "ended" and st["scheduler_state"] == "CANCELLED"
    history = qstat_jobs(history=True)[jid]
    assert history["job_state"] == "F" and str(history["Exit_status"]) in event["reason"]


def test_orphan_jobs_of_a_dead_session_are_cancelled(tmp_path, session):
    assert_orphans_cancelled(tmp_path, session, "pbs", qsub_sleep, qstat_ids, qdel)


@pytest.mark.slow
def test_walltime_warning_then_the_walltime_end_is_reported(tmp_path, session):
    events: list[dict] = []
    conf = pbs_settings(tmp_path, walltime="00:00:40", **{"walltime-warning": 30})

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs", on_event=events.append)
        try:
            p = m.resolve("pbs")
            await m.launch(p, sleeper, 600, key="long-plugin")
            await async_wait_for(lambda: m.status("long-plugin")["state"] == "running", 60, what="plugin running")
            await async_wait_for(lambda: any(e["type"] == "walltime-warning" for e in events), 30,
                                 what="the walltime warning")
            await async_wait_for(lambda: any(e["type"] == "worker-lost" for e in events), 120, interval=0.5,
                                 what="the worker-lost event at the walltime")
        finally:
            await m.close()

    run(body(), timeout=240)
    warning = next(e for e in events if e["type"] == "walltime-warning")
    lost = next(e for e in events if e["type"] == "worker-lost")
    assert warning["key"] == "long-plugin" and 0 < warning["seconds_left"] <= 30
    assert lost["key"] == "long-plugin" and lost["scheduler_state"] == "TIMEOUT", lost
    assert "walltime" in lost["reason"] and "Exit_status -29" in lost["reason"], lost
    assert "walltime" in lost["stderr_tail"], lost

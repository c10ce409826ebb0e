"""ClusterManager on a real single-node Grid Engine (scripts/ci/gridengine.sh start): plugins in GE jobs, pending
reasons from `qstat -j`, qdel reported from the accounting record, orphans cancelled. The queue has 2 slots."""

from __future__ import annotations

import os
import time

import pytest

from cluster_support import (assert_orphans_cancelled, checked_session, job_killed_under_a_plugin, queued_until_freed,
                             two_plugins_in_one_job, with_manager)
from gridengine_support import (jobs_env, qdel, qstat_ids, qstat_jobs, qstat_jobs_settled, qsub_sleep,
                                require_gridengine)
from imjoy_hpc.cluster import job_name
from slurm_support import settings, wait_for

pytestmark = pytest.mark.sge


@pytest.fixture
def ge(monkeypatch):
    """Grid Engine's environment in this process (the in-process manager runs its commands)."""
    env = require_gridengine()
    for key in ("SGE_ROOT", "SGE_CELL", "SGE_QMASTER_PORT", "SGE_EXECD_PORT", "PATH"):
        monkeypatch.setenv(key, env[key])
    return env


@pytest.fixture
def session(ge):
    """A fresh gateway session name; after the test no job of it may be left in the queue."""
    yield from checked_session(qstat_ids, qdel)


def sge_settings(tmp_path, **profile) -> dict:
    return settings(tmp_path, sge={"backend": "sge", "job-extra-directives": jobs_env(), **profile})


def job_env(seconds: float = 0.0) -> dict:
    """Runs inside the worker job."""
    time.sleep(seconds)
    return {"JOB_ID": os.environ.get("JOB_ID"), "pid": os.getpid()}


def test_plugins_run_in_a_grid_engine_job_and_share_its_worker(tmp_path, session, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    conf = sge_settings(tmp_path, **{"plugin-slots": 2, "max-jobs": 1})

    running, listed, r1, r2, ids = with_manager(conf, session, tmp_path, two_plugins_in_one_job, "sge", job_env,
                                                qstat_jobs_settled)
    jid = running["job_id"]
    assert listed[jid][0] == job_name(session) and "r" in listed[jid][1]  # qstat: our job, running
    assert running["scheduler_state"] == "RUNNING" and running["node"]
    assert 0 < running["walltime_left"] <= 600
    assert r1["JOB_ID"] == jid and r2["JOB_ID"] == jid and r2["pid"] == r1["pid"] and ids == {jid}
    assert qstat_ids(job_name(session)) == []  # close() left no job
    assert f"{job_name(session)}.o{jid}" in os.listdir(tmp_path / "logs")
    assert list(cwd.iterdir()) == []


def test_job_pending_behind_a_full_queue_reports_queued_with_the_scheduling_info(tmp_path, session):
    fillers = [qsub_sleep(f"imjoy-hpc-test-filler-{session}", 120) for _ in range(2)]  # both slots
    try:
        wait_for(lambda: all("r" in qstat_jobs().get(f, ("", ""))[1] for f in fillers), 30,
                 what="the filler jobs to run")

        pending, result = with_manager(sge_settings(tmp_path), session, tmp_path, queued_until_freed, "sge", job_env,
                                       lambda: qdel(*fillers))
    finally:
        qdel(*fillers)
    assert pending["state"] == "queued"
    assert "dropped because it is full" in pending["reason"], pending["reason"]
    assert result["JOB_ID"] == pending["job_id"]


def test_qdel_of_the_worker_job_is_reported_from_the_accounting_record(tmp_path, session):
    events: list[dict] = []

    jid, status, st = with_manager(sge_settings(tmp_path), session, tmp_path, job_killed_under_a_plugin, "sge", events,
                                   qdel, on_event=events.append)
    (event,) = events
    assert event["type"] == "worker-lost" and event["key"] == "victim" and event["job_id"] == jid
    assert event["scheduler_state"] == "CANCELLED" and "cancelled" in event["reason"]
    assert status == "error" and st["state"] == "ended" and st["scheduler_state"] == "CANCELLED"


def test_orphan_jobs_of_a_dead_session_are_cancelled(tmp_path, session):
    assert_orphans_cancelled(tmp_path, session, "sge", qsub_sleep, qstat_ids, qdel)
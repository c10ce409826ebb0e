"""The PBS backend with Torque-style commands (Slurm's slurm-wlm-torque wrappers): `qstat -f` text, bare job ids,
and a qsub that drops job logs in its working directory. The real OpenPBS server is tested in *_openpbs.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time

import pytest

from imjoy_hpc.cluster import ClusterManager, job_name
from slurm_support import async_wait_for, new_session, require_slurm, scancel, settings, squeue_ids

pytestmark = [pytest.mark.slurm, pytest.mark.torque]


@pytest.fixture(scope="session")
def pbs():
    require_slurm(pbs=True)


def job_env(seconds: float = 0.0) -> dict:
    """Runs inside the worker job."""
    time.sleep(seconds)
    return {k: os.environ.get(k) for k in ("PBS_JOBID", "SLURM_JOB_ID")}


def qstat_active(job_ids: list[str]) -> list[str]:
    """Ids among `job_ids` that qstat shows in a state other than completed."""
    out = subprocess.run(["qstat", "-f", *job_ids], capture_output=True, text=True, timeout=20).stdout
    active, current = [], None
    for line in out.splitlines():
        if line.startswith("Job Id:"):
            current = line.split(":", 1)[1].strip()
        elif "job_state = " in line and current and line.split("=")[1].strip() not in ("C", "F"):
            active.append(current)
    return active


def test_plugin_runs_in_a_job_submitted_with_qsub_and_logs_land_in_log_dir(tmp_path, pbs, monkeypatch):
    session = new_session()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    conf = settings(tmp_path, pbs={"backend": "pbs", "plugin-slots": 2})

    async def body():
        m = ClusterManager(conf, run_id=session, log_dir=tmp_path / "logs")
        try:
            p = m.resolve("pbs")
            f1 = await m.launch(p, job_env, 1.0, key="a")
            f2 = await m.launch(p, job_env, 1.0, key="b")
            st = await async_wait_for(lambda: (s := m.status("a"))["state"] in ("running", "ended") and s, 60,
                                      what="the plugin to run")
            results = await asyncio.wait_for((await m.client(p)).gather([f1, f2]), 60)
            return st, results, m.job_ids()
        finally:
            await m.close()

    try:
        st, (r1, r2), ids = asyncio.run(asyncio.wait_for(body(), 120))
    finally:
        scancel(*squeue_ids(job_name(session)))
    jid = st["job_id"]
    assert ids == {jid}  # both plugins in one job
    assert r1["PBS_JOBID"] == jid and r2["PBS_JOBID"] == jid
    assert st["scheduler_state"] == "RUNNING"
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert any(name.endswith(f".e{jid}") for name in logs) and any(name.endswith(f".o{jid}") for name in logs)
    assert list(cwd.iterdir()) == []  # qsub's own -e/-o did not drop logs in the gateway's cwd
    assert qstat_active([jid]) == []  # close() waited until qstat shows the job finished ...
    assert squeue_ids(job_name(session)) == []  # ... and, under these wrappers, until Slurm forgot it

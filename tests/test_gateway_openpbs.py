"""Plugins in real OpenPBS jobs, loaded through the gateway by the real imjoy-rpc client (these tests run inside
PBS's network namespace; the gateway runs with PBS's commands first on PATH)."""

import signal

import numpy as np
import pytest
from gateway_support import (connect, disconnect, killed_during_a_call, queued_then_running, start_gateway,
                             walltime_expiry)
from openpbs_support import (HOST, JOB_ID, PBS_BIN, jobs_env, qdel, qstat_ids, qstat_jobs, qsub_sleep, require_openpbs,
                             run)
from slurm_support import async_wait_for, wait_for

pytestmark = [pytest.mark.openpbs, pytest.mark.timeout(300)]

PROFILE = {"backend": "pbs", "cores": 1, "memory": "1GB", "interface": "lo", "walltime": "00:10:00",
           "plugin-slots": 3, "max-jobs": 1, "idle-timeout": 5, "poll-interval": 0.5,
           "job-extra-directives": jobs_env(), "limits": {"max-walltime": "01:00:00", "max-cores": 2}}
SETTINGS = {"default-profile": "pbs", "profiles": {"pbs": PROFILE}}

SLEEPER = """<config lang="json">{"name": "PBS Sleeper", "type": "native-python"}</config>
<script lang="python">
import asyncio, os
from imjoy import api
class P:
    async def nap(self, seconds):
        await asyncio.sleep(seconds)
        return "rested"
    def job(self):
        return os.environ.get("PBS_JOBID")
api.export(P())
</script>"""


def imjoy_jobs() -> list[str]:
    """Ids of imjoy-hpc's unfinished gateway jobs that qstat lists."""
    return qstat_ids("imjoy-hpc-")


@pytest.fixture(scope="module")
def pbs_gateway(tmp_path_factory):
    env = require_openpbs()
    gw = start_gateway(tmp_path_factory.mktemp("pbs-gw"), SETTINGS, env=env)
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]
    assert not imjoy_jobs(), "jobs left after the gateway stopped"


async def test_plugins_run_inside_a_pbs_job_and_share_it(pbs_gateway):
    client = await connect(pbs_gateway)
    try:
        hello = await client.load_plugin("Hello")
        where = await hello.whereami()
        job = where["job_id"]
        assert JOB_ID.fullmatch(job or ""), f"{job!r} is no OpenPBS job id (N.{HOST})"
        assert qstat_jobs()[job]["job_state"] == "R"  # qstat: that job, running
        image = await client.load_plugin("Image Filter")
        rgb = await image.render(64, 32)
        assert rgb.dtype == np.uint8 and rgb.shape == (32, 64, 3)
        np.testing.assert_array_equal(rgb[0, :, 0], np.arange(64) * 255 // 63)
        assert [j["job_id"] for j in await client.list_jobs()] == [job]  # both plugins in the warm job
    finally:
        await disconnect(client)


async def test_request_above_a_limit_is_refused_naming_it(pbs_gateway):
    client = await connect(pbs_gateway)
    try:
        with pytest.raises(Exception, match="walltime 48:00:00 exceeds the limit 01:00:00"):
            await client.load_plugin("Hello", {"walltime": "48:00:00"})
        with pytest.raises(Exception, match="cores 4 exceeds the limit 2"):
            await client.load_plugin("Hello", {"cores": 4})
    finally:
        await disconnect(client)


async def test_plugin_behind_a_full_node_reports_queued_with_pbs_reason(pbs_gateway):
    wait_for(lambda: not imjoy_jobs(), 30, what="the previous test's job to be released")
    filler = qsub_sleep("imjoy-hpc-test-filler", 120, ncpus=2)  # both CPUs of the node
    try:
        await async_wait_for(lambda: qstat_jobs().get(filler, {}).get("job_state") == "R", 30, what="the filler")
        queued, job, statuses = await queued_then_running(
            pbs_gateway, SLEEPER, None, lambda reason: reason.startswith("Not Running: "), lambda: qdel(filler))
    finally:
        qdel(filler)
    assert JOB_ID.fullmatch(queued["job_id"]) and "free nodes" in queued["reason"], queued
    assert job == queued["job_id"] and statuses[-1]["state"] == "running"
    waiting = [s for s in statuses if s["state"] == "queued" and s.get("job_id")]
    # OpenPBS's own estimate (estimated.start_time) when its scheduler planned the job, else words saying so
    assert any(s.get("predicted_start") or "PBS estimates a start only" in (s.get("start_note") or "")
               for s in waiting), waiting


async def test_qdel_during_a_call_fails_the_call_naming_the_job_and_its_end(pbs_gateway):
    job, error, record = await killed_during_a_call(  # cores 2: a job of its own
        pbs_gateway, SLEEPER, {"cores": 2}, lambda job: run([str(PBS_BIN / "qdel"), job], check=True))
    assert job in error and "CANCELLED" in error, error
    assert record["state"] == "failed" and job in record["error"] and "Exit_status" in record["error"], record


@pytest.mark.slow
async def test_walltime_expiry_warns_first_then_fails(tmp_path):
    env = require_openpbs()
    profile = {**PROFILE, "walltime": "00:00:40", "walltime-warning": 30}
    gw = start_gateway(tmp_path, {"default-profile": "pbs", "profiles": {"pbs": profile}}, env=env)
    try:
        messages, failed = await walltime_expiry(gw, SLEEPER)
        assert "walltime" in messages[0]
        assert "TIMEOUT" in (failed.get("error") or "") or failed.get("scheduler_state") == "TIMEOUT", failed
    finally:
        gw.stop()
    assert not imjoy_jobs()


async def test_gateway_sigterm_leaves_no_pbs_job(tmp_path):
    env = require_openpbs()
    gw = start_gateway(tmp_path, SETTINGS, env=env)
    try:
        client = await connect(gw)
        job = await (await client.load_plugin(SLEEPER)).job()
        assert job in imjoy_jobs()
        assert gw.stop(signal.SIGTERM) == 0
        assert job not in imjoy_jobs()
        await disconnect(client)
    finally:
        gw.stop(signal.SIGKILL)

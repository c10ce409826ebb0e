"""Plugins in real Grid Engine jobs, loaded through the gateway by the real imjoy-rpc client; the gateway runs
with Grid Engine's environment (scripts/ci/gridengine.sh env)."""

import signal

import numpy as np
import pytest
from gateway_support import connect, disconnect, queued_then_running, start_gateway
from gridengine_support import jobs_env, qdel, qstat_ids, qstat_jobs, qsub_sleep, require_gridengine, settled_state
from slurm_support import async_wait_for, wait_for

pytestmark = [pytest.mark.sge, pytest.mark.timeout(300)]

PROFILE = {"backend": "sge", "cores": 1, "memory": "1GB", "interface": "lo", "walltime": "00:10:00",
           "plugin-slots": 3, "max-jobs": 1, "idle-timeout": 5, "poll-interval": 0.5,
           "job-extra-directives": jobs_env()}
SETTINGS = {"default-profile": "sge", "profiles": {"sge": PROFILE}}

SLEEPER = """<config lang="json">{"name": "GE Sleeper", "type": "native-python"}</config>
<script lang="python">
import os
from imjoy import api
class P:
    def job(self):
        return os.environ.get("JOB_ID")
api.export(P())
</script>"""


def imjoy_jobs() -> list[str]:
    """Ids of imjoy-hpc's gateway jobs that qstat lists."""
    return sorted(j for j, (name, _) in qstat_jobs().items() if (name or "").startswith("imjoy-hpc-"))


@pytest.fixture(scope="module")
def ge_gateway(tmp_path_factory):
    env = require_gridengine()
    gw = start_gateway(tmp_path_factory.mktemp("sge-gw"), SETTINGS, env=env)
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]
    assert not imjoy_jobs(), "jobs left after the gateway stopped"


async def test_plugins_run_inside_a_grid_engine_job(ge_gateway):
    client = await connect(ge_gateway)
    try:
        hello = await client.load_plugin("Hello")
        where = await hello.whereami()
        assert where["job_id"], "the plugin runs inside a batch job"
        state = await async_wait_for(lambda: settled_state(where["job_id"]), 15, 0.5, "the job to finish starting")
        assert "r" in state  # qstat: that job, running
        image = await client.load_plugin("Image Filter")
        rgb = await image.render(64, 32)
        assert rgb.dtype == np.uint8 and rgb.shape == (32, 64, 3)
        np.testing.assert_array_equal(rgb[0, :, 0], np.arange(64) * 255 // 63)
        assert [j["job_id"] for j in await client.list_jobs()] == [where["job_id"]]
    finally:
        await disconnect(client)


async def test_plugin_behind_a_full_queue_reports_queued_with_the_scheduling_info(ge_gateway):
    wait_for(lambda: not imjoy_jobs(), 30, what="the previous test's job to be released")
    fillers = [qsub_sleep("imjoy-hpc-test-filler", 120) for _ in range(2)]  # both slots of the queue
    try:
        await async_wait_for(lambda: all("r" in qstat_jobs().get(f, ("", ""))[1] for f in fillers), 30,
                             what="the filler jobs")
        queued, job, statuses = await queued_then_running(
            ge_gateway, SLEEPER, None, lambda reason: "dropped because it is full" in reason, lambda: qdel(*fillers))
    finally:
        qdel(*fillers)
    assert job == queued["job_id"] and statuses[-1]["state"] == "running"
    notes = {s.get("start_note") for s in statuses if s["state"] == "queued" and s.get("job_id")}
    assert "Grid Engine does not predict when a job will start" in notes, statuses  # said, not guessed
    assert not any(s.get("predicted_start") for s in statuses)


async def test_gateway_sigterm_leaves_no_grid_engine_job(tmp_path):
    env = require_gridengine()
    gw = start_gateway(tmp_path, SETTINGS, env=env)
    try:
        client = await connect(gw)
        job = await (await client.load_plugin(SLEEPER)).job()
        assert job in imjoy_jobs()
        assert gw.stop(signal.SIGTERM) == 0
        assert job not in qstat_ids("imjoy-hpc-")
        await disconnect(client)
    finally:
        gw.stop(signal.SIGKILL)

"""Plugins in real SLURM jobs, loaded through the gateway by the real imjoy-rpc client."""

import asyncio
import signal
import subprocess
import time

import numpy as np
import pytest
from gateway_support import (connect, disconnect, killed_during_a_call, queued_then_running, recording_client,
                             start_gateway, walltime_expiry)
from slurm_support import async_wait_for, job_state, require_slurm, sbatch_sleep, scancel

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]

SLURM_PROFILE = {"backend": "slurm", "queue": "debug", "cores": 1, "memory": "1GB", "interface": "lo",
                 "walltime": "00:10:00", "plugin-slots": 3, "max-jobs": 2, "idle-timeout": 5, "poll-interval": 0.5,
                 "limits": {"max-walltime": "01:00:00", "allowed-queues": ["debug", "tiny"]}}

SLEEPER = """<config lang="json">{"name": "Sleeper", "type": "native-python"}</config>
<script lang="python">
import asyncio, os
from imjoy import api
class P:
    async def nap(self, seconds):
        await asyncio.sleep(seconds)
        return "rested"
    def job(self):
        return os.environ.get("SLURM_JOB_ID") or os.environ.get("PBS_JOBID")
api.export(P())
</script>"""


def squeue_ids() -> set[str]:
    """Ids of imjoy-hpc's jobs that squeue still lists."""
    out = subprocess.run(["squeue", "-h", "-o", "%i %j"], capture_output=True, text=True, timeout=20).stdout
    return {line.split()[0] for line in out.splitlines() if "imjoy-hpc-" in line}


@pytest.fixture(scope="module")
def slurm_gateway(tmp_path_factory):
    require_slurm()
    gw = start_gateway(tmp_path_factory.mktemp("slurm-gw"),
                       {"default-profile": "slurm", "profiles": {"slurm": SLURM_PROFILE}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]
    assert not squeue_ids(), "jobs left after the gateway stopped"


async def test_plugins_run_inside_a_slurm_job_and_share_a_warm_worker(slurm_gateway):
    client = await connect(slurm_gateway)
    try:
        hello = await client.load_plugin("Hello")
        where = await hello.whereami()
        assert where["job_id"], "the plugin runs inside a batch job"
        assert where["job_id"] in squeue_ids() and job_state(where["job_id"]) == "RUNNING"
        image = await client.load_plugin("Image Filter")
        rgb = await image.render(64, 32)
        assert rgb.dtype == np.uint8 and rgb.shape == (32, 64, 3)
        np.testing.assert_array_equal(rgb[0, :, 0], np.arange(64) * 255 // 63)
        second = await client.load_plugin("Hello")
        assert (await second.whereami())["job_id"] == where["job_id"], "a second plugin reuses the warm worker"
        jobs = await client.list_jobs()
        assert [j["job_id"] for j in jobs] == [where["job_id"]]
        instances = {i["id"]: i for i in await client.list_instances()}
        assert instances[hello.id]["state"] == "running" and instances[hello.id]["job_id"] == where["job_id"]
    finally:
        await disconnect(client)


async def test_request_above_a_limit_is_refused_naming_it(slurm_gateway):
    client = await connect(slurm_gateway)
    try:
        with pytest.raises(Exception, match="walltime 48:00:00 exceeds the limit 01:00:00"):
            await client.load_plugin("Hello", {"walltime": "48:00:00"})
        with pytest.raises(Exception, match="long"):
            await client.load_plugin("Hello", {"queue": "long"})
    finally:
        await disconnect(client)


async def test_plugin_behind_a_full_partition_reports_queued_with_the_reason(slurm_gateway):
    filler = sbatch_sleep("imjoy-hpc-test-filler", 120, partition="tiny")
    try:
        await async_wait_for(lambda: job_state(filler) == "RUNNING", 30, what="the filler job")
        queued, job, statuses = await queued_then_running(
            slurm_gateway, SLEEPER, {"queue": "tiny"}, lambda reason: reason in ("Resources", "Priority"),
            lambda: scancel(filler))
    finally:
        scancel(filler)
    assert queued["job_id"] and job == queued["job_id"]
    assert statuses[-1]["state"] == "running"


async def test_a_waiting_plugin_shows_its_predicted_start_and_a_request_that_starts_sooner(slurm_gateway):
    filler = subprocess.run(["sbatch", "--parsable", "-J", "imjoy-hpc-test-filler", "-p", "tiny", "-t", "30",
                             "-o", "/dev/null", "-e", "/dev/null", "--wrap", "sleep 600"],
                            capture_output=True, text=True, timeout=20, check=True).stdout.strip()
    statuses: list[dict] = []

    async def on_status(info):
        statuses.append(info)

    client = await connect(slurm_gateway, api={"onPluginStatus": on_status})
    try:
        await async_wait_for(lambda: job_state(filler) == "RUNNING", 30, what="the filler job")
        started = subprocess.run(["squeue", "-h", "-j", filler, "-o", "%S"], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
        ends = time.mktime(time.strptime(started, "%Y-%m-%dT%H:%M:%S")) + 30 * 60  # its walltime
        waiting = asyncio.ensure_future(client.load_plugin(SLEEPER, {"queue": "tiny"}))
        queued = await async_wait_for(lambda: next((s for s in statuses if s["state"] == "queued"
                                                    and s.get("predicted_start") and s.get("sooner")), None),
                                      60, what="a queued status with a predicted start and a sooner request")
        assert abs(queued["predicted_start"] - ends) < 120, (queued, ends)  # SLURM's word: when the filler ends
        debug = next(s for s in queued["sooner"] if s["options"] == {"queue": "debug"})
        assert debug["change"] == "queue debug instead of tiny" and debug["predicted_start"] < time.time() + 60
        info = next(i for i in await client.list_instances() if i["id"] == queued["id"])
        assert info["predicted_start"] == queued["predicted_start"] and info["sooner"]
        pending = next(j for j in await client.list_jobs() if j["job_id"] == queued["job_id"])
        assert pending["state"] == "PENDING" and pending["predicted_start"]
        sooner = await asyncio.wait_for(client.load_plugin(SLEEPER, debug["options"]), 90)  # the user's choice
        assert job_state(await sooner.job()) == "RUNNING" and not waiting.done()
        waiting.cancel()
    finally:
        scancel(filler)
        await disconnect(client)


async def test_scancel_during_a_call_fails_the_call_naming_the_job_end(slurm_gateway):
    job, error, record = await killed_during_a_call(
        slurm_gateway, SLEEPER, {"queue": "tiny"}, lambda job: subprocess.run(["scancel", job], check=True, timeout=20))
    assert job in error and ("CANCELLED" in error or "ended" in error), error
    assert record["state"] == "failed" and job in record["error"]


@pytest.mark.slow
async def test_walltime_expiry_warns_first_then_fails(tmp_path):
    require_slurm()
    profile = {**SLURM_PROFILE, "walltime": "00:01:00", "walltime-warning": 50}
    gw = start_gateway(tmp_path, {"default-profile": "slurm", "profiles": {"slurm": profile}})
    try:
        messages, failed = await walltime_expiry(gw, SLEEPER)
        assert "walltime" in messages[0]
        assert "TIMEOUT" in (failed.get("error") or "") or failed.get("scheduler_state") == "TIMEOUT", failed
    finally:
        gw.stop()
    assert not squeue_ids()


async def test_gateway_sigterm_cancels_its_jobs(tmp_path):
    require_slurm()
    gw = start_gateway(tmp_path, {"default-profile": "slurm", "profiles": {"slurm": SLURM_PROFILE}})
    try:
        client = await connect(gw)
        job = await (await client.load_plugin(SLEEPER)).job()
        assert job in squeue_ids()
        assert gw.stop(signal.SIGTERM) == 0
        assert job not in squeue_ids()
        await disconnect(client)
    finally:
        gw.stop(signal.SIGKILL)


async def test_a_submission_the_scheduler_refuses_fails_the_plugin_with_its_words_first(tmp_path):
    """The partition is drained after the plugins' cluster started, so the next job's sbatch is refused."""
    require_slurm()
    profile = {**SLURM_PROFILE, "queue": "long", "plugin-slots": 1, "max-jobs": 2,
               "limits": {**SLURM_PROFILE["limits"], "allowed-queues": ["long"]}}
    gw = start_gateway(tmp_path, {"default-profile": "slurm", "profiles": {"slurm": profile}})
    client = await connect(gw)
    try:
        first = await client.load_plugin(SLEEPER)
        assert job_state(await first.job()) == "RUNNING"
        subprocess.run(["scontrol", "update", "PartitionName=long", "State=DRAIN"], check=True, timeout=20)
        with pytest.raises(Exception) as err:
            await client.load_plugin(SLEEPER)  # its one slot is taken: a second job is submitted, and refused
        first_line = str(err.value).strip().splitlines()[0]
        assert "the job could not be submitted: sbatch: error: Batch job submission failed:" in first_line, first_line
        assert "RuntimeError" not in first_line
    finally:
        subprocess.run(["scontrol", "update", "PartitionName=long", "State=UP"], timeout=20)
        await disconnect(client)
        assert gw.stop() == 0


COUNTER = """<config lang="json">{"name": "Counter", "type": "native-python", "hpc": {"renew": true}}</config>
<script lang="python">
import os
from imjoy import api
class P:
    def setup(self):
        self.count = 0
    def add(self):
        self.count += 1
        return {"count": self.count, "job": os.environ.get("SLURM_JOB_ID")}
    def getState(self):
        return {"count": self.count}
    def setState(self, state):
        self.count = state["count"]
api.export(P())
</script>"""


async def test_a_renewable_plugin_moves_into_a_new_job_before_the_walltime_keeping_its_state(tmp_path):
    """A renewable plugin (hpc.renew) and an ordinary one share a job with a 2-minute walltime. At the warning the
    ordinary one's client is told what SLURM allows; the renewable one is started in a new job, its state handed
    over, and the client's proxy keeps answering (no call fails, no count lost) while the old job ends and takes
    the ordinary plugin with it."""
    require_slurm()
    profile = {**SLURM_PROFILE, "walltime": "00:02:00", "walltime-warning": 90}
    gw = start_gateway(tmp_path, {"default-profile": "slurm", "profiles": {"slurm": profile}})
    client, messages, statuses = await recording_client(gw)
    try:
        counter = await client.load_plugin(COUNTER)
        sleeper = await client.load_plugin(SLEEPER)
        first = await counter.add()
        assert first["job"] == await sleeper.job()  # the two share a job
        counts, jobs, errors = [first["count"]], [first["job"]], []

        def sleeper_failed():
            return next((s for s in statuses if s["name"] == "Sleeper" and s["state"] == "failed"), None)

        deadline = time.monotonic() + 200
        while time.monotonic() < deadline and not (sleeper_failed() and len(set(jobs)) == 2):
            try:
                answer = await counter.add()
                counts.append(answer["count"])
                jobs.append(answer["job"])
            except Exception as exc:  # noqa: BLE001 - recorded: none may fail
                errors.append(str(exc))
            await asyncio.sleep(1)
        assert not errors, (errors[:2], messages)
        assert len(set(jobs)) == 2 and jobs[-1] != first["job"], (jobs, counts, messages)  # it moved into a new job...
        assert counts == list(range(1, len(counts) + 1)), counts  # ...with its state: no count lost or restarted
        assert sleeper_failed(), "the ordinary plugin did not end with its job"
        after = await counter.add()  # the old job has ended: the renewed plugin still answers, its count going on
        assert after["count"] == counts[-1] + 1 and after["job"] != first["job"], after
        said = "\n".join(messages)
        assert f"renewed into job {jobs[-1]}" in said, said
        assert "Plugin Sleeper" in said and "SLURM lets users lower a job's time limit, not raise it" in said, said
        # (the new job reaches its own warning too, so a second renewal may follow: at least one happened)
        listed = next(i for i in await client.list_instances() if i["name"] == "Counter" and i["state"] == "running")
        assert listed["renewals"] >= 1 and listed["job_id"] != first["job"], listed
    finally:
        await disconnect(client)
        gw.stop()
    assert not squeue_ids()


async def test_when_a_plugin_would_start_is_asked_before_anything_is_submitted(slurm_gateway):
    """predict_start: SLURM's own answer for a new job of the request (sbatch --test-only) behind a full partition,
    with a smaller request predicted to start sooner; no job is submitted for it."""
    filler = subprocess.run(["sbatch", "--parsable", "-J", "imjoy-hpc-test-filler", "-p", "tiny", "-t", "30",
                             "-o", "/dev/null", "-e", "/dev/null", "--wrap", "sleep 600"],
                            capture_output=True, text=True, timeout=20, check=True).stdout.strip()
    client = await connect(slurm_gateway)
    try:
        await async_wait_for(lambda: job_state(filler) == "RUNNING", 30, what="the filler job")
        started = subprocess.run(["squeue", "-h", "-j", filler, "-o", "%S"], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
        ends = time.mktime(time.strptime(started, "%Y-%m-%dT%H:%M:%S")) + 30 * 60  # its walltime
        before = squeue_ids()
        told = await client.predict_start(SLEEPER, {"queue": "tiny"})
        assert told["name"] == "Sleeper" and told["profile"] == "slurm", told
        assert abs(told["predicted_start"] - ends) < 120, (told, ends)  # SLURM's word: when the filler ends
        debug = next(s for s in told["sooner"] if s["options"] == {"queue": "debug"})
        assert debug["change"] == "queue debug instead of tiny" and debug["predicted_start"] < time.time() + 60
        assert squeue_ids() == before  # nothing was submitted
        with pytest.raises(Exception, match="walltime 48:00:00 exceeds the limit 01:00:00"):
            await client.predict_start(SLEEPER, {"walltime": "48:00:00"})  # refused in words, as a load would be
    finally:
        scancel(filler)
        await disconnect(client)


async def test_an_ended_plugins_usage_has_the_schedulers_accounting_beside_ours(slurm_gateway):
    """When the plugin's job has ended, its usage summary carries the scheduler's own figures, or SLURM's words when
    it keeps none (this test SLURM runs no slurmdbd)."""
    client = await connect(slurm_gateway)
    try:
        plugin = await client.load_plugin(SLEEPER)
        job = await plugin.job()
        await client.kill_plugin(plugin.id)
        await async_wait_for(lambda: job not in squeue_ids(), 60, what="the idle job to be released")

        async def accounted():
            info = next(i for i in await client.list_instances() if i["id"] == plugin.id)
            return (info.get("usage") or {}).get("scheduler")

        deadline = time.monotonic() + 60
        scheduler = await accounted()
        while scheduler is None and time.monotonic() < deadline:
            await asyncio.sleep(1)
            scheduler = await accounted()
        assert scheduler is not None, "no accounting beside the plugin's usage summary"
        assert scheduler["job_id"] == job and scheduler["scheduler"] == "slurm", scheduler
        # SLURM's own figures where slurmdbd runs, else its words saying it keeps none
        assert "elapsed" in scheduler or scheduler["note"].startswith("SLURM keeps no accounting here"), scheduler
    finally:
        await disconnect(client)

"""The plugin lifecycle: the transition table, what the cluster's events become, and what a client hears."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from imjoy_hpc.cluster import (Installed, Installing, Profile, StatusChanged, SubmitFailed, TaskState, TaskStatus,
                               WalltimeWarning, WorkerLost)
from imjoy_hpc.gateway.embedded import HeadlessClient
from imjoy_hpc.gateway.instances import InstanceManager, PluginInstance, PluginStartError
from imjoy_hpc.gateway.lifecycle import (ACTIVE, TRANSITIONS, Failed, Placed, Ready, Registered, State, Stopped,
                                         Waiting, from_cluster, next_state)
from imjoy_hpc.plugins.parser import parse_plugin
from imjoy_hpc.settings import Settings

EVERY_EVENT = [Waiting(), Placed(), Installing("k", "pip install"), Installed("k"), Registered(), Ready(api={}),
               WalltimeWarning("k", job_id="1", profile="p", seconds_left=60), Stopped(), Failed("boom")]


def walk(state: State, *events) -> list[State]:
    """The states a sequence of events leads through (an illegal event leaves the state as it is)."""
    seen = []
    for event in events:
        state = next_state(state, event) or state
        seen.append(state)
    return seen


def test_a_plain_plugin_goes_queued_starting_running_stopped():
    assert walk(State.QUEUED, Waiting(), Placed(), Registered(), Ready(api={}), Stopped("killed by request")) == \
        [State.QUEUED, State.STARTING, State.STARTING, State.RUNNING, State.STOPPED]


def test_a_plugin_with_an_environment_is_installing_before_starting():
    assert walk(State.QUEUED, Installing("k", "installing pip packages"), Installed("k"), Registered(),
                Ready(api={})) == [State.INSTALLING, State.STARTING, State.STARTING, State.RUNNING]


@pytest.mark.parametrize("ended", [State.STOPPED, State.FAILED])
@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: type(e).__name__)
def test_an_ended_instance_accepts_no_event(ended, event):
    assert next_state(ended, event) is None


@pytest.mark.parametrize("state", ACTIVE)
def test_every_active_state_can_stop_or_fail(state):
    assert next_state(state, Stopped()) == State.STOPPED
    assert next_state(state, Failed("x")) == State.FAILED


def test_late_or_early_events_do_not_move_the_state():
    assert next_state(State.QUEUED, Ready(api={})) is None  # no API before the process registered
    assert next_state(State.INSTALLING, Ready(api={})) is None
    assert next_state(State.STARTING, Installing("k", "late progress")) is None  # after the process registered
    assert next_state(State.RUNNING, Waiting({"reason": "Resources"})) is None  # job facts stop once running
    assert next_state(State.RUNNING, Registered()) is None  # a secret is used once
    assert next_state(State.INSTALLING, Placed()) == State.INSTALLING


def test_the_table_knows_every_state():
    assert set(TRANSITIONS) == set(State)
    assert [s.value for s in State] == ["queued", "installing", "starting", "running", "stopped", "failed"]


def status(state: TaskState, key: str = "demo-1", **facts) -> StatusChanged:
    base = dict(job_id=None, scheduler_state=None, reason=None, node=None, worker=None, walltime_left=None,
                profile="slurm")
    return StatusChanged(key, TaskStatus(state, **{**base, **facts}))


def test_cluster_status_becomes_waiting_or_placed():
    waiting = from_cluster(status(TaskState.QUEUED, job_id="7", reason="Priority"), plugin="P",
                           builds_environment=False)
    assert waiting == Waiting({"job_id": "7", "reason": "Priority", "profile": "slurm"})
    placed = from_cluster(status(TaskState.STARTING, job_id="7"), plugin="P", builds_environment=False)
    assert isinstance(placed, Placed)
    # its task builds the environment first: still waiting, until the build says so
    assert isinstance(from_cluster(status(TaskState.RUNNING), plugin="P", builds_environment=True), Waiting)


def test_a_lost_job_fails_the_plugin_with_the_schedulers_words():
    lost = WorkerLost("k", job_id="42", profile="slurm", worker="tls://n1:1", scheduler_state="TIMEOUT",
                      reason="the job reached its walltime limit (00:01:00)", exit_code="0:15",
                      stderr_tail="slurmstepd: *** JOB 42 CANCELLED DUE TO TIME LIMIT ***")
    failed = from_cluster(lost, plugin="Long", builds_environment=False)
    assert isinstance(failed, Failed) and failed.job == {"scheduler_state": "TIMEOUT"}
    first, *rest = failed.error.splitlines()
    assert first == ("the job 42 running plugin 'Long' ended, state TIMEOUT, the job reached its walltime limit "
                     "(00:01:00), exit code 0:15")
    assert "TIME LIMIT" in rest[-1]
    refused = from_cluster(SubmitFailed("k", job_id=None, profile="slurm", reason="Invalid account"), plugin="P",
                           builds_environment=False)
    assert refused == Failed("the scheduler refused the job for plugin 'P': Invalid account")


def test_cluster_events_read_as_the_mappings_they_were():
    lost = WorkerLost("victim", job_id=None, profile="local", worker="w", scheduler_state=None,
                      reason="worker process w ended", exit_code=None, stderr_tail="")
    assert lost["type"] == "worker-lost" and lost["key"] == "victim" and "ended" in lost["reason"]
    assert lost.as_dict()["stderr_tail"] == "" and lost.get("nope") is None


# ------------------------------------------------------------------------------------------------ applying events
PLUGIN = """<config lang="json">{"name": "Demo", "type": "native-python"}</config>
<script lang="python">
from imjoy import api
api.export({})
</script>"""


class FakeCluster:
    def __init__(self) -> None:
        self.released: list[str] = []

    async def release(self, key: str) -> None:
        self.released.append(key)


async def started(tmp_path: Path):
    heard: list[dict] = []

    async def on_status(info: dict) -> None:
        heard.append(info)

    cluster = FakeCluster()
    manager = InstanceManager(cluster, door_url="http://127.0.0.1:1", settings=Settings.parse({}).plugins,
                              log_dir=tmp_path, env_cache=tmp_path / "envs", chunk_bytes=1 << 20,
                              ping=(25, 20))
    owner = HeadlessClient("test", {"onPluginStatus": on_status})
    instance = PluginInstance(id="demo-1", spec=parse_plugin(PLUGIN), profile=Settings.parse({}).profile("local"),
                              owner=owner, secret="s", log_file=tmp_path / "demo.log")
    manager.instances[instance.id] = instance
    return manager, instance, heard, cluster


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_the_client_hears_each_state_once_and_the_end_keeps_its_reason(tmp_path):
    manager, instance, heard, cluster = await started(tmp_path)
    manager.on_cluster_event(status(TaskState.QUEUED, reason="waiting for a free plugin slot"))
    manager.on_cluster_event(status(TaskState.QUEUED, reason="waiting for a free plugin slot"))  # no news
    manager.on_cluster_event(status(TaskState.RUNNING, node="127.0.0.1"))
    assert manager.apply(instance, Registered({"pid": 123, "hostname": "node1"}))
    assert manager.apply(instance, Ready(api={"hello": None}))
    assert instance.ready.result() == {"hello": None}
    assert manager.apply(instance, Stopped(reason="killed by request"))
    # a late word from the cluster changes nothing: the instance ended, and why is kept
    late = WorkerLost(instance.id, job_id="9", profile="local", worker=None, scheduler_state="CANCELLED",
                      reason="cancelled", exit_code=None, stderr_tail="")
    manager.on_cluster_event(late)
    await settle()
    assert [h["state"] for h in heard] == ["queued", "starting", "starting", "running", "stopped"]
    assert heard[0]["reason"] == "waiting for a free plugin slot" and heard[2]["node"] == "127.0.0.1"
    info = instance.info()
    assert info["state"] == "stopped" and info["ended_reason"] == "killed by request" and info["error"] is None
    assert cluster.released == [instance.id]


async def test_a_failure_before_ready_fails_the_start_with_its_error(tmp_path):
    manager, instance, heard, cluster = await started(tmp_path)
    manager.on_cluster_event(Installing(instance.id, "installing pip packages numpy"))
    manager.on_cluster_event(WorkerLost(instance.id, job_id="5", profile="slurm", worker=None,
                                        scheduler_state="OUT_OF_MEMORY", reason="the job ran out of memory",
                                        exit_code="0:125", stderr_tail="oom-kill event"))
    await settle()
    with pytest.raises(PluginStartError, match="the job 5 running plugin 'Demo' ended, state OUT_OF_MEMORY"):
        instance.ready.result()
    assert [h["state"] for h in heard] == ["installing", "failed"]
    assert heard[0]["installing"] == "installing pip packages numpy"
    assert instance.ended_reason.endswith("exit code 0:125") and instance.job["scheduler_state"] == "OUT_OF_MEMORY"
    assert not manager.apply(instance, Ready(api={}))
    assert instance.state == State.FAILED and cluster.released == [instance.id]

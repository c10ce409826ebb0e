"""The local backend: a real distributed.LocalCluster, plugin slots on its workers, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import psutil

from imjoy_hpc.cluster import ClusterManager
from slurm_support import async_wait_for, new_session


def pid_and_interval(seconds: float) -> tuple[int, float, float]:
    """Runs on a worker: its pid and when it ran."""
    start = time.time()
    time.sleep(seconds)
    return os.getpid(), start, time.time()


def wait_for_file(path: str, seconds: float) -> int:
    """Runs on a worker: write the pid to `path`, then sleep."""
    Path(path).write_text(str(os.getpid()))
    time.sleep(seconds)
    return os.getpid()


def settings(tmp_path: Path, processes: int = 1, slots: int = 2) -> dict:
    return {"state-dir": str(tmp_path / "state"), "default-profile": "local",
            "profiles": {"local": {"backend": "local", "processes": processes, "plugin-slots": slots}}}


def run(coro, timeout: float = 90):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_two_plugins_share_one_worker_and_close_leaves_no_worker_process(tmp_path):
    async def body():
        m = ClusterManager(settings(tmp_path, processes=1, slots=2), run_id=new_session(),
                           log_dir=tmp_path / "logs")
        try:
            p = m.resolve(None)
            f1 = await m.launch(p, pid_and_interval, 1.5, key="one")
            f2 = await m.launch(p, pid_and_interval, 1.5, key="two")
            await async_wait_for(lambda: m.status("one")["state"] == "running", 30, what="plugin one running")
            st = m.status("one")
            assert st["worker"].startswith("tls://127.0.0.1:") and st["job_id"] is None
            client = await m.client(p)
            assert client.scheduler.address.startswith("tls://127.0.0.1:")
            assert m.scheduler_address(p) == client.scheduler.address
            (pid1, s1, e1), (pid2, s2, e2) = await asyncio.wait_for(client.gather([f1, f2]), 30)
            jobs = m.list_jobs()
            await m.release("one")
            await m.release("two")
            assert m.status("one")["state"] == "ended"
        finally:
            await m.close()
        return pid1, pid2, (s1, e1, s2, e2), jobs

    pid1, pid2, (s1, e1, s2, e2), jobs = run(body())
    assert pid1 == pid2 != os.getpid()  # one worker process held both plugins
    assert s2 < e1 and s1 < e2  # ... at the same time: two slots
    assert len(jobs) == 1 and jobs[0]["workers"]
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid1) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not psutil.pid_exists(pid1), "the worker process outlived close()"


def test_plugin_waits_for_a_free_slot_then_runs(tmp_path):
    async def body():
        m = ClusterManager(settings(tmp_path, processes=1, slots=1), run_id=new_session(),
                           log_dir=tmp_path / "logs")
        try:
            p = m.resolve(None)
            first = await m.launch(p, pid_and_interval, 2.0, key="first")
            await async_wait_for(lambda: m.status("first")["state"] == "running", 30, what="first plugin running")
            second = await m.launch(p, pid_and_interval, 0.1, key="second")
            await asyncio.sleep(0.5)
            waiting = m.status("second")
            client = await m.client(p)
            r1 = await asyncio.wait_for(client.gather(first), 30)
            await m.release("first")
            r2 = await asyncio.wait_for(client.gather(second), 30)
            return waiting, r1, r2
        finally:
            await m.close()

    waiting, (pid1, _, end1), (pid2, start2, _) = run(body())
    assert waiting["state"] == "queued" and "free plugin slot" in waiting["reason"]
    assert start2 >= end1 - 0.05  # the second plugin only ran once the slot was free
    assert pid1 == pid2


def test_killed_worker_process_is_reported_as_worker_lost(tmp_path):
    events: list[dict] = []

    async def body():
        m = ClusterManager(settings(tmp_path, processes=1, slots=2), run_id=new_session(),
                           log_dir=tmp_path / "logs", on_event=events.append)
        marker = tmp_path / "pid"
        try:
            p = m.resolve(None)
            fut = await m.launch(p, wait_for_file, str(marker), 60, key="victim")
            await async_wait_for(marker.exists, 30, what="the plugin task to start")
            os.kill(int(marker.read_text()), signal.SIGKILL)
            t0 = time.monotonic()
            await async_wait_for(lambda: events, 15, what="a worker-lost event")
            elapsed = time.monotonic() - t0
            await async_wait_for(fut.done, 10, what="the future to fail")
            return elapsed, fut.status, m.status("victim")
        finally:
            await m.close()

    elapsed, status, st = run(body())
    assert [e["type"] for e in events] == ["worker-lost"]
    assert events[0]["key"] == "victim" and "ended" in events[0]["reason"]
    assert elapsed < 10
    assert status == "error"  # not silently re-run elsewhere
    assert st["state"] == "ended"


PROBE = """
import sys
from distributed import Client
try:
    client = Client(sys.argv[1], timeout=10)
except Exception as exc:
    print("refused", type(exc).__name__)
    sys.exit(0)
print("answer", client.submit(lambda: 6 * 7).result(timeout=20))
client.close()
"""


def test_scheduler_only_accepts_holders_of_the_clusters_credentials(tmp_path):
    """A process without the 0600 credentials (another user on the login node) cannot run code."""
    import subprocess
    import sys

    async def body():
        m = ClusterManager(settings(tmp_path), run_id=new_session(), log_dir=tmp_path / "logs")
        try:
            p = m.resolve(None)
            await m.client(p)
            address, env = m.scheduler_address(p), m.client_env(p)
            base = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}

            def probe(extra):
                return subprocess.run([sys.executable, "-c", PROBE, address], capture_output=True, text=True,
                                      env={**base, **extra}, timeout=60).stdout.strip()

            stranger = await asyncio.to_thread(probe, {})
            member = await asyncio.to_thread(probe, env)
            return address, env, stranger, member
        finally:
            await m.close()

    address, env, stranger, member = run(body(), timeout=150)
    assert address.startswith("tls://127.0.0.1:")
    assert stranger.startswith("refused")
    assert member == "answer 42"
    key = Path(env["DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY"])
    assert key.stat().st_mode & 0o777 == 0o600


def fan_out_from_a_child_process(address: str) -> str:
    """Runs as a plugin task: a separate process (as a plugin's own) reaches the scheduler."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", PROBE, address], capture_output=True, text=True,
                          timeout=60).stdout.strip()


def test_processes_a_plugin_starts_can_fan_out_to_its_scheduler(tmp_path):
    async def body():
        m = ClusterManager(settings(tmp_path), run_id=new_session(), log_dir=tmp_path / "logs")
        try:
            p = m.resolve(None)
            client = await m.client(p)
            fut = await m.launch(p, fan_out_from_a_child_process, m.scheduler_address(p), key="fan")
            return await asyncio.wait_for(client.gather(fut), 90)
        finally:
            await m.close()

    assert run(body(), timeout=120) == "answer 42"


def test_every_slot_of_every_worker_is_used(tmp_path):
    """Dask's scheduler only checks a worker's total slots: starts must not queue behind a full worker while another
    has room (2 workers x 3 slots take 6 plugins at once, 3 on each)."""
    async def body():
        m = ClusterManager(settings(tmp_path, processes=2, slots=3), run_id=new_session(),
                           log_dir=tmp_path / "logs")
        try:
            p = m.resolve(None)
            futures = [await m.launch(p, pid_and_interval, 4.0, key=f"p{i}") for i in range(6)]
            await async_wait_for(lambda: all(m.status(f"p{i}")["state"] == "running" for i in range(6)), 30,
                                 what="all six plugins running")
            results = await asyncio.wait_for((await m.client(p)).gather(futures), 30)
            per_worker: dict[int, int] = {}
            for pid, _, _ in results:
                per_worker[pid] = per_worker.get(pid, 0) + 1
            assert sorted(per_worker.values()) == [3, 3], per_worker
            starts = sorted(s for _, s, _ in results)
            assert starts[-1] - starts[0] < 3.0, "all six ran at the same time"
        finally:
            await m.close()

    run(body())


def test_a_start_goes_to_the_worker_with_room_counting_starts_placed_there():
    from types import SimpleNamespace

    from imjoy_hpc.cluster.pool import Pool, Task

    workers = {name: SimpleNamespace(resources={"plugin-slots": 2}) for name in ("w1", "w2")}
    backend = SimpleNamespace(scheduler=SimpleNamespace(workers=workers))
    pool = Pool(manager=None, profile=None, backend=backend)
    pending = SimpleNamespace(done=lambda: False)

    def place(key: str, worker: str) -> None:
        pool.tasks[key] = Task(key=key, profile=None, dask_key=key, future=pending, worker=worker)

    place("a", "w1")
    assert pool.free_worker() == "w2"          # w1 has one start placed on it (not running yet): w2 has more room
    place("b", "w2")
    place("c", "w2")
    assert pool.free_worker() == "w1"
    place("d", "w1")
    assert pool.free_worker() is None          # every slot taken: the start waits unrestricted (e.g. for a job)
    pool.tasks["c"].move("released")
    assert pool.free_worker() == "w2"


def test_a_slow_prediction_never_holds_up_the_scheduler_poll():
    """The predicted start of a pending job takes scheduler commands (sbatch --test-only per sooner request): the
    poll goes on without waiting for them, one round of predictions at a time, and their results are reported."""
    from types import SimpleNamespace

    from imjoy_hpc.cluster.pool import Pool
    from imjoy_hpc.backends.base import JobState

    async def body():
        asked, answer = [], asyncio.Event()

        async def query(ids):
            return {jid: JobState(jid, "PENDING") for jid in ids}

        class SlowPredictor:
            known: dict = {}

            def forget(self, keep):
                pass

            async def refresh(self, jid, state):
                asked.append(jid)
                await answer.wait()

        backend = SimpleNamespace(submit_failures={}, job_names=lambda: ["job-1"], job_id=lambda name: "101",
                                  query=query, has_jobs=True)
        profile = SimpleNamespace(walltime_warning=60, warm=0, processes=1, idle_timeout=3600, name="p")
        pool = Pool(manager=SimpleNamespace(status_events=False), profile=profile, backend=backend)
        pool.predictor = SlowPredictor()
        reported = []
        pool.report = lambda: reported.append(True)
        await asyncio.wait_for(pool.poll_once(), 2)  # not held up by the prediction that never answers
        await asyncio.wait_for(pool.poll_once(), 2)
        await asyncio.sleep(0.05)
        assert asked == ["101"], asked  # the second poll left the first round to finish
        reported.clear()
        answer.set()
        await asyncio.sleep(0.05)
        assert reported, "the round's predictions were not reported when it ended"
        pool.closed = True

    run(body())


def test_a_task_changes_state_only_as_the_table_says():
    from types import SimpleNamespace

    from imjoy_hpc.cluster.events import TaskState
    from imjoy_hpc.cluster.pool import Task

    pending = SimpleNamespace(done=lambda: False)
    t = Task(key="k", profile=None, dask_key="d", future=pending)
    assert t.active and t.state == TaskState.QUEUED
    assert t.move("started") and t.state == TaskState.RUNNING
    assert not t.move("started") and t.state == TaskState.RUNNING  # not legal twice: nothing changes
    assert t.move("finished") and t.state == TaskState.ENDED and t.finished and not t.active
    assert t.move("released") and t.released and t.finished  # released after it finished: both are known
    lost = Task(key="l", profile=None, dask_key="e", future=pending)
    assert lost.move("lost") and lost.lost and not lost.released and not lost.move("started")

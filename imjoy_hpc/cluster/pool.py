"""One cluster of one profile shape: plugin tasks in slots, job facts from the scheduler, lifecycle events."""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from distributed.diagnostics.plugin import SchedulerPlugin

from imjoy_hpc.backends.base import SLOT_RESOURCE, TERMINAL_STATES, Cluster, JobState
from imjoy_hpc.cluster.predictions import Predictor
from imjoy_hpc.cluster.events import (ClusterEvent, JobAccounted, StatusChanged, SubmitFailed, TaskState,
                                      TaskStatus, WalltimeWarning, WorkerLost, progress_event)
from imjoy_hpc.cluster.profiles import Profile
from imjoy_hpc.cluster.tasks import PROGRESS_TOPIC, STARTED_TOPIC, take_no_new_plugins
from imjoy_hpc.files import tail

logger = logging.getLogger(__name__)

_REASONS = {
    "CANCELLED": "the job was cancelled (by you or an administrator)",
    "TIMEOUT": "the job reached its walltime limit",
    "NODE_FAIL": "the job's node failed",
    "OUT_OF_MEMORY": "the job ran out of memory",
    "PREEMPTED": "the job was preempted by the scheduler",
    "FAILED": "the job script failed",
    "COMPLETED": "the worker ended before its plugins did",
    "BOOT_FAIL": "the job's node failed to boot",
    "DEADLINE": "the job reached its deadline",
}


RELEASED_KEPT = 200  # released tasks whose last events are still taken


_ANY = frozenset(TaskState)
# A plugin task's state changes, the one table: event -> (states it may come in, the state it leads to). The events
# that end a task are kept in `Task.ends` (a task may be finished and then released, or lost and then released).
TASK_MOVES: dict[str, tuple[frozenset, TaskState]] = {
    "started": (frozenset({TaskState.QUEUED}), TaskState.RUNNING),  # its function began on its worker
    "finished": (_ANY, TaskState.ENDED),   # its function returned (the result is in the worker's memory)
    "erred": (_ANY, TaskState.ENDED),      # its function raised (e.g. KilledWorker)
    "forgotten": (_ANY, TaskState.ENDED),  # Dask dropped it
    "lost": (_ANY, TaskState.ENDED),       # its worker or job went away, or its job could not be submitted
    "released": (_ANY, TaskState.ENDED),   # the manager freed its slot (the plugin ended)
}
_DASK_ENDS = {"memory": "finished", "erred": "erred", "forgotten": "forgotten"}  # Dask's final task states


class PoolOwner(Protocol):
    """What a pool tells its cluster manager (cluster/manager.py): events, and statuses when they are wanted."""

    closing: bool
    status_events: bool

    def emit(self, event: ClusterEvent) -> None: ...

    def status_changed(self, event: StatusChanged) -> None: ...


@dataclass
class Task:
    key: str
    profile: Profile
    dask_key: str
    future: Any
    job: str | None = None  # job (spec name) this task runs on or waits for
    worker: str | None = None
    worker_name: str | None = None
    state: TaskState = TaskState.QUEUED  # queued | running | ended: changed by move() only
    ends: set = field(default_factory=set)  # the TASK_MOVES events that ended it
    warned: bool = False
    launched: float = field(default_factory=time.monotonic)
    reported: TaskStatus | None = None  # the status last pushed to the manager's listener

    def move(self, event: str) -> bool:
        """Apply `event` as TASK_MOVES says; False (and nothing changes) when it is not legal in this state."""
        allowed, new = TASK_MOVES[event]
        if self.state not in allowed:
            return False
        self.state = new
        if new == TaskState.ENDED:
            self.ends.add(event)
        return True

    @property
    def released(self) -> bool:
        return "released" in self.ends

    @property
    def lost(self) -> bool:
        return "lost" in self.ends

    @property
    def finished(self) -> bool:
        return "finished" in self.ends

    @property
    def active(self) -> bool:
        return not (self.released or self.lost or self.finished or self.future.done())


class _Watcher(SchedulerPlugin):
    """Scheduler plugin (in-process scheduler): task placements and worker departures."""

    name = "imjoy-hpc-watcher"

    def __init__(self, pool: "Pool") -> None:
        self.pool = pool

    # distributed calls these on the scheduler's event loop
    def add_worker(self, scheduler: Any, worker: str) -> None:
        ws = scheduler.workers.get(worker)
        if ws is not None:
            self.pool.worker_names[worker] = str(ws.name)

    def remove_worker(self, scheduler: Any, worker: str, *, stimulus_id: str = "", **kwargs: Any) -> None:
        name = self.pool.worker_names.pop(worker, None)
        self.pool.spawn(self.pool.worker_removed(worker, name))

    def log_event(self, topic: str, msg: Any) -> None:
        if topic == PROGRESS_TOPIC and isinstance(msg, dict):
            t = self.pool.by_dask_key.get(msg.get("key"))
            key = t.key if t is not None and not t.released else None
            if key is None and msg.get("type") == "usage":  # the usage summary of a plugin just stopped (its task
                # being cancelled still, or already dropped)
                key = t.key if t is not None else self.pool.released_keys.get(msg.get("key"))
            event = progress_event(key, msg) if key is not None else None
            if event is not None:
                self.pool.manager.emit(event)
            return
        if topic != STARTED_TOPIC or not isinstance(msg, dict):
            return
        t = self.pool.by_dask_key.get(msg.get("key"))
        if t is not None and t.move("started"):
            t.worker = msg.get("worker") or t.worker
            self.pool.report()

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        t = self.pool.by_dask_key.get(key)
        if t is None:
            return
        if finish == "processing":
            # Placed on a worker; it may still wait there for a free slot ("running" comes from log_event).
            scheduler = self.pool.backend.scheduler
            ts = scheduler.tasks.get(key)
            if ts is not None:
                # A plugin whose worker dies fails at once (KilledWorker) instead of silently restarting
                # elsewhere; other tasks on this scheduler keep distributed's usual retries.
                ts.suspicious = max(ts.suspicious, scheduler.allowed_failures)
            ws = getattr(ts, "processing_on", None)
            if ws is not None:
                t.worker, t.worker_name = ws.address, str(ws.name)
                t.job = self.pool.backend.job_of_worker(str(ws.name)) or t.job
            self.pool.report()
        elif finish in _DASK_ENDS:
            t.move(_DASK_ENDS[finish])
            self.pool.report()


class Pool:
    """One cluster (one profile shape) and the plugin tasks placed on it."""

    def __init__(self, manager: "PoolOwner", profile: Profile, backend: Cluster) -> None:
        self.manager = manager
        self.profile = profile
        self.backend = backend
        self.client: Any = None
        self.lock = asyncio.Lock()
        self.tasks: dict[str, Task] = {}
        self.by_dask_key: dict[str, Task] = {}
        self.released_keys: collections.OrderedDict[str, str] = collections.OrderedDict()  # dask key -> key
        self.worker_names: dict[str, str] = {}
        self.job_states: dict[str, JobState] = {}
        self.job_ids: set[str] = set()  # every job id this pool submitted
        self.idle_since: dict[str, float] = {}
        self.retiring: set[str] = set()
        self.lost: dict[str, asyncio.Task] = {}
        self.poke = asyncio.Event()
        self.poller: asyncio.Task | None = None
        self._bg: set[asyncio.Task] = set()
        self._predicting: asyncio.Task | None = None
        self.ending: set[str] = set()  # jobs within walltime-warning of their end
        self.closed = False
        self.predictor = Predictor(backend, profile)

    def add(self, t: Task) -> None:
        """A task launched on this pool's cluster."""
        self.tasks[t.key] = t
        self.by_dask_key[t.dask_key] = t

    def drop(self, t: Task, released: bool = False) -> None:
        """A task this pool no longer follows (`released`: its plugin ended; its last words are still heard)."""
        if self.tasks.get(t.key) is t:
            self.tasks.pop(t.key, None)
        self.by_dask_key.pop(t.dask_key, None)
        if released:
            self.remember_released(t.dask_key, t.key)

    def remember_released(self, dask_key: str, key: str) -> None:
        """Keep a released task's key a while: its last word (its usage summary) comes after its release."""
        self.released_keys[dask_key] = key
        while len(self.released_keys) > RELEASED_KEPT:
            self.released_keys.popitem(last=False)

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)
        task.add_done_callback(_log_failure)

    async def start(self) -> None:
        from distributed import Client

        await self.backend.start()
        scheduler = self.backend.scheduler
        scheduler.add_plugin(_Watcher(self), name=_Watcher.name)
        for addr, ws in scheduler.workers.items():
            self.worker_names[addr] = str(ws.name)
        self.client = await asyncio.wait_for(
            Client(self.backend.cluster, asynchronous=True, set_as_default=False), 60)
        if self.backend.has_jobs:
            async with self.lock:
                self.rebalance()
            self.poller = asyncio.ensure_future(self.poll_loop())

    # --- placement ---------------------------------------------------------------------------------------
    @property
    def warm_jobs(self) -> int:
        return math.ceil(self.profile.warm / self.profile.processes)

    def job_ids_of(self, names: list[str]) -> dict[str, str]:
        out = {}
        for name in names:
            jid = self.backend.job_id(name)
            if jid:
                out[name] = jid
                self.job_ids.add(jid)
        return out

    def free_worker(self) -> str | None:
        """The connected worker with the most free plugin slots (counting starts placed there but not yet
        running), or None when every slot is taken. Dask's scheduler checks a worker's total resources, not its
        free ones: left to itself it may queue a start behind a full worker while another has room."""
        used: dict[str, int] = {}
        for t in self.tasks.values():
            if t.active and t.worker:
                used[t.worker] = used.get(t.worker, 0) + 1
        best, room = None, 0
        ending = {t.worker for t in self.tasks.values() if t.worker and t.job in self.ending}
        for address, ws in self.backend.scheduler.workers.items():
            if address in ending:
                continue  # its job reaches its walltime soon: no new plugin starts there
            free = int(ws.resources.get(SLOT_RESOURCE, 0)) - used.get(address, 0)
            if free > room:
                best, room = address, free
        return best

    def rebalance(self) -> None:
        """Attribute waiting tasks to jobs with free slots and submit jobs so every active task has a slot."""
        if not self.backend.has_jobs or self.closed:
            return
        p = self.profile
        # Jobs that reach their walltime soon keep their plugins but take no new one (e.g. a renewal's).
        jobs = [j for j in self.backend.job_names() if j not in self.retiring and j not in self.ending]
        active = [t for t in self.tasks.values() if t.active and t.job not in self.ending]
        ending = len([j for j in self.backend.job_names() if j in self.ending and j not in self.retiring])
        used = {j: 0 for j in jobs}
        for t in active:
            if t.job in used:
                used[t.job] += 1
        waiting = [t for t in active if t.state == TaskState.QUEUED and t.job not in used]
        target = min(p.max_jobs - ending, max(math.ceil(len(active) / p.slots_per_job), self.warm_jobs))
        if target > len(jobs):
            new = self.backend.add_jobs(target - len(jobs))
            for j in new:
                used[j] = 0
                self.idle_since.pop(j, None)
            self.poke.set()
        states = self.job_states
        # Prefer running jobs, then the oldest pending ones.
        order = sorted(used, key=lambda j: 0 if states.get(self.backend.job_id(j) or "", None) and
                       states[self.backend.job_id(j)].state == "RUNNING" else 1)
        for t in waiting:
            for j in order:
                if used[j] < p.slots_per_job:
                    used[j] += 1
                    t.job = j
                    break
        self.report()

    async def reap_idle(self) -> None:
        """Release jobs idle longer than idle-timeout, keeping `warm` jobs."""
        now = time.monotonic()
        async with self.lock:
            jobs = [j for j in self.backend.job_names() if j not in self.retiring]
            busy = {t.job for t in self.tasks.values() if t.active}
            for j in jobs:
                if j in busy:
                    self.idle_since.pop(j, None)
                else:
                    self.idle_since.setdefault(j, now)
            idle = sorted((self.idle_since[j], j) for j in jobs if j not in busy)
            keep = self.warm_jobs
            victims = []
            for since, j in idle:
                if len(jobs) - len(victims) <= keep:
                    break
                if now - since >= self.profile.idle_timeout:
                    victims.append(j)
            if not victims:
                return
            self.job_ids_of(victims)
            self.retiring.update(victims)
            for j in victims:
                self.idle_since.pop(j, None)
        logger.info("releasing idle job(s) %s of profile %r", victims, self.profile.name)
        await self.backend.remove_jobs(victims)
        self.spawn(self.account([jid for jid in map(self.backend.job_id, victims) if jid]))

    async def account(self, job_ids: list[str]) -> None:
        """The scheduler's own figures for jobs that ended, once it has written them (JobAccounted events)."""
        await asyncio.sleep(ACCOUNTING_DELAY)
        for jid in job_ids:
            figures: dict = {}
            for _ in range(ACCOUNTING_TRIES):
                try:
                    figures = await self.backend.batch.accounting(jid)
                except Exception as exc:  # noqa: BLE001 - figures are a nicety
                    figures = {"note": f"asking for job {jid}'s accounting failed: {exc}"}
                if not figures.get("retry") or self.closed:
                    break
                await asyncio.sleep(ACCOUNTING_DELAY)
            if not self.closed:
                self.manager.emit(JobAccounted("", job_id=jid, figures=figures))

    # --- scheduler facts ---------------------------------------------------------------------------------
    async def poll_loop(self) -> None:
        while not self.closed:
            try:
                await asyncio.wait_for(self.poke.wait(), self.profile.poll_interval)
            except asyncio.TimeoutError:
                pass
            self.poke.clear()
            if self.closed:
                return
            try:
                await self.poll_once()
            except Exception:
                logger.exception("polling the scheduler for profile %r failed", self.profile.name)

    async def submit_failed(self) -> None:
        """Jobs the submit command refused: their waiting plugins fail with the scheduler's words."""
        failures = dict(self.backend.submit_failures)
        self.backend.submit_failures.clear()
        if not failures:
            return
        names = [n for n in failures if n in self.backend.job_names()]
        async with self.lock:
            self.retiring.update(names)
        if names:
            await self.backend.remove_jobs(names)
        for name, why in failures.items():
            for t in self._without_a_slot(name):
                t.move("lost")
                self.manager.emit(SubmitFailed(t.key, job_id=None, profile=t.profile.name,
                                               reason=f"the job could not be submitted: {why}"))
                try:
                    await asyncio.wait_for(self.client.cancel([t.future], force=True), 10)
                except Exception:
                    logger.exception("cancelling plugin %s after a failed submission", t.key)

    def _without_a_slot(self, failed: str) -> list[Task]:
        """The waiting tasks the refused job `failed` was submitted for: those placed on it, and (newest first)
        those left without a slot once it is gone (Dask may already have queued them behind a full worker)."""
        queued = [t for t in self.tasks.values() if t.active and t.state == TaskState.QUEUED]
        placed = [t for t in queued if t.job == failed]
        jobs = [j for j in self.backend.job_names() if j not in self.retiring and j != failed]
        active = sum(1 for t in self.tasks.values() if t.active)
        short = active - len(placed) - len(jobs) * self.profile.slots_per_job
        others = [t for t in reversed(queued) if t not in placed][:max(0, short)]
        return placed + others

    async def poll_once(self) -> None:
        await self.submit_failed()
        names = [j for j in self.backend.job_names() if j not in self.retiring]
        ids = self.job_ids_of(names)
        if ids:
            states = await self.backend.query(list(ids.values()))
            for name, jid in ids.items():
                if name in self.lost or name in self.retiring:
                    continue  # settled meanwhile (job_lost holds the final state): keep that
                st = states.get(jid)
                if st is not None:
                    self.job_states[jid] = st
                gone = st is None or st.state in TERMINAL_STATES
                if gone and name not in self.lost and not self.closed:
                    # A job ended without us: its workers' departure may never come (it never started).
                    self.lost[name] = asyncio.ensure_future(self.job_lost(name))
            self.start_predicting({jid: st for jid, st in states.items() if st.state == "PENDING"})
            await self.note_ending(ids)
            self.warn_walltime()
            self.report()
        await self.reap_idle()

    def start_predicting(self, pending: dict[str, JobState]) -> None:
        """Ask for the pending jobs' predicted starts in the background: the scheduler's answers (one or more
        commands per job) never hold up the poll; a round still running is left to finish."""
        self.predictor.forget(set(pending))
        if pending and (self._predicting is None or self._predicting.done()):
            self._predicting = asyncio.ensure_future(self.predict(pending))
            self._bg.add(self._predicting)
            self._predicting.add_done_callback(self._bg.discard)

    async def predict(self, pending: dict[str, JobState]) -> None:
        """The scheduler's predicted start of each pending job (and sooner requests), refreshed now and then."""
        for jid, st in pending.items():
            try:
                await self.predictor.refresh(jid, st)
            except Exception:  # noqa: BLE001 - a prediction is a nicety: never stop polling for it
                logger.debug("predicting the start of job %s failed", jid, exc_info=True)
        self.report()  # the new predictions reach the clients now, not at the next poll

    async def note_ending(self, ids: dict[str, str]) -> None:
        """Jobs within walltime-warning of their end take no new plugins (their workers' free slots are taken
        away before anyone is warned): a job is started for what comes, e.g. a renewal's replacement."""
        lead = self.profile.walltime_warning
        ending = set()
        for name, jid in ids.items():
            st = self.job_states.get(jid)
            left = st.seconds_left if st is not None and st.state == "RUNNING" else None
            if left is not None and left <= lead:
                ending.add(name)
        new, self.ending = ending - self.ending, ending
        if not new:
            return
        logger.info("job(s) %s of profile %r reach their walltime soon: no new plugins there", sorted(new),
                    self.profile.name)
        workers = [address for address, name in self.worker_names.items() if self.backend.job_of_worker(name) in new]
        if workers:
            try:
                await asyncio.wait_for(self.client.run(take_no_new_plugins, workers=workers), 10)
            except Exception:  # noqa: BLE001 - the worker may be ending already
                logger.warning("could not close the workers of job(s) %s to new plugins", sorted(new), exc_info=True)
        async with self.lock:
            self.rebalance()

    def warn_walltime(self) -> None:
        """Warn the running tasks of jobs found ending (note_ending, which closed them to new plugins first)."""
        for t in list(self.tasks.values()):
            if not t.active or t.warned or t.state != TaskState.RUNNING or t.job not in self.ending:
                continue
            jid = self.backend.job_id(t.job)
            left = self.job_states[jid].seconds_left if jid in self.job_states else None
            t.warned = True
            self.manager.emit(WalltimeWarning(t.key, job_id=jid, profile=t.profile.name, seconds_left=int(left or 0)))

    async def worker_removed(self, address: str, worker_name: str | None) -> None:
        if self.closed or self.manager.closing:
            return
        if not self.backend.has_jobs:
            affected = [t for t in self.tasks.values()
                        if t.worker == address and not (t.released or t.lost or t.finished)]
            for t in affected:
                t.move("lost")
                self.manager.emit(WorkerLost(t.key, job_id=None, profile=t.profile.name, worker=address,
                                             scheduler_state=None, exit_code=None, stderr_tail="",
                                             reason=f"worker process {worker_name or address} ended"))
            self.report()
            return
        job = self.backend.job_of_worker(worker_name) if worker_name else None
        if job is None:
            job = next((t.job for t in self.tasks.values() if t.worker == address and t.job), None)
        if job is None or job in self.retiring:
            return
        if job not in self.lost:
            self.lost[job] = asyncio.ensure_future(self.job_lost(job))
        await asyncio.wait_for(asyncio.shield(self.lost[job]), 120)

    async def job_lost(self, job: str) -> None:
        """A job ended that we did not release: ask the scheduler why, tell the plugins' owners."""
        jid = self.backend.job_id(job)
        final = await self.backend.final_state(jid) if jid else JobState("", "UNKNOWN")
        if self.closed or self.manager.closing:
            return
        affected = [t for t in self.tasks.values() if t.job == job and not (t.released or t.lost or t.finished)]
        if jid:
            self.job_states[jid] = final
        async with self.lock:
            self.retiring.add(job)
        try:
            await self.backend.remove_jobs([job])
        except Exception:
            logger.exception("dropping lost job %s", job)
        if jid:
            self.spawn(self.account([jid]))
        reason = _REASONS.get(final.state, f"the job ended in state {final.state}")
        if final.state == "TIMEOUT" and self.profile.walltime:
            reason += f" ({self.profile.walltime})"
        if final.state == "OUT_OF_MEMORY" and self.profile.memory:
            reason += f" ({self.profile.memory})"
        if final.reason and final.reason not in ("None", reason):
            reason += f"; scheduler reason: {final.reason}"
        stderr = tail(self.backend.stderr_path(jid)) if jid else ""
        for t in affected:
            t.move("lost")
            self.manager.emit(WorkerLost(t.key, job_id=jid, profile=t.profile.name, worker=t.worker,
                                         scheduler_state=final.state, reason=reason, exit_code=final.exit_code,
                                         stderr_tail=stderr))
        # Plugins that were still waiting for this job (it died before its worker connected, e.g. a failing
        # job-script-prologue): end them too rather than resubmitting a job that fails the same way.
        waiting = [t.future for t in affected if not t.future.done()]
        if waiting:
            try:
                await asyncio.wait_for(self.client.cancel(waiting, force=True), 10)
            except Exception:
                logger.exception("cancelling plugins that waited for lost job %s", job)
        async with self.lock:
            self.rebalance()

    # --- reports -----------------------------------------------------------------------------------------
    def status(self, t: Task, busy: dict[str | None, int] | None = None) -> TaskStatus:
        """The task's facts now; `busy` (running tasks per job) saves a count when reporting many tasks."""
        p = self.profile
        state = TaskState.ENDED if t.released or t.lost or t.future.done() else t.state
        job_id = scheduler_state = reason = node = walltime_left = None
        if not self.backend.has_jobs:
            if state == TaskState.RUNNING:
                node = "127.0.0.1"
            elif state == TaskState.QUEUED:
                reason = f"waiting for a free plugin slot ({p.processes} workers x {p.plugin_slots} slots)"
            return TaskStatus(state, None, None, reason, node, t.worker, None, p.name)
        job_id = self.backend.job_id(t.job) if t.job else None
        st = self.job_states.get(job_id or "")
        if st is not None:
            scheduler_state = st.state
            reason = st.reason if st.reason not in (None, "None") else None
            node = st.node or None
            left = st.seconds_left
            walltime_left = None if left is None else int(left)
        if state == TaskState.QUEUED:
            if t.job is None:
                reason = f"waiting for a free plugin slot: max-jobs {p.max_jobs} of profile {p.name!r} reached"
            elif st is not None and st.state == "RUNNING":
                if busy is None:
                    busy = self._busy()
                if busy.get(t.job, 0) >= p.slots_per_job:
                    reason = (f"waiting for a free plugin slot: all {p.slots_per_job} slots of job {job_id} "
                              f"are busy and max-jobs {p.max_jobs} of profile {p.name!r} is reached")
                else:
                    state = TaskState.STARTING
            elif job_id is None:
                reason = "submitting the job"
        known = self.predictor.known.get(job_id or "") if state == TaskState.QUEUED else None
        if known:
            return TaskStatus(state, job_id, scheduler_state, reason, node, t.worker, walltime_left, p.name,
                              known["predicted_start"], known["start_note"],
                              tuple(known["sooner"]))
        return TaskStatus(state, job_id, scheduler_state, reason, node, t.worker, walltime_left, p.name)

    def _busy(self) -> dict[str | None, int]:
        """Running plugin tasks per job."""
        busy: dict[str | None, int] = {}
        for o in self.tasks.values():
            if o.active and o.state == TaskState.RUNNING:
                busy[o.job] = busy.get(o.job, 0) + 1
        return busy

    def report(self) -> None:
        """Push the status of every task whose facts changed since it was last pushed."""
        if self.closed or not self.manager.status_events:
            return
        busy = self._busy()
        for t in list(self.tasks.values()):
            status = self.status(t, busy)
            if status != t.reported:
                t.reported = status
                self.manager.status_changed(StatusChanged(t.key, status))

    def jobs(self) -> list[dict]:
        out = []
        by_job: dict[str | None, list[str]] = {}
        for t in self.tasks.values():
            if t.active:
                by_job.setdefault(t.job, []).append(t.key)
        if not self.backend.has_jobs:
            for addr in list(self.backend.scheduler.workers):
                keys = [t.key for t in self.tasks.values() if t.active and t.worker == addr]
                out.append({"job_id": None, "profile": self.profile.name, "state": "RUNNING", "reason": None,
                            "node": "127.0.0.1", "workers": [addr], "plugins": keys, "walltime_left": None})
            return out
        for name in self.backend.job_names():
            jid = self.backend.job_id(name)
            st = self.job_states.get(jid or "")
            workers = [a for a, n in self.worker_names.items() if self.backend.job_of_worker(n) == name]
            left = st.seconds_left if st else None
            known = self.predictor.known.get(jid or "", {})
            out.append({"job_id": jid, "profile": self.profile.name, "name": name,
                        "state": st.state if st else "SUBMITTING", "reason": st.reason if st else None,
                        "node": st.node if st else None, "workers": workers,
                        "plugins": by_job.get(name, []), "walltime_left": None if left is None else int(left),
                        "predicted_start": known.get("predicted_start"), "start_note": known.get("start_note"),
                        "sooner": known.get("sooner", [])})
        return out

    async def close(self) -> None:
        self.closed = True
        self.poke.set()
        if self.poller is not None:
            self.poller.cancel()
        for name in self.backend.job_names():
            self.job_ids_of([name])
        for task in list(self.lost.values()) + list(self._bg):
            task.cancel()
        if self.client is not None:
            try:
                await asyncio.wait_for(self.client.close(), 20)
            except Exception:
                logger.exception("closing the client of profile %r", self.profile.name)
        try:
            await self.backend.close()
        except Exception:
            logger.exception("closing the cluster of profile %r", self.profile.name)


MAX_ENDED_RECORDS = 1000
ACCOUNTING_DELAY, ACCOUNTING_TRIES = 3.0, 4  # seconds before (and between) asking for an ended job's accounting


class Ended:
    """Stands in for the Future of a released plugin."""

    def __init__(self, status: str) -> None:
        self.status = status

    def done(self) -> bool:
        return True


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("imjoy-hpc cluster background task failed", exc_info=task.exception())

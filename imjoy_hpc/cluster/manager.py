"""ClusterManager: one Dask cluster per profile shape, plugin slots on workers, job lifecycle facts and events."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from imjoy_hpc.cluster import gateway_records
from imjoy_hpc.backends import batch_scheduler, cluster_backend, tls
from imjoy_hpc.backends.base import SLOT_RESOURCE, TERMINAL_STATES
from imjoy_hpc.cluster.events import ClusterEvent, StatusChanged
from imjoy_hpc.cluster.pool import MAX_ENDED_RECORDS, Ended, Pool, Task
from imjoy_hpc.cluster.predictions import before_submitting
from imjoy_hpc.cluster.profiles import Profile, resolve
from imjoy_hpc.settings import Settings

logger = logging.getLogger(__name__)


class ClusterManager:
    """Owns one Dask cluster per profile shape; places plugin tasks in plugin slots; reports job facts.

    One listener, `on_event`, hears what happens to tasks (installing, installed, walltime-warning, worker-lost,
    submit-failed, usage: typed ClusterEvents) and, with `status_events`, each change of a task's facts
    (StatusChanged: worked out only for a listener that wants them).
    """

    def __init__(self, settings: Settings | dict, *, run_id: str, log_dir: Path,
                 on_event: Callable[[ClusterEvent], None] | None = None, status_events: bool = False) -> None:
        self.settings = Settings.of(settings)
        self.run_id = run_id  # the gateway run's id: its jobs' names and its record say it
        self.log_dir = Path(log_dir)
        self.on_event = on_event
        self.status_events = status_events and on_event is not None
        self.job_name = gateway_records.job_name(run_id)
        self.closing = False
        self._pools: dict[str, Pool] = {}
        self._tasks: dict[str, Task] = {}
        self._pool_of: dict[str, Pool] = {}
        self._ended: list[str] = []  # released keys, oldest first (status() answers "ended" for a while)
        self._pools_lock: asyncio.Lock | None = None
        self.state_dir = Path(self.settings.state_dir).expanduser()
        gateway_records.record_gateway(self.state_dir, run_id)

    def resolve(self, profile: str | None, request: dict | None = None) -> Profile:
        """The profile (default: the default-profile setting) refined by a plugin's resource request."""
        return resolve(self.settings, profile, request)

    async def predict_start(self, profile: Profile) -> dict:
        """When a plugin of `profile` would start if loaded now (nothing is submitted): {"predicted_start",
        "start_note", "sooner"} as for a waiting plugin."""
        pool = await self._pool(profile)
        async with pool.lock:
            free = pool.free_worker() is not None
        return await before_submitting(pool.backend, profile, free)

    @staticmethod
    def walltime_note(profile: Profile) -> str | None:
        """What a user can do about a running job's time limit on this profile's scheduler, in words."""
        return batch_scheduler(profile.backend).walltime_note

    def emit(self, event: ClusterEvent) -> None:
        """Tell `on_event` (its failures are logged, never raised into the cluster's bookkeeping)."""
        self._tell(self.on_event, event)

    def status_changed(self, event: StatusChanged) -> None:
        """Tell `on_event` of a change of a task's facts (when it wants them)."""
        if self.status_events:
            self._tell(self.on_event, event)

    @staticmethod
    def _tell(listener: Callable[[Any], None] | None, event: ClusterEvent) -> None:
        if listener is None:
            return
        try:
            listener(event)
        except Exception:
            logger.exception("the listener failed on a %s event", event.type)

    async def _pool(self, profile: Profile) -> Pool:
        if self.closing:
            raise RuntimeError("the cluster manager is closed")
        if self._pools_lock is None:
            self._pools_lock = asyncio.Lock()
        key = profile.cluster_key()
        async with self._pools_lock:
            pool = self._pools.get(key)
            if pool is not None:
                return pool
            backend = cluster_backend(profile.backend)(profile, job_name=self.job_name, log_dir=self.log_dir,
                                                       cluster_name=key)
            pool = Pool(self, profile, backend)
            try:
                await pool.start()
            except BaseException:
                await pool.close()
                raise
            self._pools[key] = pool
            return pool

    async def client(self, profile: Profile) -> Any:
        """Asynchronous distributed.Client of the profile's cluster (started on first use)."""
        return (await self._pool(profile)).client

    def scheduler_address(self, profile: Profile) -> str:
        """Address of the profile's Dask scheduler (for plugins fanning work out)."""
        pool = self._pools.get(profile.cluster_key())
        if pool is None:
            raise RuntimeError(f"the cluster of profile {profile.name!r} is not started (await client() first)")
        return pool.backend.scheduler_address

    def client_env(self, profile: Profile) -> dict[str, str]:
        """Environment a separate process (a plugin fanning work out) needs to connect to scheduler_address().

        With TLS (the default) these are the paths of the cluster's 0600 credential files; empty without TLS.
        """
        pool = self._pools.get(profile.cluster_key())
        if pool is None:
            raise RuntimeError(f"the cluster of profile {profile.name!r} is not started (await client() first)")
        return tls.client_env(pool.backend.security)

    async def launch(self, profile: Profile, fn: Callable[..., Any], *args: Any, key: str, **kwargs: Any) -> Any:
        """Submit fn(*args, **kwargs) as a long-running task holding one plugin slot; returns its Future."""
        old = self._tasks.get(key)
        if old is not None and old.active:
            raise ValueError(f"a plugin with key {key!r} is already running")
        if old is not None:
            self._forget(key)
        pool = await self._pool(profile)
        from imjoy_hpc.cluster.tasks import run_long, run_long_async

        wrapper = run_long_async if inspect.iscoroutinefunction(fn) else run_long
        dask_key = f"imjoy-plugin-{key}-{uuid.uuid4().hex[:8]}"
        async with pool.lock:
            worker = pool.free_worker()  # preferred, not required: the start may go elsewhere if it leaves
            future = pool.client.submit(wrapper, fn, args, kwargs, key=dask_key, pure=False, retries=0,
                                        resources={SLOT_RESOURCE: 1}, workers=[worker] if worker else None,
                                        allow_other_workers=bool(worker))
            t = Task(key=key, profile=profile, dask_key=dask_key, future=future, worker=worker)
            pool.add(t)
            self._tasks[key] = t
            self._pool_of[key] = pool
            pool.rebalance()
            pool.report()
        return future

    def _forget(self, key: str) -> None:
        t = self._tasks.pop(key, None)
        pool = self._pool_of.pop(key, None)
        if t is not None and pool is not None:
            pool.drop(t)

    async def release(self, key: str) -> None:
        """The plugin `key` ended: free its slot (idle jobs go after idle-timeout)."""
        t = self._tasks.get(key)
        pool = self._pool_of.get(key)
        if t is None or pool is None or t.released:
            return
        t.move("released")
        if not t.future.done():
            try:
                await asyncio.wait_for(pool.client.cancel([t.future], force=True), 10)
            except Exception:
                logger.exception("cancelling the task of plugin %s", key)
        pool.drop(t, released=True)
        t.future = Ended(t.future.status)  # our reference no longer pins the result in worker memory
        self._ended.append(key)
        while len(self._ended) > MAX_ENDED_RECORDS:
            old = self._ended.pop(0)
            if self._tasks.get(old) is not None and self._tasks[old].released:
                self._tasks.pop(old, None)
                self._pool_of.pop(old, None)
        pool.poke.set()

    def status(self, key: str) -> dict:
        """Lifecycle facts of plugin `key`: state, job_id, scheduler_state, reason, node, worker, walltime_left."""
        t = self._tasks.get(key)
        if t is None:
            raise KeyError(f"no plugin with key {key!r} was launched")
        return self._pool_of[key].status(t).as_dict()

    def list_jobs(self) -> list[dict]:
        """Jobs (or local workers) this manager owns, with the plugin keys on each."""
        out: list[dict] = []
        for pool in self._pools.values():
            out += pool.jobs()
        return out

    def job_ids(self) -> set[str]:
        """Every batch job id this manager submitted."""
        ids: set[str] = set()
        for pool in self._pools.values():
            pool.job_ids_of(pool.backend.job_names())
            ids |= pool.job_ids
        return ids

    async def close(self, timeout: float = 60.0) -> None:
        """Close every cluster, cancel every job submitted, and wait (bounded) until the scheduler lists none."""
        if self.closing:
            return
        ids = self.job_ids()
        self.closing = True
        pools = list(self._pools.values())
        await asyncio.gather(*(p.close() for p in pools), return_exceptions=True)
        for pool in pools:
            if not pool.backend.has_jobs:
                continue
            ids = set(pool.job_ids)
            deadline = time.monotonic() + timeout
            cancelled = False
            while ids and time.monotonic() < deadline:
                states = await pool.backend.query(sorted(ids))
                alive = sorted(j for j, s in states.items() if s.state not in TERMINAL_STATES)
                if not alive:
                    await pool.backend.settle(sorted(ids), max(1.0, deadline - time.monotonic()))
                    break
                if not cancelled:
                    await asyncio.to_thread(pool.backend.batch.cancel_jobs, alive)
                    cancelled = True
                await asyncio.sleep(0.25)
            else:
                if ids:
                    logger.error("jobs %s still listed by the scheduler %.0f s after close", sorted(ids), timeout)
        gateway_records.remove_record(self.state_dir, self.run_id)

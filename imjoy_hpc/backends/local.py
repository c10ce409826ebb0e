"""The embedded default: a distributed.LocalCluster on this machine, bound to 127.0.0.1, no dashboard."""

from __future__ import annotations

import asyncio

from imjoy_hpc.backends.base import SLOT_RESOURCE, BatchScheduler, Cluster
from imjoy_hpc.files import private_dir


class LocalBatch(BatchScheduler):
    """No scheduler: no batch jobs, nothing to list or cancel, no job in the environment."""

    name = "local"
    has_jobs = False


class LocalCluster(Cluster):
    """`processes` worker processes, each with `plugin-slots` slots; no batch jobs."""

    batch = LocalBatch

    async def start(self) -> None:
        import distributed

        p = self.profile
        private_dir(self.log_dir / "dask-worker-space")  # Dask's own files in there keep Dask's modes
        security = self.make_security()
        self.cluster = distributed.LocalCluster(
            security=security,
            n_workers=p.processes,
            threads_per_worker=max(1, p.cores // p.processes),
            processes=True,
            memory_limit=p.memory or "auto",
            resources={SLOT_RESOURCE: p.plugin_slots},
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
            worker_dashboard_address="127.0.0.1:0",
            local_directory=str(self.log_dir / "dask-worker-space"),
            name=self.cluster_name,
            asynchronous=True,
        )
        await asyncio.wait_for(self.cluster, 60)

"""The embedded default: a distributed.LocalCluster on this machine, bound to 127.0.0.1, no dashboard."""

from __future__ import annotations

import asyncio

from imjoy_hpc.backends.base import SLOT_RESOURCE, Backend


class LocalBackend(Backend):
    """`processes` worker processes, each with `plugin-slots` slots; no batch jobs."""

    name = "local"
    has_jobs = False

    async def start(self) -> None:
        from distributed import LocalCluster

        p = self.profile
        self.log_dir.mkdir(parents=True, exist_ok=True)
        security = self.make_security()
        self.cluster = LocalCluster(
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

"""Scheduler backends, one module each: everything imjoy-hpc knows about a scheduler, for the gateway's Dask
clusters and for batch runs alike. Each module holds two classes (see base.py): the scheduler's command line and
environment (a `BatchScheduler`: job script header, submit, states, cancel, list, accounting, the variables a job
finds in its environment) and the gateway's live cluster on it (a `Cluster`).

The registry below is the list of backends: adding a scheduler is one module plus one line here. Modules are
imported on first use, so naming the backends costs no import; they import no dask at module level either, so a
plugin process that reads its job from the environment (`job_id`) stays light.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imjoy_hpc.backends.base import BatchScheduler, Cluster

# backend name (as written in profiles) -> (module, live cluster class, batch scheduler class), in the order a
# job's environment is read (SLURM; PBS Pro/OpenPBS and Torque; Grid Engine): the first scheduler that finds its
# job there answers.
BACKENDS: dict[str, tuple[str, str, str]] = {
    "slurm": ("imjoy_hpc.backends.slurm", "SlurmCluster", "SlurmBatch"),
    "pbs": ("imjoy_hpc.backends.pbs", "PBSCluster", "PBSBatch"),
    "sge": ("imjoy_hpc.backends.sge", "SGECluster", "SGEBatch"),
    "local": ("imjoy_hpc.backends.local", "LocalCluster", "LocalBatch"),
}


def backend_names() -> list[str]:
    """Names of the backends, sorted."""
    return sorted(BACKENDS)


def _entry(name: str) -> tuple[str, str, str]:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r} (known: {', '.join(backend_names())})")
    return BACKENDS[name]


def cluster_backend(name: str) -> type[Cluster]:
    """The gateway's live cluster class for `backend: <name>` (ValueError naming the known ones otherwise)."""
    module, cluster, _ = _entry(name)
    return getattr(importlib.import_module(module), cluster)


def batch_scheduler(name: str) -> type[BatchScheduler]:
    """The command line of `backend: <name>`'s scheduler (batch scripts, submit, states, cancel, list, accounting);
    ValueError naming the known ones otherwise."""
    module, _, batch = _entry(name)
    return getattr(importlib.import_module(module), batch)


def batch_schedulers() -> list[type[BatchScheduler]]:
    """Every backend's scheduler, in the registry's order."""
    return [batch_scheduler(name) for name in BACKENDS]


# --- the job this process runs in, from its environment (asked of each scheduler in turn) -------------------
def _first_answer(question: str, env: Mapping[str, str] | None) -> Any:
    """The first scheduler's answer (not None) to `question` (a classmethod name) about `env`."""
    env = os.environ if env is None else env
    for scheduler in batch_schedulers():
        answer = getattr(scheduler, question)(env)
        if answer is not None:
            return answer
    return None


def job_info(env: Mapping[str, str] | None = None) -> dict | None:
    """The batch job this process runs in (id, array job id and index, scheduler), None outside a job."""
    return _first_answer("job_from_env", env)


def job_id(env: Mapping[str, str] | None = None) -> str | None:
    """The id of the batch job this process runs in, None outside a job."""
    info = job_info(env)
    return info["id"] if info else None


def allocation_cores(env: Mapping[str, str] | None = None) -> int | None:
    """Cores of the current batch allocation (each scheduler's variables in turn), None outside a job."""
    return _first_answer("cores_from_env", env)

"""Cluster layer: profiles and limits, Dask clusters per profile (local, SLURM, PBS), job lifecycle facts."""

from imjoy_hpc.cluster._events import (ClusterEvent, Installed, Installing, StatusChanged, SubmitFailed, TaskState,
                                       TaskStatus, WalltimeWarning, WorkerLost)
from imjoy_hpc.cluster.base import Backend, JobQueueBackend, JobState, backend_class, backend_names, register
from imjoy_hpc.cluster.manager import ClusterManager
from imjoy_hpc.cluster.profiles import Limits, Profile, ResourceLimitError, parse_walltime, refine, resolve
from imjoy_hpc.cluster.sessions import cancel_orphans, job_name

__all__ = [
    "Backend", "ClusterEvent", "ClusterManager", "Installed", "Installing", "JobQueueBackend", "JobState", "Limits",
    "Profile", "ResourceLimitError", "StatusChanged", "SubmitFailed", "TaskState", "TaskStatus", "WalltimeWarning",
    "WorkerLost", "backend_class", "backend_names", "cancel_orphans", "job_name", "parse_walltime", "refine",
    "register", "resolve",
]

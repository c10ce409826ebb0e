"""Cluster layer, scheduler-independent: profiles and limits, one Dask cluster per profile (its backend from
imjoy_hpc.backends), job lifecycle facts, records of live gateways (`gateway_records.py`) to cancel the jobs
of dead ones."""

from imjoy_hpc.cluster.events import (ClusterEvent, Installed, Installing, JobAccounted, StatusChanged, SubmitFailed,
                                      TaskState, TaskStatus, Usage, WalltimeWarning, Warned, WorkerLost)
from imjoy_hpc.cluster.manager import ClusterManager
from imjoy_hpc.cluster.profiles import Limits, Profile, ResourceLimitError, parse_walltime, refine, resolve
from imjoy_hpc.cluster.gateway_records import cancel_orphans, job_name

__all__ = [
    "ClusterEvent", "ClusterManager", "Installed", "Installing", "JobAccounted", "Limits", "Profile", "ResourceLimitError",
    "StatusChanged", "SubmitFailed", "TaskState", "TaskStatus", "Usage", "WalltimeWarning", "Warned", "WorkerLost",
    "cancel_orphans", "job_name", "parse_walltime", "refine", "resolve",
]

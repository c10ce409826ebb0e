"""Where a batch run or plugin is: the batch job it runs in (if any) and the cores of its allocation. What each
scheduler puts in a job's environment is known by its backend (imjoy_hpc.backends: `job_from_env`,
`core_variables`); these ask every registered backend in turn."""

from __future__ import annotations

import os

from imjoy_hpc.backends import allocation_cores, job_id, job_info

__all__ = ["allocation_cores", "job_id", "job_info", "machine_cores"]


def machine_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1

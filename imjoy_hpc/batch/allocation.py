"""Where a batch run or plugin is: the SLURM, PBS or Grid Engine job it runs in (if any) and the cores of its
allocation."""

from __future__ import annotations

import os

# Allocation size, in the order asked: SLURM; PBS Pro/OpenPBS; Torque; Grid Engine (slots).
CORE_VARIABLES = ("SLURM_CPUS_ON_NODE", "SLURM_CPUS_PER_TASK", "NCPUS", "PBS_NCPUS", "PBS_NUM_PPN", "PBS_NP",
                  "NSLOTS")


def allocation_cores(env: dict | None = None) -> int | None:
    """Cores of the current batch allocation (SLURM or PBS variables), None outside a job."""
    env = os.environ if env is None else env
    for name in CORE_VARIABLES:
        try:
            n = int(str(env.get(name, "")).split("(")[0].split(",")[0])
        except ValueError:
            continue
        if n > 0:
            return n
    return None


def machine_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def job_info(env: dict | None = None) -> dict | None:
    """The batch job this process runs in (id, array job id and index, scheduler), None outside a job."""
    env = os.environ if env is None else env
    if env.get("SLURM_JOB_ID"):
        return {"scheduler": "slurm", "id": env["SLURM_JOB_ID"],
                "array_job_id": env.get("SLURM_ARRAY_JOB_ID"), "array_index": env.get("SLURM_ARRAY_TASK_ID")}
    if env.get("PBS_JOBID"):
        return {"scheduler": "pbs", "id": env["PBS_JOBID"], "array_job_id": env.get("PBS_ARRAY_ID"),
                "array_index": env.get("PBS_ARRAY_INDEX") or env.get("PBS_ARRAYID")}
    if env.get("JOB_ID") and env.get("SGE_ROOT"):
        task = env.get("SGE_TASK_ID")
        task = None if task in (None, "", "undefined") else task
        return {"scheduler": "sge", "id": env["JOB_ID"], "array_job_id": env["JOB_ID"] if task else None,
                "array_index": task}
    return None


def job_id(env: dict | None = None) -> str | None:
    """The id of the batch job this process runs in, None outside a job."""
    info = job_info(env)
    return info["id"] if info else None

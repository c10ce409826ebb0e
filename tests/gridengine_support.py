"""Helpers for tests against the real single-node Grid Engine that scripts/ci/gridengine.sh starts.

Grid Engine's commands are not on the default PATH (Slurm's PBS wrappers own /usr/bin/qsub): `ge_env()` is the
environment of scripts/ci/gridengine.sh's env.sh (SGE_ROOT, SGE_CELL, ports, PATH prefix), for the gateway
process and for the commands the tests run themselves.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from support import require

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "ci" / "gridengine.sh"
HOW = "run `sudo scripts/ci/gridengine.sh start` (unpacks and starts a single-node Grid Engine)"
ENV_FILE = Path(os.environ.get("IMJOY_HPC_GRIDENGINE_DIR", "/opt/imjoy-hpc-ci/gridengine")) / "env.sh"


def ge_env(base: dict | None = None) -> dict:
    """`base` (default os.environ) with the exports of Grid Engine's env.sh applied."""
    env = dict(os.environ if base is None else base)
    for line in ENV_FILE.read_text().splitlines():
        m = re.match(r"export (\w+)=(.*)$", line.strip())
        if m:
            env[m[1]] = m[2].replace("$PATH", env.get("PATH", ""))
    return env


def jobs_env() -> list[str]:
    """job-extra-directives that give GE jobs the tests' PYTHONPATH (dask-jobqueue's SGE script has no -V)."""
    return [f"-v PYTHONPATH={os.environ.get('PYTHONPATH', '')}"]


def require_gridengine() -> dict:
    """Fail (CI) or skip unless Grid Engine's queue accepts jobs; its environment."""
    require(ENV_FILE.is_file(), f"Grid Engine ({ENV_FILE})", HOW)
    env = ge_env()
    proc = subprocess.run(["bash", str(SCRIPT), "status"], capture_output=True, text=True, timeout=30, env=env)
    state = "; ".join(proc.stdout.split("\nenvironment")[0].splitlines())  # daemons and queue, not the exports
    require(proc.returncode == 0, f"Grid Engine's queue ({state})", HOW)
    return env


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=30, env=ge_env(), **kw)


def qstat_jobs() -> dict[str, tuple[str, str]]:
    """job id -> (name, state letters) of every job qstat lists."""
    out = run(["qstat", "-xml", "-u", "*"]).stdout
    jobs = {}
    for job in ET.fromstring(out).iter("job_list"):
        jobs[job.findtext("JB_job_number")] = (job.findtext("JB_name"), job.findtext("state"))
    return jobs


def starting(state: str | None) -> bool:
    """Grid Engine is still starting the job ('t': being transferred to its node); the plugin inside may already
    answer."""
    return "t" in (state or "")


def settled_state(job_id: str) -> str | None:
    """The job's qstat state, or None while Grid Engine is still starting it."""
    state = qstat_jobs()[job_id][1]
    return None if starting(state) else state


def qstat_jobs_settled(seconds: float = 15) -> dict[str, tuple[str, str]]:
    """`qstat_jobs()` once Grid Engine has finished starting its jobs (blocking; at most `seconds`)."""
    deadline = time.monotonic() + seconds
    jobs = qstat_jobs()
    while any(starting(state) for _, state in jobs.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
        jobs = qstat_jobs()
    return jobs


def qstat_ids(name_part: str) -> list[str]:
    """Ids of the jobs whose name contains `name_part`."""
    return sorted(j for j, (name, _) in qstat_jobs().items() if name_part in (name or ""))


def qsub_sleep(name: str, seconds: int = 120) -> str:
    """Submit a plain sleeping job (one slot); its id."""
    out = run(["qsub", "-terse", "-N", name, "-b", "y", "-o", "/dev/null", "-j", "y", "sleep", str(seconds)],
              check=True)
    return out.stdout.strip()


def qdel(*job_ids: str) -> None:
    if job_ids:
        run(["qdel", *job_ids])

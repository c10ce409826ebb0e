"""Helpers for tests against the real single-node OpenPBS server that scripts/ci/openpbs.sh starts.

PBS refuses loopback addresses, so the server runs inside its own network namespace and so must these tests:
`bash scripts/test-all.sh` runs the tests marked `openpbs` there (scripts/ci/openpbs.sh exec ...). Slurm's
PBS-style wrappers also own /usr/bin/qsub: every command here is PBS's own, from /opt/pbs/bin, and the job ids the
tests check (`12.pbshost`) cannot come from those wrappers (bare numbers).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from support import require

PBS_BIN = Path("/opt/pbs/bin")
HOST = os.environ.get("IMJOY_HPC_PBS_HOST", "pbshost")
HOW = ("run the tests marked openpbs inside PBS's network namespace: `bash scripts/test-all.sh` does it, or "
       "`sudo scripts/ci/openpbs.sh start` then `sudo scripts/ci/openpbs.sh exec .venv/bin/python -m pytest -m openpbs`")
JOB_ID = re.compile(rf"\d+(\[\d*\])?\.{re.escape(HOST)}")


def pbs_env(base: dict | None = None) -> dict:
    """`base` (default os.environ) with PBS's commands first on PATH."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = f"{PBS_BIN}:{env.get('PATH', '')}"
    env["PBS_CONF_FILE"] = "/etc/pbs.conf"
    return env


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=30, env=pbs_env(), **kw)


def require_openpbs() -> dict:
    """Fail (CI) or skip unless the PBS server answers here (inside its namespace) with a free node; its env."""
    require((PBS_BIN / "qstat").is_file(), f"OpenPBS ({PBS_BIN}/qstat)", HOW)
    try:
        nodes = run([str(PBS_BIN / "pbsnodes"), "-F", "json", HOST])
    except subprocess.TimeoutExpired:
        nodes = subprocess.CompletedProcess([], 1, "", "pbsnodes timed out")
    state = "unreachable: " + " ".join(nodes.stderr.split()) if nodes.returncode else \
        json.loads(nodes.stdout)["nodes"][HOST]["state"]
    require(state == "free" or "job-busy" not in state and "down" not in state and nodes.returncode == 0,
            f"the OpenPBS server and its node {HOST} (state {state!r})", HOW)
    return pbs_env()


def jobs_env() -> list[str]:
    """job-extra-directives that give PBS jobs the tests' PYTHONPATH (dask-jobqueue's PBS script has no -V)."""
    return [f"-v PYTHONPATH={os.environ.get('PYTHONPATH', '')}"]


def qstat_jobs(history: bool = False) -> dict[str, dict]:
    """job id -> qstat's record (`qstat -f -F json`, with `-x` ended jobs too)."""
    out = run([str(PBS_BIN / "qstat"), "-f", "-F", "json", "-t"] + (["-x"] if history else [])).stdout
    return json.loads(out).get("Jobs", {}) if out.strip() else {}


def qstat_ids(name_part: str) -> list[str]:
    """Ids of the unfinished jobs whose name contains `name_part`."""
    return sorted(j for j, rec in qstat_jobs().items()
                  if name_part in rec.get("Job_Name", "") and rec.get("job_state") not in ("F", "X"))


def qsub_sleep(name: str, seconds: int = 120, ncpus: int = 1) -> str:
    """Submit a plain sleeping job; its id."""
    out = run([str(PBS_BIN / "qsub"), "-N", name[:236], "-l", f"select=1:ncpus={ncpus}", "-o", "/dev/null",
               "-j", "oe", "--", "/bin/sleep", str(seconds)], check=True)
    return out.stdout.strip()


def qdel(*job_ids: str) -> None:
    if job_ids:
        run([str(PBS_BIN / "qdel"), "-W", "force", *job_ids])

"""PBS (qsub/qstat/qdel) through dask-jobqueue's PBSCluster.

Tested against Slurm's PBS/Torque-compatible commands (Debian slurm-wlm-torque), not against a PBS server.
That qsub ignores `#PBS -e dir/` and writes job logs to its working directory, so we submit from the log
directory (a real PBS server honours the directive as well).
"""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import time
from pathlib import Path

from dask.utils import parse_bytes

from imjoy_hpc.backends.base import JobQueueBackend, JobState, run_command, run_command_sync
from imjoy_hpc.cluster.profiles import parse_walltime

# PBS job_state letters -> the words the manager reasons with (terminal ones are in base.TERMINAL_STATES).
PBS_STATES = {"Q": "PENDING", "W": "PENDING", "T": "PENDING", "H": "HELD", "S": "SUSPENDED", "R": "RUNNING",
              "B": "RUNNING", "E": "EXITING", "C": "COMPLETED", "F": "COMPLETED", "X": "COMPLETED"}


def parse_qstat_full(text: str) -> list[dict[str, str]]:
    """`qstat -f` output as one dict per job (key 'Job Id' included; continuation lines joined)."""
    jobs: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    last = None
    for raw in text.splitlines():
        if raw.startswith("Job Id:"):
            current = {"Job Id": raw.split(":", 1)[1].strip()}
            jobs.append(current)
            last = None
        elif current is not None and " = " in raw:
            key, _, value = raw.strip().partition(" = ")
            current[key] = value.strip()
            last = key
        elif current is not None and last and raw.startswith(("\t\t", "        ")):
            current[last] += raw.strip()
    return jobs


def _over_slurm() -> bool:
    """True when qstat is Slurm's PBS/Torque-compatible wrapper (slurm-wlm-torque)."""
    qstat, squeue = shutil.which("qstat"), shutil.which("squeue")
    if not (qstat and squeue):
        return False
    try:
        return "slurm" in Path(qstat).read_text(errors="replace")[:20000].lower()
    except OSError:
        return False


def _short_id(job_id: str) -> str:
    m = re.match(r"\d+", job_id)
    return m.group(0) if m else job_id


def _job_cls():
    from dask_jobqueue.pbs import PBSJob

    class LogDirPBSJob(PBSJob):
        """qsub run from the log directory so its logs land there whatever the qsub flavour."""

        async def _submit_job(self, script_filename: str) -> str:
            return await self._call(shlex.split(self.submit_command) + [script_filename], cwd=self.log_directory)

    return LogDirPBSJob


class PBSBackend(JobQueueBackend):
    """Dask workers in PBS jobs."""

    name = "pbs"
    cluster_class_path = "dask_jobqueue.PBSCluster"

    def cluster_kwargs(self) -> dict:
        kw = super().cluster_kwargs()
        p = self.profile
        if p.gpus:
            mem = ""
            if p.memory:
                mem = f":mem={max(1, -(-parse_bytes(p.memory) // 2**20))}MB"
            kw["resource_spec"] = f"select=1:ncpus={p.cores}{mem}:ngpus={p.gpus}"
        return kw

    def job_class(self) -> type:
        return _job_cls()

    async def _qstat(self, job_ids: list[str]) -> list[dict[str, str]]:
        rc, out, err = await run_command(["qstat", "-f", *job_ids])
        if rc != 0 and not out.strip():
            # One unknown id makes qstat fail: ask one by one.
            jobs: list[dict[str, str]] = []
            for jid in job_ids if len(job_ids) > 1 else []:
                rc1, out1, _ = await run_command(["qstat", "-f", jid])
                if rc1 == 0:
                    jobs += parse_qstat_full(out1)
            return jobs
        return parse_qstat_full(out)

    @staticmethod
    def _state(job: dict[str, str], now: float) -> JobState:
        letter = job.get("job_state", "?")
        state = PBS_STATES.get(letter, letter)
        left = None
        if state == "RUNNING":
            try:
                if "Walltime.Remaining" in job:
                    left = float(job["Walltime.Remaining"])
                elif "Resource_List.walltime" in job:
                    used = job.get("resources_used.walltime", "0:00:00")
                    left = float(parse_walltime(job["Resource_List.walltime"]) - parse_walltime(used))
            except ValueError:
                left = None
        node = job.get("exec_host", "").split("/")[0] or None
        exit_code = job.get("Exit_status") or job.get("exit_status")
        return JobState(_short_id(job["Job Id"]), state, job.get("comment"), node, left, exit_code, now)

    async def query(self, job_ids: list[str]) -> dict[str, JobState]:
        if not job_ids:
            return {}
        now = time.monotonic()
        wanted = {_short_id(j): j for j in job_ids}
        out = {}
        for job in await self._qstat(list(job_ids)):
            short = _short_id(job.get("Job Id", ""))
            if short in wanted:
                out[wanted[short]] = self._state(job, now)
        return out

    async def final_state(self, job_id: str, wait: float = 8.0) -> JobState:
        deadline = time.monotonic() + wait
        while True:
            states = await self.query([job_id])
            st = states.get(job_id)
            if st is None:
                return JobState(job_id, "COMPLETED", "the job left the queue", fetched_at=time.monotonic())
            if st.state == "COMPLETED" or time.monotonic() > deadline:
                return st
            await asyncio.sleep(0.25)

    def stderr_path(self, job_id: str) -> Path | None:
        short = _short_id(job_id)
        found = sorted(self.log_dir.glob(f"*.e{short}")) + sorted(self.log_dir.glob(f"*.e{short}.*"))
        return found[0] if found else None

    async def settle(self, job_ids: list[str], timeout: float) -> None:
        """Slurm's qstat wrapper shows "C" while Slurm still completes the job (its processes being killed);
        over Slurm, wait until squeue no longer lists the jobs, so close() leaves nothing behind."""
        if not job_ids or not _over_slurm():
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc, out, _ = await run_command(["squeue", "-h", "-j", ",".join(_short_id(j) for j in job_ids),
                                            "-o", "%i"])
            if rc != 0 or not out.split():
                return
            await asyncio.sleep(0.25)

    @classmethod
    def available(cls) -> bool:
        return all(shutil.which(c) for c in ("qsub", "qstat", "qdel"))

    @classmethod
    def list_user_jobs(cls, user: str) -> list[tuple[str, str]]:
        rc, out, err = run_command_sync(["qstat", "-f"], timeout=15)
        if rc != 0 and not out.strip():
            raise RuntimeError(f"qstat failed: {err.strip()}")
        jobs = []
        for job in parse_qstat_full(out):
            owner = job.get("Job_Owner", "").split("@")[0]
            if owner == user and PBS_STATES.get(job.get("job_state", ""), "") != "COMPLETED":
                jobs.append((job["Job Id"], job.get("Job_Name", "")))
        return jobs

    @classmethod
    def cancel_jobs(cls, job_ids: list[str]) -> None:
        if job_ids:
            run_command_sync(["qdel", *job_ids])

"""PBS (qsub/qstat/qdel) through dask-jobqueue's PBSCluster, for the gateway and for batch jobs.

Tested against Slurm's PBS/Torque-compatible commands (Debian slurm-wlm-torque), not against a PBS server.
That qsub ignores `#PBS -e dir/` and writes job logs to its working directory, so we submit from the log
directory (a real PBS server honours the directive as well).
"""

from __future__ import annotations

import asyncio
import getpass
import os
import re
import shlex
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dask.utils import parse_bytes
from dask_jobqueue.pbs import pbs_format_bytes_ceil

from imjoy_hpc.backends.base import (JobQueueBackend, JobState, SchedulerView, SubmitError, batch_query, run_command,
                                     run_command_sync, short_id, submitted_job_id)
from imjoy_hpc.resources import format_walltime, parse_walltime

if TYPE_CHECKING:
    from imjoy_hpc.batch.jobscript import JobScript
    from imjoy_hpc.cluster.profiles import Profile

NAME_MAX = 15  # some PBS flavours cut job names at 15 characters

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
    directive_prefix = "#PBS"
    submit_command = "qsub"
    logs_in_script = True
    array_index_variables = ("PBS_ARRAY_INDEX", "PBS_ARRAYID")  # PBS Pro/OpenPBS; Torque

    @classmethod
    def profile_job_kwargs(cls, p: Profile) -> dict:
        kw = super().profile_job_kwargs(p)
        if p.walltime is not None:  # PBS reads [[HH:]MM:]SS, not D-HH:MM:SS
            kw["walltime"] = format_walltime(parse_walltime(p.walltime))
        if p.gpus:  # dask-jobqueue's select statement has no GPUs
            mem = f":mem={pbs_format_bytes_ceil(parse_bytes(p.memory))}" if p.memory else ""
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
        return JobState(short_id(job["Job Id"]), state, job.get("comment"), node, left, exit_code, now)

    async def query(self, job_ids: list[str]) -> dict[str, JobState]:
        if not job_ids:
            return {}
        now = time.monotonic()
        wanted = {short_id(j): j for j in job_ids}
        out = {}
        for job in await self._qstat(list(job_ids)):
            short = short_id(job.get("Job Id", ""))
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
        short = short_id(job_id)
        found = sorted(self.log_dir.glob(f"*.e{short}")) + sorted(self.log_dir.glob(f"*.e{short}.*"))
        return found[0] if found else None

    async def settle(self, job_ids: list[str], timeout: float) -> None:
        """Slurm's qstat wrapper shows "C" while Slurm still completes the job (its processes being killed);
        over Slurm, wait until squeue no longer lists the jobs, so close() leaves nothing behind."""
        if not job_ids or not _over_slurm():
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc, out, _ = await run_command(["squeue", "-h", "-j", ",".join(short_id(j) for j in job_ids),
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

    # --- batch jobs ------------------------------------------------------------------------------------
    @classmethod
    def batch_job_name(cls, slug: str, token: str) -> str:
        return f"ib-{slug[:NAME_MAX - 10].strip('-')}-{token}"

    @classmethod
    def submit_batch(cls, script: Path, job: JobScript, options: dict) -> tuple[list[str], str]:
        # -o/-e on the command line (some qsub flavours ignore `#PBS -o dir/`; the script itself logs to
        # DIR/logs per task). Paths relative to qsub's working directory DIR/logs: Slurm's qsub wrapper
        # passes them through a shell, so blanks in DIR would break absolute ones.
        argv = ["qsub", "-o", "scheduler.out", "-e", "scheduler.err"]
        if job.array_size is not None:
            argv += [str(options.get("pbs-array-option") or "-J"), f"0-{job.array_size - 1}"]
        argv.append(os.path.relpath(script, job.log_dir))
        rc, out, err = run_command_sync(argv, cwd=job.log_dir, timeout=60)
        return argv, submitted_job_id("qsub", rc, out, err)

    @classmethod
    def batch_states(cls, records: list[dict]) -> tuple[dict[str, SchedulerView], str | None]:
        """qstat -f's states: a job by its id, array tasks also by the submission's unique job name."""
        views = {str(r["id"]): SchedulerView() for r in records}
        if not records:
            return views, None
        rc, out, err, why = batch_query(["qstat", "-f"])
        if why and not out.strip():  # some qstat flavours exit non-zero for ended jobs yet list the others
            return views, why
        by_id = {short_id(r["id"]): r for r in records}
        by_name = {r.get("job_name"): r for r in records if r.get("job_name")}
        user = getpass.getuser()
        for job in parse_qstat_full(out):
            owner = job.get("Job_Owner", "").split("@")[0]
            if owner and owner != user:
                continue
            state = PBS_STATES.get(job.get("job_state", ""), job.get("job_state", "UNKNOWN"))
            jid = job.get("Job Id", "")
            rec = by_id.get(short_id(jid))
            if rec is not None and rec.get("job_name") not in (None, job.get("Job_Name")):
                rec = None  # a recycled id
            rec = rec or by_name.get(job.get("Job_Name"))
            if rec is None:
                continue
            view = views[str(rec["id"])]
            m = re.search(r"\[(\d+)\]", jid)
            if rec.get("array") is None:
                view.by_index[None] = state
            elif m:
                view.by_index[int(m.group(1))] = state
            else:
                view.unindexed.append(state)
        return views, None

    @classmethod
    def cancel_batch(cls, job_id: str) -> None:
        try:
            rc, out, err = run_command_sync(["qdel", job_id])
        except (RuntimeError, OSError) as exc:
            raise SubmitError("qdel", str(exc)) from None
        if rc != 0:
            raise SubmitError("qdel", " ".join((err or out).split()) or f"exit status {rc}")

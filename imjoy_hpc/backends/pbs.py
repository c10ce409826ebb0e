"""PBS (qsub/qstat/qdel) through dask-jobqueue's PBSCluster, for the gateway and for batch jobs.

Two flavours of the commands are told apart by `qstat --version` (`pbs_version = ...` on OpenPBS / PBS Pro):
* OpenPBS / PBS Pro (tested against a real OpenPBS server): job ids `N.server`, states from `qstat -f -F json -x`
  (ended jobs from the job history with their `Exit_status`), the pending reason is the job's `comment`
  ("Not Running: Insufficient amount of resource: ncpus ..."), arrays with `-J` and PBS_ARRAY_INDEX.
* Torque-style commands (tested against Slurm's slurm-wlm-torque wrappers): `qstat -f` text, arrays with `-t`
  and PBS_ARRAYID. That qsub ignores `#PBS -e dir/` and writes job logs to its working directory, so jobs are
  submitted from the log directory (a real PBS server honours the directive as well).
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import glob
import json
import os
import re
import shlex
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from imjoy_hpc.backends.base import (TERMINAL_STATES, JobQueueBatch, JobQueueCluster, JobState, SchedulerView,
                                     accounting_record, batch_query, clock_seconds, hms_walltime, memory_bytes,
                                     run_command, run_command_sync, short_id, submitted_job_id, walltime_seconds)

if TYPE_CHECKING:
    from imjoy_hpc.batch.jobscript import JobScript
    from imjoy_hpc.cluster.profiles import Profile
    from imjoy_hpc.settings import BatchSettings

NAME_MAX = 15  # some PBS flavours cut job names at 15 characters
# "12", "12.server", "12[].server" (an array), "12[3].server" (one of its subjobs)
JOB_ID_PATTERN = r"(?P<job_id>\d+(?:\[\d*\])?(?:\.[A-Za-z0-9_.-]+)?)"

# PBS job_state letters -> the words the manager reasons with (terminal ones are in base.TERMINAL_STATES).
# An ended job ("F" in OpenPBS's history, "C" under Torque) is refined from its Exit_status by `ended_state`.
PBS_STATES = {"Q": "PENDING", "W": "PENDING", "T": "PENDING", "H": "HELD", "S": "SUSPENDED", "R": "RUNNING",
              "B": "RUNNING", "E": "EXITING", "C": "COMPLETED", "F": "COMPLETED", "X": "COMPLETED"}
# PBS's own exit codes for jobs it ended (negative: the job never ran to its end; > 256: killed by signal N-256)
EXIT_WALLTIME = "-29"  # JOB_EXEC_KILL_WALLTIME
NEVER_RUNS = "Can Never Run"  # the scheduler's comment on a job no node can take


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


def parse_qstat_json(text: str) -> list[dict[str, str]]:
    """`qstat -f -F json` output in the same form as `parse_qstat_full` (nested keys joined with dots)."""
    jobs = []
    for job_id, record in (json.loads(text).get("Jobs") or {}).items():
        flat = {"Job Id": job_id}
        for key, value in record.items():
            if isinstance(value, dict):
                flat.update({f"{key}.{k}": str(v) for k, v in value.items()})
            else:
                flat[key] = str(value)
        jobs.append(flat)
    return jobs


def pbs_time(text: str | None) -> float | None:
    """Epoch seconds of a PBS time (epoch digits, or qstat's "Mon Dec  7 02:10:00 2026"); None if unreadable."""
    if not text:
        return None
    if text.strip().isdigit():
        return float(text)
    try:
        return time.mktime(time.strptime(" ".join(text.split()), "%a %b %d %H:%M:%S %Y"))
    except ValueError:
        return None


@functools.lru_cache(maxsize=8)
def _pbs_pro_at(qstat: str) -> bool:
    try:
        rc, out, err = run_command_sync([qstat, "--version"], timeout=15)
    except (RuntimeError, OSError):
        return False
    return "pbs_version" in out + err


def pbs_pro() -> bool:
    """True when qstat is OpenPBS's / PBS Pro's (JSON output, job history, -J arrays)."""
    qstat = shutil.which("qstat")
    return bool(qstat) and _pbs_pro_at(qstat)


def _qstat_argv(args: list[str], json_form: bool, history: bool = True) -> list[str]:
    """qstat -f in the JSON form (with the job history) on OpenPBS / PBS Pro, else in the text form."""
    return ["qstat", "-f"] + (["-F", "json"] + (["-x"] if history else []) if json_form else []) + args


def _parse_qstat(out: str, json_form: bool) -> list[dict[str, str]]:
    """Jobs of a qstat answer; ValueError for malformed JSON."""
    if not out.strip():
        return []
    return parse_qstat_json(out) if json_form else parse_qstat_full(out)


async def qstat(args: list[str]) -> list[dict[str, str]]:
    """Jobs as qstat -f shows them (OpenPBS: JSON with ended jobs; on a malformed JSON answer, the text form)."""
    json_form = pbs_pro()
    rc, out, err = await run_command(_qstat_argv(args, json_form))
    try:
        return _parse_qstat(out, json_form)
    except ValueError:
        rc, out, err = await run_command(_qstat_argv(args, False))
        return _parse_qstat(out, False)


def qstat_sync(args: list[str], history: bool = True) -> tuple[list[dict[str, str]], str | None]:
    """Like `qstat`, blocking; also the failure in words when qstat answered nothing."""
    json_form = pbs_pro()
    rc, out, err, why = batch_query(_qstat_argv(args, json_form, history))
    if why and not out.strip():  # some qstat flavours exit non-zero for ended jobs yet list the others
        return [], why
    try:
        return _parse_qstat(out, json_form), None
    except ValueError:
        rc, out, err, why = batch_query(_qstat_argv(args, False))
        return _parse_qstat(out, False), (why if not out.strip() else None)


def ended_state(job: dict[str, str]) -> tuple[str, str | None]:
    """An ended job's state word and reason, as PBS reports them: its comment ("Job run at ... and exceeded
    resource walltime", "... and terminated by user@host") and Exit_status (negative: PBS ended it; > 256: killed
    by signal N-256). qdel'ed jobs often exit 0 (the worker stops cleanly on SIGTERM): the comment decides."""
    code = job.get("Exit_status") or job.get("exit_status")
    comment = job.get("comment") or ""
    reason = "; ".join(part for part in (f"Exit_status {code}" if code is not None else "", comment) if part) or None
    if code == EXIT_WALLTIME or "exceeded resource walltime" in comment:
        return "TIMEOUT", reason
    if re.search(r"\bterminated\b", comment):
        return "CANCELLED", reason
    if code is None or code == "0":
        return "COMPLETED", None
    if code.isdigit() and int(code) > 256 and int(code) - 256 in (9, 15):
        return "CANCELLED", reason
    return "FAILED", reason


def job_state_word(job: dict[str, str]) -> tuple[str, str | None]:
    """The state word and reason of one qstat record."""
    letter = job.get("job_state", "?")
    state = PBS_STATES.get(letter, letter)
    comment = job.get("comment") or None
    if state == "COMPLETED":
        return ended_state(job)
    if state in ("PENDING", "HELD") and comment and comment.startswith(NEVER_RUNS):
        return "FAILED", comment  # no node can ever take it: fail now with PBS's words instead of waiting
    return state, comment


def job_accounting(job_id: str, job: dict[str, str]) -> dict:
    """One qstat record of an ended job as `accounting_record` (resources_used.*, Resource_List.ncpus/nodect)."""
    state, _ = job_state_word(job)
    if PBS_STATES.get(job.get("job_state", ""), "") != "COMPLETED":
        return accounting_record("pbs", job_id, source="qstat -x", state=state, retry=True,
                                 note=f"job {job_id} has not ended ({state})")

    def number(key: str) -> int | None:
        value = (job.get(key) or "").strip()
        return int(value) if value.isdigit() else None

    cpu, rss = clock_seconds(job.get("resources_used.cput")), memory_bytes(job.get("resources_used.mem"), 1024)
    # MOM measures a job's use only when it polls the job ($min_check_poll..$max_check_poll s): on the test
    # OpenPBS even a 25 s job shows 00:00:00 and 0kb. Zeros are said to be PBS's, not taken for an idle job.
    unsampled = "" if cpu or rss else ("PBS counted no CPU time or memory for this job (its MOM measures a job's "
                                       "use only when it polls it)")
    return accounting_record(
        "pbs", job_id, source="qstat -x", state=state, elapsed=clock_seconds(job.get("resources_used.walltime")),
        cpu_seconds=cpu, max_rss=rss, note=unsampled or None,
        cores=number("Resource_List.ncpus") or number("resources_used.ncpus"), nodes=number("Resource_List.nodect"))


def _job_cls():
    from dask_jobqueue.pbs import PBSJob

    class LogDirPBSJob(PBSJob):
        """qsub run from the log directory so its logs land there whatever the qsub flavour; full job ids."""

        job_id_regexp = JOB_ID_PATTERN

        async def _submit_job(self, script_filename: str) -> str:
            return await self._call(shlex.split(self.submit_command) + [script_filename], cwd=self.log_directory)

    return LogDirPBSJob


def _over_slurm() -> bool:
    """True when qstat is Slurm's PBS/Torque-compatible wrapper (slurm-wlm-torque)."""
    qstat_path, squeue = shutil.which("qstat"), shutil.which("squeue")
    if not (qstat_path and squeue):
        return False
    try:
        return "slurm" in Path(qstat_path).read_text(errors="replace")[:20000].lower()
    except OSError:
        return False


class PBSBatch(JobQueueBatch):
    """PBS's command line (qsub/qstat/qdel) and a PBS job's environment (OpenPBS / PBS Pro and Torque)."""

    name = "pbs"
    walltime_note = "PBS lets only an operator or a manager raise a running job's walltime (qalter)"
    cluster_class_path = "dask_jobqueue.PBSCluster"
    directive_prefix = "#PBS"
    submit_command = "qsub"
    cancel_command = "qdel"
    logs_in_script = True
    array_index_variables = ("PBS_ARRAY_INDEX", "PBS_ARRAYID")  # OpenPBS/PBS Pro; Torque
    core_variables = ("NCPUS", "PBS_NCPUS", "PBS_NUM_PPN", "PBS_NP")  # OpenPBS/PBS Pro; Torque

    @classmethod
    def job_from_env(cls, env: Mapping[str, str]) -> dict | None:
        if not env.get("PBS_JOBID"):
            return None
        return {"scheduler": "pbs", "id": env["PBS_JOBID"], "array_job_id": env.get("PBS_ARRAY_ID"),
                "array_index": env.get("PBS_ARRAY_INDEX") or env.get("PBS_ARRAYID")}

    @classmethod
    def profile_job_kwargs(cls, p: Profile) -> dict:
        kw = super().profile_job_kwargs(p)
        if p.walltime is not None:  # PBS reads [[HH:]MM:]SS, not D-HH:MM:SS
            kw["walltime"] = hms_walltime(p.walltime)
        if p.gpus:  # dask-jobqueue's select statement has no GPUs
            from dask.utils import parse_bytes
            from dask_jobqueue.pbs import pbs_format_bytes_ceil

            mem = f":mem={pbs_format_bytes_ceil(parse_bytes(p.memory))}" if p.memory else ""
            kw["resource_spec"] = f"select=1:ncpus={p.cores}{mem}:ngpus={p.gpus}"
        return kw

    @classmethod
    async def accounting(cls, job_id: str) -> dict:
        """What PBS counted for an ended job: OpenPBS / PBS Pro keep ended jobs in their history (`qstat -x`,
        with job_history_enable) with resources_used; Torque-style qstat lists them while it keeps them."""
        json_form = pbs_pro()
        try:
            rc, out, err = await run_command(_qstat_argv([str(job_id)], json_form))
            jobs = _parse_qstat(out, json_form) if rc == 0 else []
        except (RuntimeError, OSError, ValueError) as exc:
            return accounting_record("pbs", job_id, note=f"qstat failed: {exc}", retry=True, source="qstat -x")
        job = next((j for j in jobs if j.get("Job Id") == str(job_id)), None) or (jobs[0] if len(jobs) == 1 else None)
        if job is None:
            words = " ".join((err or out).split()) or f"job {job_id} is not listed"
            kept = ("PBS keeps ended jobs for job_history_duration when job_history_enable is set" if json_form
                    else "this qstat lists ended jobs only for a while (Torque's keep_completed)")
            return accounting_record("pbs", job_id, source="qstat -x" if json_form else "qstat",
                                     note=f"PBS no longer knows job {job_id}: qstat says {words!r} ({kept})")
        return job_accounting(str(job_id), job)

    @classmethod
    def available(cls) -> bool:
        return all(shutil.which(c) for c in ("qsub", "qstat", "qdel"))

    @classmethod
    def list_user_jobs(cls, user: str) -> list[tuple[str, str]]:
        jobs, why = qstat_sync([], history=False)
        if why:
            raise RuntimeError(why)
        return [(job["Job Id"], job.get("Job_Name", "")) for job in jobs
                if job.get("Job_Owner", "").split("@")[0] == user
                and PBS_STATES.get(job.get("job_state", ""), "") != "COMPLETED"]

    # --- batch jobs ------------------------------------------------------------------------------------
    @classmethod
    def batch_job_name(cls, slug: str, token: str) -> str:
        return f"ib-{slug[:NAME_MAX - 10].strip('-')}-{token}"

    @classmethod
    def submit_batch(cls, script: Path, job: JobScript, options: BatchSettings) -> tuple[list[str], str]:
        # -o/-e on the command line (some qsub flavours ignore `#PBS -o dir/`; the script itself logs to
        # DIR/logs per task). Paths relative to qsub's working directory DIR/logs: Slurm's qsub wrapper
        # passes them through a shell, so blanks in DIR would break absolute ones.
        argv = ["qsub", "-o", "scheduler.out", "-e", "scheduler.err"]
        if job.array_size is not None:
            option = options.pbs_array_option
            # PBS refuses "-J 0-0": a one-task array is the range 0-1 in steps of 2.
            argv += [option, "0-1:2" if option == "-J" and job.array_size == 1 else f"0-{job.array_size - 1}"]
        argv.append(os.path.relpath(script, job.log_dir))
        rc, out, err = run_command_sync(argv, cwd=job.log_dir, timeout=60)
        return argv, submitted_job_id("qsub", rc, out, err)

    @classmethod
    def batch_states(cls, records: list[dict]) -> tuple[dict[str, SchedulerView], str | None]:
        """qstat's states: a job by its id, array tasks also by the submission's unique job name."""
        views = {str(r["id"]): SchedulerView() for r in records}
        if not records:
            return views, None
        jobs, why = qstat_sync(["-t"] if pbs_pro() else [])
        if why:
            return views, why
        by_id = {short_id(r["id"]): r for r in records}
        by_name = {r.get("job_name"): r for r in records if r.get("job_name")}
        user = getpass.getuser()
        for job in jobs:
            owner = job.get("Job_Owner", "").split("@")[0]
            if owner and owner != user:
                continue
            state = job_state_word(job)[0]
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
            elif job.get("array") != "True":  # OpenPBS lists the array itself beside its subjobs
                view.unindexed.append(state)
        return views, None


class PBSCluster(JobQueueCluster):
    """Dask workers in PBS jobs."""

    batch = PBSBatch

    def job_class(self) -> type:
        return _job_cls()

    async def _qstat(self, job_ids: list[str]) -> list[dict[str, str]]:
        jobs = await qstat(job_ids)
        if not jobs and len(job_ids) > 1:
            # One unknown id can make qstat answer nothing: ask one by one.
            for jid in job_ids:
                jobs += await qstat([jid])
        return jobs

    @staticmethod
    def _state(job: dict[str, str], job_id: str, now: float) -> JobState:
        state, reason = job_state_word(job)
        left = None
        if state == "RUNNING":
            try:
                if "Walltime.Remaining" in job:
                    left = float(job["Walltime.Remaining"])
                elif "Resource_List.walltime" in job:
                    used = job.get("resources_used.walltime", "0:00:00")
                    left = float(walltime_seconds(job["Resource_List.walltime"]) - walltime_seconds(used))
            except ValueError:
                left = None
        node = job.get("exec_host", "").split("/")[0] or None
        exit_code = job.get("Exit_status") or job.get("exit_status")
        start = pbs_time(job.get("estimated.start_time")) if state == "PENDING" else None
        return JobState(job_id, state, reason, node, left, exit_code, now, predicted_start=start)

    @property
    def no_estimate(self) -> str:
        return ("PBS estimates a start only for a queued job, once its scheduler has planned it "
                "(estimated.start_time): none yet")

    async def query(self, job_ids: list[str]) -> dict[str, JobState]:
        if not job_ids:
            return {}
        now = time.monotonic()
        wanted = {short_id(j): j for j in job_ids}
        out = {}
        for job in await self._qstat(list(job_ids)):
            jid = wanted.get(short_id(job.get("Job Id", "")))
            if jid is not None:
                out[jid] = self._state(job, jid, now)
        return out

    async def final_look(self, job_id: str, last: JobState | None) -> tuple[JobState | None, bool]:
        """qstat's state of the job (OpenPBS: from its history once ended); a job qstat no longer lists has ended."""
        st = (await self.query([job_id])).get(job_id)
        if st is None:
            return JobState(job_id, "COMPLETED", "the job left the queue", fetched_at=time.monotonic()), True
        return st, st.state in TERMINAL_STATES

    def stderr_path(self, job_id: str) -> Path | None:
        short = short_id(job_id)
        found = (sorted(self.log_dir.glob(f"{glob.escape(job_id)}.ER"))  # OpenPBS: DIR/12.server.ER
                 + sorted(self.log_dir.glob(f"*.e{short}")) + sorted(self.log_dir.glob(f"*.e{short}.*")))
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

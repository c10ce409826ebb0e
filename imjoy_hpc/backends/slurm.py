"""SLURM through dask-jobqueue's SLURMCluster; job facts from squeue and scontrol; batch jobs with sbatch."""

from __future__ import annotations

import dataclasses
import getpass
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from imjoy_hpc.backends.base import (JobQueueBatch, JobQueueCluster, JobState, SchedulerView, StartPrediction,
                                     SubmitError, accounting_record, batch_query, clock_seconds, memory_bytes,
                                     hms_walltime, run_command, run_command_sync, short_id, whole_mib)
from imjoy_hpc.files import tail

if TYPE_CHECKING:
    from imjoy_hpc.batch.jobscript import JobScript
    from imjoy_hpc.cluster.profiles import Profile
    from imjoy_hpc.settings import BatchSettings

SQUEUE_FORMAT = "%i|%T|%r|%N|%L|%S"
SACCT_FIELDS = "JobID,State,ElapsedRaw,TotalCPU,MaxRSS,AllocCPUS,NNodes"
ENDED_SACCT = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY",
               "BOOT_FAIL", "DEADLINE")
ACTIVE = ("COMPLETING", "RUNNING", "PENDING", "CONFIGURING")  # scontrol's states of a job not ended yet
_STARTS_AT = re.compile(r"to start at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")


def slurm_time(text: str) -> float | None:
    """Epoch seconds of a SLURM timestamp (local time, 2026-12-07T02:03:59); None for N/A, Unknown..."""
    try:
        return time.mktime(time.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None


def request_options(request: dict) -> list[str]:
    """sbatch options asking for `request` (load options: cores, memory, walltime, gpus, queue); on the command
    line they override the job script's own #SBATCH lines."""
    flags = []
    if request.get("cores"):
        flags.append(f"--cpus-per-task={int(request['cores'])}")
    if request.get("memory"):
        flags.append(f"--mem={whole_mib(str(request['memory']))}M")
    if request.get("walltime"):
        flags.append(f"--time={hms_walltime(request['walltime'])}")
    if request.get("gpus") is not None:
        flags.append(f"--gres=gpu:{int(request['gpus'])}")
    if request.get("queue"):
        flags.append(f"--partition={request['queue']}")
    return flags


def parse_time_left(text: str) -> float | None:
    """squeue %L ([D-][[HH:]MM:]SS, UNLIMITED, NOT_SET) in seconds."""
    text = text.strip()
    if not text or not text[0].isdigit():
        return None
    days = 0
    if "-" in text:
        d, _, text = text.partition("-")
        days = int(d)
    secs = 0
    for part in text.split(":"):
        secs = secs * 60 + int(part or 0)
    return float(days * 86400 + secs)


def array_indices(text: str) -> list[int | None]:
    """squeue %K: "N/A" (no array), "3", or a pending range such as "0-2", "[1,4-6%2]"."""
    text = text.strip().strip("[]").split("%")[0]
    if not text or text in ("N/A", "(null)"):
        return [None]
    out: list[int | None] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        if a.isdigit() and (b == "" or b.isdigit()):
            out += list(range(int(a), int(b or a) + 1))
    return out or [None]


def _directive_path(path: Path) -> str:
    """A path in an #SBATCH line: sbatch splits those at blanks unless the value is in double quotes."""
    text = str(path)
    return f'"{text}"' if any(c.isspace() for c in text) else text


def _words(text: str) -> str:
    return " ".join(text.replace("sbatch: error:", "").split())


def parse_scontrol(text: str) -> dict[str, str]:
    """`scontrol show job -o` output as a dict (values may contain spaces only in the last fields)."""
    out: dict[str, str] = {}
    for token in text.split():
        key, eq, value = token.partition("=")
        if eq:
            out[key] = value
    return out


def parse_sacct(job_id: str, text: str) -> dict:
    """`sacct -P -n -o SACCT_FIELDS` of one job (its allocation line, then its steps) as `accounting_record`:
    elapsed, CPU time, cores, nodes and state of the allocation, the largest MaxRSS of its steps."""
    rows = [line.split("|") for line in text.splitlines() if line.count("|") >= 6]
    main = next((r for r in rows if "." not in r[0]), None)
    if main is None:
        return accounting_record("slurm", job_id, note=f"sacct has no record of job {job_id} (yet)", retry=True,
                                 source="sacct")
    state = main[1].split()[0] if main[1] else None
    peaks = [b for b in (memory_bytes(r[4], 1024) for r in rows) if b is not None]
    ended = state is not None and state.rstrip("+") in ENDED_SACCT
    return accounting_record(
        "slurm", job_id, source="sacct", state=state, elapsed=float(main[2]) if main[2].isdigit() else None,
        cpu_seconds=clock_seconds(main[3]), max_rss=max(peaks) if peaks else None,
        cores=int(main[5]) if main[5].isdigit() else None, nodes=int(main[6]) if main[6].isdigit() else None,
        note=None if ended else f"job {job_id} has not ended ({state})", retry=not ended)


class SlurmBatch(JobQueueBatch):
    """SLURM's command line (sbatch/squeue/scancel/sacct) and a SLURM job's environment."""

    name = "slurm"
    walltime_note = "SLURM lets users lower a job's time limit, not raise it (only an administrator can)"
    cluster_class_path = "dask_jobqueue.SLURMCluster"
    directive_prefix = "#SBATCH"
    submit_command = "sbatch"
    cancel_command = "scancel"
    array_index_variables = ("SLURM_ARRAY_TASK_ID",)
    core_variables = ("SLURM_CPUS_ON_NODE", "SLURM_CPUS_PER_TASK")

    @classmethod
    def job_from_env(cls, env: Mapping[str, str]) -> dict | None:
        if not env.get("SLURM_JOB_ID"):
            return None
        return {"scheduler": "slurm", "id": env["SLURM_JOB_ID"],
                "array_job_id": env.get("SLURM_ARRAY_JOB_ID"), "array_index": env.get("SLURM_ARRAY_TASK_ID")}

    @classmethod
    def gpu_directives(cls, p: Profile) -> list[str]:
        return [f"--gres=gpu:{p.gpus}"] if p.gpus else []

    @classmethod
    async def accounting(cls, job_id: str) -> dict:
        """sacct's figures (SLURM keeps them when slurmdbd, or another accounting storage, runs); else sacct's own
        words ("Slurm accounting storage is disabled")."""
        try:
            rc, out, err = await run_command(["sacct", "-j", str(job_id), "-P", "-n", "-o", SACCT_FIELDS])
        except (RuntimeError, OSError) as exc:
            return accounting_record("slurm", job_id, note=f"sacct failed: {exc}", retry=True, source="sacct")
        if rc != 0:
            words = " ".join((err or out).split()) or f"exit status {rc}"
            keeps_none = "accounting storage is disabled" in words.lower()
            return accounting_record("slurm", job_id, source="sacct", retry=not keeps_none,
                                     note=f"SLURM keeps no accounting here: sacct says {words!r}" if keeps_none
                                     else f"sacct failed: {words}")
        return parse_sacct(str(job_id), out)

    @classmethod
    def available(cls) -> bool:
        return all(shutil.which(c) for c in ("sbatch", "squeue", "scancel"))

    @classmethod
    def list_user_jobs(cls, user: str) -> list[tuple[str, str]]:
        rc, out, err = run_command_sync(["squeue", "-h", "-u", user, "-o", "%i|%j"], timeout=15)
        if rc != 0:
            raise RuntimeError(f"squeue failed: {err.strip()}")
        return [tuple(line.split("|", 1)) for line in out.splitlines() if "|" in line]  # type: ignore[misc]

    # --- batch jobs ------------------------------------------------------------------------------------
    @classmethod
    def batch_job_kwargs(cls, job: JobScript) -> dict:
        kw = super().batch_job_kwargs(job)
        if job.profile.memory:  # whole MiB, rounded up (dask-jobqueue would round up to whole GiB)
            kw["job_mem"] = f"{whole_mib(job.profile.memory)}M"
        return kw

    @classmethod
    def batch_directives(cls, job: JobScript) -> list[str]:
        if job.array_size is None:
            out_file, err_file = job.log_files()
            out = []
        else:
            out_file, err_file = (job.log_dir / f"task-%a.{ext}" for ext in ("out", "err"))
            out = [f"--array=0-{job.array_size - 1}"]
        return out + [f"--output={_directive_path(out_file)}", f"--error={_directive_path(err_file)}"]

    @classmethod
    def submit_batch(cls, script: Path, job: JobScript, options: BatchSettings) -> tuple[list[str], str]:
        argv = ["sbatch", "--parsable", str(script)]
        rc, out, err = run_command_sync(argv, cwd=job.log_dir, timeout=60)
        if rc != 0:
            raise SubmitError("sbatch", _words(err or out) or f"exit status {rc}")
        job_id = (out.strip().splitlines() or [""])[-1].split(";")[0].strip()
        if not job_id[:1].isdigit():
            raise SubmitError("sbatch", f"did not print a job id (it printed {out.strip()!r})")
        return argv, job_id

    @classmethod
    def batch_states(cls, records: list[dict]) -> tuple[dict[str, SchedulerView], str | None]:
        """squeue's states (ended jobs stay listed for MinJobAge), by array index."""
        views: dict[str, SchedulerView] = {}
        if not records:
            return views, None
        ids = sorted({short_id(r["id"]) for r in records})
        rc, out, err, why = batch_query(["squeue", "-h", "-t", "all", "-j", ",".join(ids), "-o", "%F|%K|%T"])
        if why:
            return views, None if "Invalid job id" in err else why  # none of them is known any more
        for line in out.splitlines():
            parts = line.strip().split("|")
            if len(parts) < 3:
                continue
            view = views.setdefault(parts[0], SchedulerView())
            for index in array_indices(parts[1]):
                view.by_index[index] = parts[2]
        return {str(r["id"]): views.get(short_id(r["id"]), SchedulerView()) for r in records}, None


class SlurmCluster(JobQueueCluster):
    """Dask workers in SLURM jobs (sbatch/squeue/scontrol)."""

    batch = SlurmBatch

    async def _test_only(self, options: list[str]) -> tuple[int, str]:
        """`sbatch --test-only` on the real job script (with `options` over its #SBATCH lines): rc, its words."""
        with tempfile.NamedTemporaryFile("w", suffix=".sh", dir=self.log_dir, delete=False) as f:
            f.write(self.job_script())
            path = f.name
        try:
            rc, out, err = await run_command(["sbatch", "--test-only", *options, path], cwd=self.log_dir)
        finally:
            Path(path).unlink(missing_ok=True)
        return rc, (err or out)

    async def check_submission(self) -> None:
        """`sbatch --test-only` on the real job script: a bad partition or size fails here, not silently later."""
        rc, words = await self._test_only([])
        if rc != 0:
            raise ValueError(f"SLURM refuses the jobs of profile {self.profile.name!r}: {_words(words)}")

    @property
    def no_estimate(self) -> str:
        return "SLURM has not planned this job's start yet (its backfill scheduler does, every bf_interval)"

    async def predict_start(self, request: dict | None = None) -> StartPrediction:
        """SLURM's own answer (`sbatch --test-only`: "Job N to start at ..."), for the profile's job or a changed
        request."""
        rc, words = await self._test_only(request_options(request or {}))
        match = _STARTS_AT.search(words)
        if rc != 0 or not match:
            return StartPrediction(None, f"SLURM gave no start time: {_words(words) or f'exit code {rc}'}")
        return StartPrediction(slurm_time(match.group(1)))

    async def query(self, job_ids: list[str]) -> dict[str, JobState]:
        if not job_ids:
            return {}
        rc, out, err = await run_command(
            ["squeue", "-h", "-t", "all", "-u", getpass.getuser(), "-n", self.job_name, "-o", SQUEUE_FORMAT])
        if rc != 0:
            raise RuntimeError(f"squeue failed: {err.strip()}")
        now = time.monotonic()
        wanted = set(job_ids)
        states = {}
        for line in out.splitlines():
            parts = line.split("|")
            if len(parts) < 5 or parts[0] not in wanted:
                continue
            jid, state, reason, node, left = parts[:5]
            start = slurm_time(parts[5]) if state == "PENDING" and len(parts) > 5 else None
            states[jid] = JobState(jid, state, reason if reason != "None" else None, node or None,
                                   parse_time_left(left) if state == "RUNNING" else None, fetched_at=now,
                                   predicted_start=start)
        return states

    async def final_look(self, job_id: str, last: JobState | None) -> tuple[JobState | None, bool]:
        """scontrol's record of the job (when scontrol fails, what the last look saw), final once it has ended."""
        rc, out, _ = await run_command(["scontrol", "-o", "show", "job", job_id])
        if rc == 0:
            info = parse_scontrol(out)
            self.stderr_files[job_id] = info.get("StdErr", "")
            reason = info.get("Reason")
            seen = JobState(job_id, info.get("JobState", "UNKNOWN"), None if reason in (None, "None") else reason,
                            info.get("NodeList"), exit_code=info.get("ExitCode"), fetched_at=time.monotonic())
        else:
            seen = dataclasses.replace(last or JobState(job_id, "UNKNOWN"), fetched_at=time.monotonic())
        if seen.state == "COMPLETING":
            # The final state (and exit code) show only once the job's processes are gone (~2 s);
            # slurmstepd has already written why to the job's stderr.
            early = self._state_from_stderr(job_id)
            if early:
                seen = dataclasses.replace(seen, state=early, exit_code=None)
        return seen, seen.state not in ACTIVE

    def _state_from_stderr(self, job_id: str) -> str | None:
        """CANCELLED/TIMEOUT/... from slurmstepd's "*** JOB <id> ON <node> CANCELLED AT <time> [DUE TO ...] ***"."""
        m = re.search(rf"\*\*\* JOB {re.escape(job_id)} ON \S+ CANCELLED AT \S+(?: DUE TO ([A-Z ]+?))? \*\*\*",
                      tail(self.stderr_path(job_id), lines=5))
        if not m:
            return None
        return {None: "CANCELLED", "TIME LIMIT": "TIMEOUT", "NODE FAILURE": "NODE_FAIL",
                "PREEMPTION": "PREEMPTED"}.get(m.group(1), "CANCELLED")

    def stderr_path(self, job_id: str) -> Path | None:
        found = sorted(self.log_dir.glob(f"{self.job_name}-{job_id}*.err"))
        if found:
            return found[0]
        known = self.stderr_files.get(job_id)
        return Path(known) if known else None

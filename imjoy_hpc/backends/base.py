"""What every backend provides, in two classes per scheduler, and their shared dask-jobqueue parts.

* `BatchScheduler`: the scheduler's command line and environment, all at class level (no cluster needed):
  batch scripts and their submission, states, cancelling, accounting, listing a user's jobs, and what a job
  finds in its environment (its id, its array index, the cores of its allocation).
* `Cluster`: one live Dask cluster of one profile shape for the gateway (start, add and remove jobs, their
  states, final states, predicted starts); its `batch` is its scheduler's `BatchScheduler`.

Adding a scheduler (LSF, ...) is one module `imjoy_hpc/backends/<name>.py` defining a subclass of each of
`JobQueueBatch` and `JobQueueCluster` (see slurm.py, pbs.py, sge.py) and its line in `imjoy_hpc.backends.BACKENDS`.
"""

from __future__ import annotations

import abc
import asyncio
import importlib
import logging
import os
import re
import shlex
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from imjoy_hpc.backends.tls import make_security
from imjoy_hpc.files import private_dir

if TYPE_CHECKING:
    from imjoy_hpc.batch.jobscript import JobScript
    from imjoy_hpc.cluster.profiles import Profile
    from imjoy_hpc.settings import BatchSettings

logger = logging.getLogger(__name__)

SLOT_RESOURCE = "plugin-slots"
COMMAND_TIMEOUT = 30.0
FINAL_POLL = 0.25  # seconds between looks at an ending job's state
# Dask settings of every cluster: no HTTP routes (they answer without authentication: task keys, call stacks, logs);
# no statistical profiler in workers (it walks every thread's stack 100 times a second: with two threads per
# plugin, 100 idle plugins cost a core); no work stealing (a plugin is placed once and runs for hours: moving a
# waiting start between workers only risks losing it).
DASK_SETTINGS: dict[str, Any] = {
    "distributed.scheduler.http.routes": [],
    "distributed.scheduler.work-stealing": False,
    "distributed.worker.http.routes": [],
    "distributed.worker.profile.enabled": False,
    # ...and no HTTP port at all (Dask always starts the server; this preload stops it as each one starts)
    "distributed.scheduler.preload": ["imjoy_hpc.cluster.no_http"],
    "distributed.worker.preload": ["imjoy_hpc.cluster.no_http"],
}


def dask_settings_exports() -> list[str]:
    """DASK_SETTINGS for the workers of a batch job, as shell lines of its script (dask reads them from env)."""
    return [f"export DASK_{key.upper().replace('.', '__').replace('-', '_')}={shlex.quote(repr(value))}"
            for key, value in DASK_SETTINGS.items() if key.startswith("distributed.worker.")]


@dataclass
class JobState:
    """What the batch scheduler says about one job."""

    job_id: str
    state: str  # the scheduler's own word: PENDING, RUNNING, CANCELLED, TIMEOUT, ... (PBS letters mapped)
    reason: str | None = None
    node: str | None = None
    time_left: float | None = None  # seconds of walltime left when fetched
    exit_code: str | None = None
    fetched_at: float = 0.0  # time.monotonic()
    predicted_start: float | None = None  # the scheduler's start estimate for a pending job (epoch seconds)

    @property
    def seconds_left(self) -> float | None:
        if self.time_left is None:
            return None
        return max(0.0, self.time_left - (time.monotonic() - self.fetched_at))


@dataclass(frozen=True)
class StartPrediction:
    """When the scheduler predicts a job would start (epoch seconds), or words on why there is no prediction."""

    at: float | None
    note: str | None = None


@dataclass
class SchedulerView:
    """What the scheduler lists for one batch record: states by array index (None: index unknown or single job)."""

    by_index: dict[int | None, str] = field(default_factory=dict)
    unindexed: list[str] = field(default_factory=list)  # array tasks found by name only (index not known)


class SubmitError(RuntimeError):
    """A scheduler command refused or failed; `command` is its name, the message the scheduler's words."""

    def __init__(self, command: str, words: str) -> None:
        super().__init__(words)
        self.command = command
        self.words = words


def batch_query(argv: list[str]) -> tuple[int, str, str, str | None]:
    """A scheduler's query command for batch states: (exit status, output, errors, why it failed or None)."""
    name = os.path.basename(argv[0])
    try:
        rc, out, err = run_command_sync(argv)
    except (RuntimeError, OSError) as exc:
        return -1, "", "", f"{name} failed: {exc}"
    return rc, out, err, None if rc == 0 else f"{name} failed: {' '.join(err.split()) or f'exit status {rc}'}"


def submitted_job_id(command: str, rc: int, out: str, err: str) -> str:
    """The job id a submit command printed last, or SubmitError with the scheduler's words."""
    if rc != 0:
        raise SubmitError(command, " ".join((err or out).split()) or f"exit status {rc}")
    job_id = (out.strip().splitlines() or [""])[-1].strip()
    if not job_id[:1].isdigit():
        raise SubmitError(command, f"did not print a job id (it printed {out.strip()!r})")
    return job_id


TERMINAL_STATES = {"CANCELLED", "COMPLETED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY",
                   "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"}
PENDING_STATES = {"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD",
                  "SUSPENDED", "STOPPED", "RESIZING", "SIGNALING", "STAGE_OUT"}


async def run_command(args: list[str], *, cwd: str | os.PathLike | None = None,
                      timeout: float = COMMAND_TIMEOUT) -> tuple[int, str, str]:
    """Run a scheduler command without a shell; (returncode, stdout, stderr). Times out with a clear error."""
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise RuntimeError(f"{shlex.join(args)} did not answer within {timeout:.0f} s") from None
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def run_command_sync(args: list[str], *, cwd: str | os.PathLike | None = None,
                     timeout: float = COMMAND_TIMEOUT) -> tuple[int, str, str]:
    """Blocking variant of run_command for code that runs before the event loop (or has none)."""
    try:
        p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{shlex.join(args)} did not answer within {timeout:.0f} s") from None
    return p.returncode, p.stdout, p.stderr


def accounting_record(scheduler: str, job_id: str, *, note: str | None = None, retry: bool = False,
                      source: str | None = None, state: str | None = None, elapsed: float | None = None,
                      cpu_seconds: float | None = None, max_rss: int | None = None, cores: int | None = None,
                      nodes: int | None = None) -> dict:
    """A scheduler's accounting of one job in the keys every backend answers with (None left out): elapsed and
    cpu_seconds (s), max_rss (bytes), cores and nodes allocated, core_hours (cores x elapsed: what the allocation
    is charged), its state, the command that told (`source`); or `note` in words when there are no figures."""
    out: dict[str, Any] = {"scheduler": scheduler, "job_id": str(job_id), "source": source, "state": state,
                           "elapsed": elapsed, "cpu_seconds": cpu_seconds, "max_rss": max_rss, "cores": cores,
                           "nodes": nodes}
    if elapsed is not None and cores:
        out["core_hours"] = round(cores * elapsed / 3600, 4)
    if note:
        out["note"] = note
    if retry:
        out["retry"] = True
    return {k: v for k, v in out.items() if v is not None}


def clock_seconds(text: str | None) -> float | None:
    """Seconds of a duration as schedulers print it: [D-][HH:]MM:SS[.fff] (SLURM, PBS) or plain seconds, with an
    optional trailing "s" (Grid Engine); None when unreadable."""
    text = (text or "").strip().rstrip("s")
    m = re.fullmatch(r"(?:(\d+)-)?(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)", text)
    if not m:
        return None
    days, a, b, secs = m.groups()
    hours, minutes = (int(a or 0), int(b or 0)) if b is not None else (0, int(a or 0))
    return int(days or 0) * 86400 + hours * 3600 + minutes * 60 + float(secs)


def memory_bytes(text: str | None, unit: int = 1) -> int | None:
    """Bytes of a memory figure: "1024K", "1.5G" (SLURM, Grid Engine: powers of 1024), "123456kb" (PBS), a bare
    number counted in `unit` bytes; None when unreadable."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?", (text or "").strip().lower())
    if not m:
        return None
    scale = 1024 ** " kmgtp".index(m[2]) if m[2] else unit
    return int(float(m[1]) * scale)


def short_id(job_id: object) -> str:
    """The leading digits of a job id ("123.server", "123[]" and "123.1-3:1" are job 123)."""
    m = re.match(r"\d+", str(job_id))
    return m.group(0) if m else str(job_id)


# dask (and imjoy_hpc.resources, which imports it) is imported only in the functions that use it: a plugin process
# reads the job it runs in through the backends (imjoy_hpc.backends.job_id) and should not pay for importing dask.
def whole_mib(memory: str, parts: int = 1) -> int:
    """An amount like "4GB" split in `parts`, in whole MiB rounded up (at least 1)."""
    from dask.utils import parse_bytes

    return max(1, -(-parse_bytes(memory) // parts // 2**20))


def walltime_seconds(value: object) -> int:
    """Seconds of a walltime as profiles and schedulers write it ("01:30:00", "2-00:00:00", minutes...)."""
    from imjoy_hpc.resources import parse_walltime

    return parse_walltime(value)


def hms_walltime(value: object) -> str:
    """A walltime as HH:MM:SS (hours may exceed 24), the form SLURM, PBS and Grid Engine read."""
    from imjoy_hpc.resources import format_walltime, parse_walltime

    return format_walltime(parse_walltime(value))


_COMMAND_FAILED = re.compile(r"Exit code: (?P<code>\S+)\nCommand:\n(?P<command>.*?)\nstdout:\n(?P<out>.*?)\n"
                             r"stderr:\n(?P<err>.*)\Z", re.S)


def submit_error_text(exc: BaseException) -> str:
    """The scheduler's own words from a failed submit command (dask-jobqueue wraps them in a long message): what
    it wrote to stderr, else to stdout, else its exit code; any other failure as its type and message."""
    text = str(exc)
    m = _COMMAND_FAILED.search(text)
    if m:
        words = " ".join((m["err"].strip() or m["out"].strip()).split())
        command = (m["command"].split() or ["the submit command"])[0]
        return words or f"{command} exited with code {m['code']} and said nothing"
    return " ".join(f"{type(exc).__name__}: {text}".split()) if text else type(exc).__name__


class BatchScheduler:
    """A scheduler's command line and environment, all at class level: batch scripts and their submission, the
    states and accounting of jobs, cancelling them, listing a user's jobs, and what a job finds in its
    environment. The local backend's is the one without jobs."""

    name: ClassVar[str]
    has_jobs: ClassVar[bool] = True  # False for the local backend: workers are processes, not batch jobs
    walltime_note: ClassVar[str | None] = None  # what a user can do about a running job's time limit, in words
    directive_prefix: ClassVar[str] = ""  # "#SBATCH"
    submit_command: ClassVar[str] = ""  # named in messages ("sbatch not found on PATH")
    cancel_command: ClassVar[str] = ""  # "scancel": what cancels jobs by id (named in SubmitError)
    logs_in_script: ClassVar[bool] = False  # the script itself sends its output to DIR/logs (exec >>)
    array_index_variables: ClassVar[tuple[str, ...]] = ()  # where an array task finds its index, first set wins
    array_index_base: ClassVar[int] = 0  # the first task's index in those variables
    core_variables: ClassVar[tuple[str, ...]] = ()  # the cores of a job's allocation, first set wins

    # --- a job's own environment -----------------------------------------------------------------------
    @classmethod
    def job_from_env(cls, env: Mapping[str, str]) -> dict | None:
        """The job of this scheduler a process runs in, from its environment: {"scheduler", "id", "array_job_id",
        "array_index"}; None when `env` is not a job of this scheduler."""
        return None

    @classmethod
    def cores_from_env(cls, env: Mapping[str, str]) -> int | None:
        """The cores of the allocation a process runs in (the first of `core_variables` holding a positive
        count: "4", "4(x2)", "4,2" count 4), None when none does."""
        for name in cls.core_variables:
            try:
                n = int(str(env.get(name, "")).split("(")[0].split(",")[0])
            except ValueError:
                continue
            if n > 0:
                return n
        return None

    # --- commands --------------------------------------------------------------------------------------
    @classmethod
    def available(cls) -> bool:
        return True

    @classmethod
    def list_user_jobs(cls, user: str) -> list[tuple[str, str]]:
        """(job id, job name) of every job of `user` the scheduler lists."""
        return []

    @classmethod
    def cancel_argv(cls, job_ids: list[str]) -> list[str]:
        """The command that cancels these jobs."""
        return [cls.cancel_command, *job_ids]

    @classmethod
    def refusal_words(cls, rc: int, out: str, err: str) -> str:
        """What a scheduler command that failed (exit status `rc`) said, on one line."""
        return " ".join((err or out).split()) or f"exit status {rc}"

    @classmethod
    def cancel_jobs(cls, job_ids: list[str]) -> None:
        """Cancel jobs by id (blocking, bounded)."""
        if job_ids and cls.cancel_command:
            run_command_sync(cls.cancel_argv(job_ids))

    @classmethod
    def cancel_batch(cls, job_id: str) -> None:
        """Cancel one batch job (array jobs whole); SubmitError with the scheduler's words if it refuses."""
        if not cls.cancel_command:
            raise NotImplementedError
        try:
            rc, out, err = run_command_sync(cls.cancel_argv([job_id]))
        except (RuntimeError, OSError) as exc:
            raise SubmitError(cls.cancel_command, str(exc)) from None
        if rc != 0:
            raise SubmitError(cls.cancel_command, cls.refusal_words(rc, out, err))

    @classmethod
    async def accounting(cls, job_id: str) -> dict:
        """The scheduler's own figures for an ended job, normalised (see `accounting_record`): elapsed and CPU
        seconds, peak memory, cores and nodes allocated, core-hours; or `note`, in words, when it keeps none
        (`retry`: True when it may have them later, e.g. the job has not ended yet)."""
        return accounting_record(cls.name, job_id, note=f"{cls.name} keeps no accounting imjoy-hpc reads")

    @classmethod
    def accounting_id(cls, job: dict) -> str:
        """The id `accounting` takes for a batch task, from its summary.json's `job` (job_info)."""
        return str(job["id"])

    # --- batch runs (`imjoy-hpc submit` / `jobs`); a backend without jobs has none ----------------------
    @classmethod
    def batch_job_name(cls, slug: str, token: str) -> str:
        """A batch job's name from the plugin's slug and the submission's unique token."""
        return f"imjoy-batch-{slug[:32].strip('-')}-{token}"

    @classmethod
    def batch_header(cls, job: JobScript) -> list[str]:
        """The directive lines of a batch script for `job`."""
        raise ValueError(f"backend {cls.name!r} runs no batch jobs (use `imjoy-hpc run` to run here)")

    @classmethod
    def submit_batch(cls, script: Path, job: JobScript, options: BatchSettings) -> tuple[list[str], str]:
        """Submit the written script (from DIR/logs); (the command run, the job id). SubmitError if refused."""
        raise NotImplementedError

    @classmethod
    def batch_states(cls, records: list[dict]) -> tuple[dict[str, SchedulerView], str | None]:
        """The scheduler's view of each record's job (by record id); a warning when the scheduler fails."""
        return {str(r["id"]): SchedulerView() for r in records}, None


class JobQueueBatch(BatchScheduler):
    """Shared part of the dask-jobqueue schedulers: a profile as dask-jobqueue's Job keywords, batch headers from
    dask-jobqueue's own Job header. A subclass names dask-jobqueue's cluster class."""

    cluster_class_path: ClassVar[str]  # "dask_jobqueue.SLURMCluster"

    @classmethod
    def cluster_class(cls) -> type:
        """dask-jobqueue's cluster class for this scheduler (its `job_cls` writes the job header)."""
        module, _, attr = cls.cluster_class_path.rpartition(".")
        return getattr(importlib.import_module(module), attr)

    @classmethod
    def profile_job_kwargs(cls, p: Profile) -> dict:
        """The profile as dask-jobqueue Job keywords (gateway and batch alike); keys left out come from config."""
        kw: dict[str, Any] = dict(cores=p.cores, memory=p.memory,
                                  job_extra_directives=list(p.job_extra_directives) + cls.gpu_directives(p))
        for key in ("queue", "account", "walltime"):
            value = getattr(p, key)
            if value is not None:
                kw[key] = value
        if p.jobqueue_config:
            kw["config_name"] = p.jobqueue_config
        return kw

    @classmethod
    def gpu_directives(cls, p: Profile) -> list[str]:
        return []

    # --- batch scripts from dask-jobqueue's own Job header -----------------------------------------------
    @classmethod
    def batch_job_kwargs(cls, job: JobScript) -> dict:
        """Job keywords of a batch job (a subclass adapts them, e.g. SLURM's job_mem)."""
        kw = cls.profile_job_kwargs(job.profile)
        kw["job_name"] = job.job_name
        if job.directives_skip:
            kw["job_directives_skip"] = list(job.directives_skip)
        return kw

    @classmethod
    def batch_directives(cls, job: JobScript) -> list[str]:
        """Directives a batch job adds after the Job header (its log files, its array), without the prefix."""
        return []

    @classmethod
    def batch_header(cls, job: JobScript) -> list[str]:
        """dask-jobqueue's header for the profile (config honoured: skips, resource-spec, ...), then ours."""
        import dask.config

        job_cls = cls.cluster_class().job_cls
        kw = cls.batch_job_kwargs(job)
        config_name = kw.get("config_name") or job_cls.config_name
        # Its log directory lines name worker logs; a batch job logs to DIR/logs by batch_directives.
        with dask.config.set({f"jobqueue.{config_name}.log-directory": None}):
            header = job_cls(None, name="batch", **kw)
        ours = [d for d in cls.batch_directives(job) if not any(s in d for s in header.job_directives_skip)]
        return header.job_header.splitlines() + [f"{cls.directive_prefix} {d}" for d in ours]


class Cluster(abc.ABC):
    """One running Dask cluster for one profile shape; the manager does slot bookkeeping on top of it. Its
    scheduler's command line is `batch` (accounting, cancelling by id, listing jobs)."""

    batch: ClassVar[type[BatchScheduler]]

    def __init__(self, profile: Profile, *, job_name: str, log_dir: Path, cluster_name: str) -> None:
        self.profile = profile
        self.job_name = job_name
        self.log_dir = Path(log_dir)
        self.cluster_name = cluster_name
        self.cluster: Any = None
        self.security: Any = None  # distributed.Security when the profile asks for TLS (the default)
        self._job_ids: dict[str, str] = {}  # job name -> scheduler job id, kept after the job left (reports)
        self.stderr_files: dict[str, str] = {}  # job id -> stderr path the scheduler reported
        self.submit_failures: dict[str, str] = {}  # job name -> why the submit command failed (not yet handled)
        self._next_number = 0  # next job number (job names are never reused)

    @property
    def name(self) -> str:
        return self.batch.name

    @property
    def has_jobs(self) -> bool:
        """False for the local backend: workers are processes, not batch jobs."""
        return self.batch.has_jobs

    @abc.abstractmethod
    async def start(self) -> None:
        """Create and start `self.cluster` (asynchronous) with its scheduler in this process."""

    def make_security(self) -> Any:
        """TLS credentials for this cluster (files under the log directory), or None without TLS."""
        if not self.profile.tls:
            return None
        self.security = make_security(self.log_dir / f"tls-{self.cluster_name}")
        return self.security

    @property
    def scheduler(self) -> Any:
        """The in-process distributed Scheduler."""
        return self.cluster.scheduler

    @property
    def scheduler_address(self) -> str:
        return self.cluster.scheduler_address

    async def close(self) -> None:
        if self.cluster is not None:
            await asyncio.wait_for(self.cluster.close(), 60)

    # --- jobs (batch backends) -------------------------------------------------------------------------
    def job_names(self) -> list[str]:
        """Names of the jobs the cluster currently wants (submitted or about to be)."""
        return []

    def add_jobs(self, n: int) -> list[str]:
        """Submit `n` more jobs; their names."""
        raise NotImplementedError

    async def remove_jobs(self, names: list[str]) -> None:
        """Release jobs by name (their workers stop, the scheduler job is cancelled)."""

    def job_id(self, name: str) -> str | None:
        return None

    def job_of_worker(self, worker_name: str) -> str | None:
        """The job name a Dask worker belongs to."""
        return None

    async def query(self, job_ids: list[str]) -> dict[str, JobState]:
        """Current scheduler states of these jobs (jobs the scheduler no longer lists are left out)."""
        return {}

    async def final_state(self, job_id: str, wait: float = 8.0) -> JobState:
        """The job's final state, waiting (bounded by `wait` seconds) for the scheduler to settle it: looks at it
        (`final_look`) until the scheduler says it ended; at the deadline, the last state seen (a job no longer
        seen: COMPLETED, it left the queue)."""
        deadline = time.monotonic() + wait
        last: JobState | None = None
        while True:
            state, final = await self.final_look(job_id, last)
            if final or time.monotonic() > deadline:
                return state or JobState(job_id, "COMPLETED", "the job left the queue", fetched_at=time.monotonic())
            last = state
            await asyncio.sleep(FINAL_POLL)

    async def final_look(self, job_id: str, last: JobState | None) -> tuple[JobState | None, bool]:
        """One look of `final_state` at an ending job (`last`: what the previous look saw): its state now (None:
        not seen), and whether that is its final state."""
        return JobState(job_id, "UNKNOWN"), True

    def stderr_path(self, job_id: str) -> Path | None:
        return None

    async def predict_start(self, request: dict | None = None) -> StartPrediction:
        """When a job of this profile (changed by `request`: cores, memory, walltime, gpus, queue) would start if
        submitted now; a scheduler that cannot say answers with words."""
        return StartPrediction(None, self.no_estimate)

    @property
    def no_estimate(self) -> str:
        """Why a pending job has no predicted start (yet)."""
        return f"{self.name} does not predict start times"

    async def settle(self, job_ids: list[str], timeout: float) -> None:
        """Called by close() once `query` reports these jobs finished: wait (bounded) for any cleanup the
        scheduler still shows (a backend whose commands hide it overrides this)."""


class JobQueueCluster(Cluster):
    """Shared part of the dask-jobqueue clusters; `batch` is a `JobQueueBatch` (dask-jobqueue's cluster class,
    the profile as Job keywords)."""

    batch: ClassVar[type[JobQueueBatch]]

    def cluster_class(self) -> type:
        """dask-jobqueue's cluster class this cluster runs (its scheduler's)."""
        return self.batch.cluster_class()

    def cluster_kwargs(self) -> dict:
        """Keyword arguments for the dask-jobqueue cluster; keys left out are read by dask-jobqueue from config."""
        p = self.profile
        extra_args = list(p.worker_extra_args)
        extra_args += ["--resources", f"{SLOT_RESOURCE}={p.plugin_slots}"]
        # Worker HTTP endpoints stay on the node's loopback: nothing to expose.
        extra_args += ["--dashboard-address", "127.0.0.1:0"]
        scheduler_options = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
        scheduler_options.update(p.scheduler_options)
        kw: dict[str, Any] = self.batch.profile_job_kwargs(p)
        kw.update(
            processes=p.processes,
            job_name=self.job_name,
            log_directory=str(self.log_dir),
            job_script_prologue=dask_settings_exports() + list(p.job_script_prologue),
            worker_extra_args=extra_args,
            scheduler_options=scheduler_options,
            nanny=p.nanny,
            name=self.cluster_name,
            asynchronous=True,
            job_cls=self._recording(self.job_class()),
        )
        if p.interface is not None:
            kw["interface"] = p.interface
        if self.security is not None:
            kw["security"] = self.security
        return kw

    def job_class(self) -> type:
        """dask-jobqueue's Job class for this scheduler (a subclass may adapt it)."""
        return self.cluster_class().job_cls

    def _recording(self, job_cls: type) -> type:
        """`job_cls` whose submission failures are recorded for the manager (dask-jobqueue only logs them)."""
        backend = self

        class Recording(job_cls):  # type: ignore[misc, valid-type]
            async def _submit_job(self, script_filename: str) -> str:
                try:
                    return await super()._submit_job(script_filename)
                except Exception as exc:
                    backend.submit_failures[str(self.name)] = submit_error_text(exc)
                    raise

        Recording.__name__ = Recording.__qualname__ = job_cls.__name__
        return Recording

    async def start(self) -> None:
        private_dir(self.log_dir)
        self.make_security()
        cls = self.cluster_class()
        self.cluster = cls(**self.cluster_kwargs())
        await asyncio.wait_for(self.cluster, 60)
        await self.check_submission()

    async def check_submission(self) -> None:
        """Ask the scheduler whether a job script would be accepted (raise ValueError with its words if not)."""

    def job_script(self) -> str:
        return self.cluster.job_script()

    def job_names(self) -> list[str]:
        return list(self.cluster.worker_spec)

    def add_jobs(self, n: int) -> list[str]:
        before = set(self.cluster.worker_spec)
        # SpecCluster reuses the lowest free worker number, so a job name could come back after its job
        # ended; we key facts by job name, so numbers only ever grow.
        self.cluster._i = max(self.cluster._i, self._next_number)
        self.cluster.scale(jobs=len(before) + n)
        self._next_number = self.cluster._i + 1
        return [name for name in self.cluster.worker_spec if name not in before]

    async def remove_jobs(self, names: list[str]) -> None:
        await asyncio.wait_for(self.cluster.scale_down(list(names)), 60)

    def job_id(self, name: str) -> str | None:
        known = self._job_ids.get(name)
        if known is None:
            known = getattr(self.cluster.workers.get(name), "job_id", None)
            if known is not None:
                self._job_ids[name] = known
        return known

    def job_of_worker(self, worker_name: str) -> str | None:
        for name, spec in list(self.cluster.worker_spec.items()) + [(n, {}) for n in self.cluster.workers]:
            if str(worker_name) == str(name):
                return name
            for suffix in spec.get("group", ()):
                if str(worker_name) == f"{name}{suffix}":
                    return name
        # A job already dropped from the spec: worker names are "<job name>-<i>" with several processes.
        base, _, idx = str(worker_name).rpartition("-")
        if idx.isdigit() and base in self.cluster.workers:
            return base
        return None

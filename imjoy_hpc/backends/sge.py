"""Grid Engine (SGE, Son of Grid Engine, UGE) through dask-jobqueue's SGECluster, for the gateway and batch jobs.

Commands come from ``$SGE_ROOT/bin/<arch>/`` when SGE_ROOT is set (another scheduler's qsub may come first on
PATH), else from PATH. States from ``qstat -xml``, pending reasons from ``qstat -j`` ("scheduling info:"),
ended jobs from ``qacct -j`` (exit status, failed), cancelling with qdel.

Profile keys of their own: ``parallel-environment`` (``-pe <name> <cores>``: without one a job gets one slot)
and ``memory-resource``, the complex that carries memory on this site (``mem_free``, ``h_vmem``, UGE's
``m_mem_free``...), requested per slot as Grid Engine counts it. Without it memory only sizes the Dask worker.
Where ``h_vmem`` is requestable but not consumable it only becomes ``ulimit -v`` on the job: a Python worker's
virtual size is far above its resident memory, so such a limit kills workers that are well within their memory.
"""

from __future__ import annotations

import datetime
import getpass
import os
import re
import shlex
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from imjoy_hpc.backends.base import (JobQueueBatch, JobQueueCluster, JobState, SchedulerView, accounting_record,
                                     batch_query, clock_seconds, hms_walltime, run_command, run_command_sync,
                                     short_id, submitted_job_id, whole_mib)

if TYPE_CHECKING:
    from imjoy_hpc.batch.jobscript import JobScript
    from imjoy_hpc.cluster.profiles import Profile
    from imjoy_hpc.settings import BatchSettings

COMMANDS = ("qsub", "qstat", "qdel", "qacct")
SEPARATOR = re.compile(r"^={20,}\s*$", re.M)


def command(name: str) -> str:
    """Path of Grid Engine's `name`: under $SGE_ROOT/bin/<arch>/ when there, else from PATH, else `name`."""
    root = os.environ.get("SGE_ROOT")
    if root:
        found = sorted(Path(root, "bin").glob(f"*/{name}"))
        if found:
            return str(found[0])
    return shutil.which(name) or name


def state_word(letters: str) -> str:
    """qstat's state letters (qw, hqw, r, t, Rr, s, dr, Eqw, ...) as the words the manager reasons with."""
    if "d" in letters:
        return "COMPLETING"  # being deleted
    if "E" in letters or "q" in letters or "w" in letters:
        return "PENDING"
    if "s" in letters or "S" in letters or "T" in letters:
        return "SUSPENDED"
    if "t" in letters:
        return "CONFIGURING"
    if "r" in letters:
        return "RUNNING"
    return letters.upper() or "UNKNOWN"


def parse_tasks(text: str) -> list[int]:
    """qstat's <tasks>: "3", "2,3", "4-6:1" (first-last:step)."""
    out: list[int] = []
    for part in (text or "").split(","):
        m = re.fullmatch(r"\s*(\d+)(?:-(\d+)(?::(\d+))?)?\s*", part)
        if m:
            a, b, step = int(m[1]), int(m[2] or m[1]), int(m[3] or 1)
            out += list(range(a, b + 1, max(1, step)))
    return out


def parse_qstat_xml(text: str) -> list[dict[str, str]]:
    """`qstat -xml` job entries (running ones first), each as {tag: text} of its children."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    return [{child.tag: (child.text or "").strip() for child in job} for job in root.iter("job_list")]


def parse_blocks(text: str) -> list[dict[str, str]]:
    """`qstat -j` / `qacct -j` output: one dict per job block ("key: value" or "key value"; continuation lines
    joined with "; ")."""
    blocks = []
    for block in SEPARATOR.split(text):
        info: dict[str, str] = {}
        last = None
        for line in block.splitlines():
            if not line.strip():
                continue
            if line[0].isspace() and last:
                info[last] += "; " + line.strip()
                continue
            # qstat -j: "scheduling info:   ..."; qacct: "failed       100 : assumedly after job"
            m = re.match(r"(\S(?:[^:]*\S)?):(?:\s+|$)(.*)$", line) or re.match(r"(\w+)\s+(.*)$", line)
            if m:
                last = " ".join(m[1].split())
                info[last] = m[2].strip()
        if info:
            blocks.append(info)
    return blocks


def _start_seconds(text: str) -> float | None:
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except (TypeError, ValueError):
        return None


def _words(text: str) -> str:
    return " ".join(text.split())


def qacct_amount(text: str | None) -> float | None:
    """A qacct figure such as "4.402KB" or "1.250M": Son of Grid Engine prints counts scaled by powers of 1000
    with a unit letter (ru_maxrss "4.402KB" is 4402 KiB); the plain count, None when unreadable."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGTP]?)B?", (text or "").strip(), re.I)
    return float(m[1]) * 1000 ** " KMGTP".index(m[2].upper()) if m and m[2] else float(m[1]) if m else None


def qacct_accounting(job_id: str, acct: dict[str, str]) -> dict:
    """One `qacct -j` record as `accounting_record`: ru_wallclock, cpu, ru_maxrss (KiB; maxvmem when there is
    none), slots; one node (Grid Engine's record is per host: a parallel job's other hosts have records of their
    own)."""
    slots = (acct.get("slots") or "").strip()
    failed = (acct.get("failed") or "0").split(":")[0].strip()
    code = (acct.get("exit_status") or "").split()[0] if acct.get("exit_status") else None
    kib = qacct_amount(acct.get("ru_maxrss"))
    rss = round(kib * 1024) if kib else None  # the kernel's peak RSS, counted in KiB
    return accounting_record(
        "sge", job_id, source="qacct", state="COMPLETED" if failed == "0" and code == "0" else
        f"exit status {code}" + ("" if failed == "0" else f", failed {acct.get('failed')}"),
        elapsed=clock_seconds(acct.get("ru_wallclock")), cpu_seconds=clock_seconds(acct.get("cpu")),
        max_rss=rss if rss is not None else (round(qacct_amount(acct.get("maxvmem")) or 0) or None),
        cores=int(slots) if slots.isdigit() else None, nodes=1)


class SGEBatch(JobQueueBatch):
    """Grid Engine's command line (qsub/qstat/qdel/qacct, found by SGE_ROOT) and a Grid Engine job's environment."""

    name = "sge"
    walltime_note = "Grid Engine lets only a manager or an operator change a running job's h_rt (qalter)"
    cluster_class_path = "dask_jobqueue.SGECluster"
    directive_prefix = "#$"
    submit_command = "qsub"
    cancel_command = "qdel"
    logs_in_script = True
    array_index_variables = ("SGE_TASK_ID",)
    array_index_base = 1  # `qsub -t 1-N`: Grid Engine's task ids start at 1
    core_variables = ("NSLOTS",)  # the job's slots

    @classmethod
    def job_from_env(cls, env: Mapping[str, str]) -> dict | None:
        if not (env.get("JOB_ID") and env.get("SGE_ROOT")):
            return None
        task = env.get("SGE_TASK_ID")
        task = None if task in (None, "", "undefined") else task
        return {"scheduler": "sge", "id": env["JOB_ID"], "array_job_id": env["JOB_ID"] if task else None,
                "array_index": task}

    @classmethod
    def profile_job_kwargs(cls, p: Profile) -> dict:
        kw = super().profile_job_kwargs(p)
        if "account" in kw:
            kw["project"] = kw.pop("account")
        if p.walltime is not None:
            kw["walltime"] = hms_walltime(p.walltime)
        # The scripts are bash: also where a queue's shell_start_mode is posix_compliant (csh by default).
        extra = ["-S /bin/bash"]
        if p.parallel_environment:
            extra.append(f"-pe {p.parallel_environment} {p.cores}")
        kw["job_extra_directives"] = extra + kw["job_extra_directives"]
        resources = []
        if p.memory and p.memory_resource:
            slots = p.cores if p.parallel_environment else 1
            resources.append(f"{p.memory_resource}={whole_mib(p.memory, slots)}M")
        if p.gpus:
            resources.append(f"gpu={p.gpus}")
        if resources:  # else jobqueue.sge.resource-spec, as dask-jobqueue reads it
            kw["resource_spec"] = ",".join(resources)
        return kw

    @classmethod
    async def accounting(cls, job_id: str) -> dict:
        """Grid Engine's accounting file through `qacct -j` (written once the job has ended; "N.T" is task T of
        array job N)."""
        number, _, task = str(job_id).partition(".")
        argv = [command("qacct"), "-j", number] + (["-t", task] if task else [])
        try:
            rc, out, err = await run_command(argv)
        except (RuntimeError, OSError) as exc:
            return accounting_record("sge", job_id, note=f"qacct failed: {exc}", retry=True, source="qacct")
        records = [b for b in parse_blocks(out) if b.get("jobnumber", number) == number] if rc == 0 else []
        if not records:
            return accounting_record("sge", job_id, source="qacct", retry=True,
                                     note=f"Grid Engine has no accounting of job {job_id} (yet): qacct says "
                                          f"{_words(err or out) or f'exit status {rc}'!r}")
        return qacct_accounting(str(job_id), records[-1])

    @classmethod
    def accounting_id(cls, job: dict) -> str:
        task = job.get("array_index")
        return f"{job['id']}.{task}" if task else str(job["id"])

    @classmethod
    def available(cls) -> bool:
        return all(Path(command(c)).is_file() for c in COMMANDS)

    @classmethod
    def list_user_jobs(cls, user: str) -> list[tuple[str, str]]:
        rc, out, err = run_command_sync([command("qstat"), "-xml", "-u", user], timeout=15)
        if rc != 0:
            raise RuntimeError(f"qstat failed: {_words(err)}")
        jobs = {(j.get("JB_job_number", ""), j.get("JB_name", "")) for j in parse_qstat_xml(out)}
        return sorted(j for j in jobs if j[0])

    @classmethod
    def cancel_argv(cls, job_ids: list[str]) -> list[str]:
        return [command("qdel"), *job_ids]

    # --- batch jobs ------------------------------------------------------------------------------------
    @classmethod
    def submit_batch(cls, script: Path, job: JobScript, options: BatchSettings) -> tuple[list[str], str]:
        # The header's -cwd makes DIR/logs the job's directory: the scheduler's own output lands there.
        argv = [command("qsub"), "-terse", "-o", "scheduler.out"]
        if job.array_size is not None:
            argv += ["-t", f"1-{job.array_size}"]
        argv.append(str(script))
        rc, out, err = run_command_sync(argv, cwd=job.log_dir, timeout=60)
        return argv, short_id(submitted_job_id("qsub", rc, out, err))

    @classmethod
    def batch_states(cls, records: list[dict]) -> tuple[dict[str, SchedulerView], str | None]:
        """qstat's states: pending and running jobs (and array tasks, by index); ended jobs are not listed."""
        views = {str(r["id"]): SchedulerView() for r in records}
        if not records:
            return views, None
        rc, out, err, why = batch_query([command("qstat"), "-xml", "-u", getpass.getuser()])
        if why:
            return views, why
        by_id = {short_id(r["id"]): r for r in records}
        for job in parse_qstat_xml(out):
            rec = by_id.get(job.get("JB_job_number", ""))
            if rec is None or rec.get("job_name") not in (None, job.get("JB_name")):
                continue  # not ours, or a recycled id
            view, state = views[str(rec["id"])], state_word(job.get("state", ""))
            if rec.get("array") is None:
                view.by_index[None] = state
            else:
                for task in parse_tasks(job.get("tasks", "")):
                    view.by_index[task - cls.array_index_base] = state
        return views, None


class SGECluster(JobQueueCluster):
    """Dask workers in Grid Engine jobs."""

    batch = SGEBatch

    @property
    def no_estimate(self) -> str:
        return "Grid Engine does not predict when a job will start"

    def job_class(self) -> type:
        from dask_jobqueue.sge import SGEJob

        class GridEngineJob(SGEJob):
            """SGEJob with Grid Engine's own commands (found by SGE_ROOT, not only PATH)."""

            submit_command = shlex.quote(command("qsub"))
            cancel_command = shlex.quote(command("qdel"))

        return GridEngineJob

    # --- job facts -------------------------------------------------------------------------------------
    async def _qstat(self) -> list[dict[str, str]]:
        rc, out, err = await run_command([command("qstat"), "-xml", "-u", getpass.getuser()])
        if rc != 0:
            raise RuntimeError(f"qstat failed: {_words(err) or f'exit status {rc}'}")
        return parse_qstat_xml(out)

    async def _details(self, job_ids: list[str]) -> dict[str, dict[str, str]]:
        """`qstat -j` of these jobs by id (an unknown id makes it fail: then ask one by one)."""
        if not job_ids:
            return {}
        rc, out, _ = await run_command([command("qstat"), "-j", ",".join(job_ids)])
        if rc != 0 and len(job_ids) > 1:
            found: dict[str, dict[str, str]] = {}
            for jid in job_ids:
                found.update(await self._details([jid]))
            return found
        return {b["job_number"]: b for b in parse_blocks(out) if "job_number" in b}

    @staticmethod
    def _reason(info: dict[str, str], letters: str) -> str | None:
        if "E" in letters:
            return f"error state: {info.get('error reason 1') or info.get('error reason', 'see qstat -j')}"
        if "h" in letters:
            return "held"
        return info.get("scheduling info")

    async def query(self, job_ids: list[str]) -> dict[str, JobState]:
        if not job_ids:
            return {}
        wanted = {short_id(j): j for j in job_ids}
        now, wall = time.monotonic(), self.profile.walltime_seconds
        states: dict[str, JobState] = {}
        letters: dict[str, str] = {}
        for job in await self._qstat():
            jid = wanted.get(job.get("JB_job_number", ""))
            if jid is None or jid in states:
                continue
            letters[jid] = job.get("state", "")
            state = state_word(letters[jid])
            node = job.get("queue_name", "").partition("@")[2] or None
            left = None
            start = _start_seconds(job.get("JAT_start_time", ""))
            if state == "RUNNING" and wall is not None and start is not None:
                left = float(wall - (time.time() - start))
            states[jid] = JobState(jid, state, None, node, left, fetched_at=now)
        pending = [short_id(j) for j, st in states.items() if st.state == "PENDING"]
        for number, info in (await self._details(pending)).items():
            jid = wanted.get(number)
            if jid in states:
                states[jid].reason = self._reason(info, letters[jid])
        return states

    async def final_look(self, job_id: str, last: JobState | None) -> tuple[JobState | None, bool]:
        """From qstat while it lists the job, then from the accounting record (qacct -j)."""
        st = (await self.query([job_id])).get(job_id)
        if st is None:
            rc, out, _ = await run_command([command("qacct"), "-j", short_id(job_id)])
            records = parse_blocks(out) if rc == 0 else []
            if records:
                return self._accounted(job_id, records[-1]), True
        return st, False

    def _accounted(self, job_id: str, acct: dict[str, str]) -> JobState:
        failed = acct.get("failed", "0")
        code = acct.get("exit_status", "").split()[0] if acct.get("exit_status") else None
        wall = self.profile.walltime_seconds
        used = re.match(r"(\d+)", acct.get("ru_wallclock", ""))
        if failed.split(":")[0].strip() == "0" and code == "0":
            state = "COMPLETED"
        elif wall is not None and used and int(used[1]) >= wall - 1:
            state = "TIMEOUT"
        elif code in ("137", "143") and failed.startswith("100"):
            state = "CANCELLED"  # killed by qdel (or by an administrator)
        else:
            state = "FAILED"
        reason = None if failed.split(":")[0].strip() == "0" else failed
        node = acct.get("hostname") or None
        return JobState(job_id, state, reason, node, exit_code=code, fetched_at=time.monotonic())

    def stderr_path(self, job_id: str) -> Path | None:
        short = short_id(job_id)
        found = sorted(self.log_dir.glob(f"*.e{short}")) + sorted(self.log_dir.glob(f"*.o{short}"))  # -j y
        return found[0] if found else None

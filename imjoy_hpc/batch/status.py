"""States of submitted batch jobs: what the scheduler says while it knows the job (squeue / qstat), else what
the job's output says (summary.json: completed, failed or cancelled), and cancelling (scancel / qdel)."""

from __future__ import annotations

import getpass
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from imjoy_hpc.batch import BatchError
from imjoy_hpc.batch.records import save, short_id
from imjoy_hpc.batch.results import read_summary
from imjoy_hpc.backends.base import TERMINAL_STATES, run_command_sync

RUNNING_STATES = {"RUNNING", "COMPLETING", "EXITING", "CONFIGURING", "STAGE_OUT", "SIGNALING", "RESIZING"}
# Among the ended states of an array's tasks, the one the job is shown with (first present wins).
SEVERITY = ("FAILED", "OUT_OF_MEMORY", "TIMEOUT", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED", "CANCELLED",
            "UNKNOWN", "COMPLETED")
SUMMARY_STATES = {"completed": "COMPLETED", "failed": "FAILED", "cancelled": "CANCELLED"}


@dataclass
class SchedulerView:
    """What the scheduler lists for one record: states by array index (None: index unknown or single job)."""

    by_index: dict[int | None, str] = field(default_factory=dict)
    unindexed: list[str] = field(default_factory=list)  # PBS array tasks found by name (index not known)


def is_active(state: str) -> bool:
    return state not in TERMINAL_STATES and state not in ("UNKNOWN", "GONE")


def _indices(text: str) -> list[int | None]:
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


def query_slurm(records: list[dict]) -> tuple[dict[str, SchedulerView], str | None]:
    """squeue's states for these records' jobs (ended jobs stay listed for MinJobAge); (views, warning)."""
    views: dict[str, SchedulerView] = {}
    if not records:
        return views, None
    ids = sorted({short_id(r["id"]) for r in records})
    try:
        rc, out, err = run_command_sync(["squeue", "-h", "-t", "all", "-j", ",".join(ids), "-o", "%F|%K|%T"])
    except (RuntimeError, OSError) as exc:
        return views, f"squeue failed: {exc}"
    if rc != 0:
        if "Invalid job id" in err:  # none of them is known any more
            return views, None
        return views, f"squeue failed: {' '.join(err.split()) or f'exit status {rc}'}"
    for line in out.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 3:
            continue
        view = views.setdefault(parts[0], SchedulerView())
        for index in _indices(parts[1]):
            view.by_index[index] = parts[2]
    return {str(r["id"]): views.get(short_id(r["id"]), SchedulerView()) for r in records}, None


def query_pbs(records: list[dict]) -> tuple[dict[str, SchedulerView], str | None]:
    """qstat -f's states: a job by its id, array tasks also by the submission's unique job name."""
    from imjoy_hpc.backends.pbs import PBS_STATES, parse_qstat_full

    views = {str(r["id"]): SchedulerView() for r in records}
    if not records:
        return views, None
    try:
        rc, out, err = run_command_sync(["qstat", "-f"])
    except (RuntimeError, OSError) as exc:
        return views, f"qstat failed: {exc}"
    if rc != 0 and not out.strip():
        return views, f"qstat failed: {' '.join(err.split()) or f'exit status {rc}'}"
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


QUERIES = {"slurm": query_slurm, "pbs": query_pbs}


def query(records: list[dict]) -> tuple[dict[str, SchedulerView], list[str]]:
    """Scheduler views of every record (grouped by backend, one scheduler call each); warnings."""
    views: dict[str, SchedulerView] = {}
    warnings = []
    for backend in sorted({r.get("backend", "slurm") for r in records}):
        group = [r for r in records if r.get("backend", "slurm") == backend]
        fn = QUERIES.get(backend)
        if fn is None:
            warnings.append(f"unknown backend {backend!r} in job records")
            continue
        got, warning = fn(group)
        views.update(got)
        if warning:
            warnings.append(warning)
    return views, warnings


def task_dirs(record: dict) -> dict[int | None, Path]:
    out = Path(record["output"])
    if record.get("array") is None:
        return {None: out}
    return {i: out / str(i) for i in range(int(record["array"]))}


def job_status(record: dict, view: SchedulerView) -> dict:
    """{state, tasks: {index: {state, error, output}}, counts, active} of one record."""
    tasks: dict[str, dict] = {}
    ended = record.get("ended") or {}
    fallback = None
    if view.unindexed:
        active = [s for s in view.unindexed if is_active(s)]
        if active:
            fallback = "RUNNING" if any(s in RUNNING_STATES for s in active) else active[0]
    for index, directory in task_dirs(record).items():
        key = "-" if index is None else str(index)
        summary = read_summary(directory)
        sched = view.by_index.get(index)
        error = None
        if sched is not None and is_active(sched):
            state = sched
        elif summary is not None:
            state = SUMMARY_STATES.get(str(summary.get("status")), "UNKNOWN")
            if state == "COMPLETED" and not summary.get("complete"):
                state = "FAILED"
                error = "summary.json says completed but COMPLETE is missing"
            error = error or summary.get("error")
        elif fallback is not None:
            state = fallback
        elif sched is not None:
            state = sched
        elif key in ended:
            state = ended[key]
        elif record.get("cancelled"):
            state = "CANCELLED"
        else:
            state = "UNKNOWN"
        tasks[key] = {"state": state, "error": error, "output": str(directory)}
    counts = Counter(t["state"] for t in tasks.values())
    active = [s for s in counts if is_active(s)]
    # Tasks known by name only (PBS arrays) may still be finishing after writing their summaries.
    active += [s for s in view.unindexed if is_active(s)]
    if active:
        state = "RUNNING" if any(s in RUNNING_STATES for s in active) else sorted(active)[0]
    else:
        state = next((s for s in SEVERITY if s in counts), sorted(counts)[0] if counts else "UNKNOWN")
    return {"state": state, "tasks": tasks, "counts": dict(counts), "active": bool(active)}


def remember_ends(state_dir: Path, record: dict, view: SchedulerView, status: dict) -> None:
    """Keep the scheduler's word on tasks that ended without a summary (squeue forgets ended jobs)."""
    ended = dict(record.get("ended") or {})
    changed = False
    for key, task in status["tasks"].items():
        index = None if key == "-" else int(key)
        sched = view.by_index.get(index)
        if sched is not None and not is_active(sched) and task["state"] == sched and ended.get(key) != sched:
            ended[key] = sched
            changed = True
    if changed:
        record["ended"] = ended
        save(state_dir, record)


def cancel(state_dir: Path, record: dict) -> dict:
    """Cancel a recorded job (scancel / qdel); BatchError when it already ended or the scheduler refuses."""
    views, warnings = query([record])
    status = job_status(record, views.get(str(record["id"]), SchedulerView()))
    if not status["active"]:
        raise BatchError(f"job {record['id']} already ended ({status['state']}); nothing to cancel")
    command = ["scancel", str(record["id"])] if record.get("backend") == "slurm" else ["qdel", str(record["id"])]
    try:
        rc, out, err = run_command_sync(command)
    except (RuntimeError, OSError) as exc:
        raise BatchError(f"{command[0]} failed: {exc}") from None
    if rc != 0:
        raise BatchError(f"{command[0]} {record['id']} failed: {' '.join((err or out).split()) or rc}")
    import time

    record["cancelled"] = time.time()
    save(state_dir, record)
    return record

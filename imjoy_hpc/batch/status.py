"""States of submitted batch jobs: what the scheduler says while it knows the job (asked through the record's
backend), else what the job's output says (summary.json: completed, failed or cancelled), and cancelling."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from imjoy_hpc.backends import batch_scheduler
from imjoy_hpc.backends.base import TERMINAL_STATES, SchedulerView, SubmitError
from imjoy_hpc.batch import BatchError
from imjoy_hpc.batch.records import save
from imjoy_hpc.batch.results import SUMMARY, read_summary

__all__ = ["SchedulerView", "add_accounting", "cancel", "is_active", "job_status", "query", "remember_ends",
           "task_dirs"]

RUNNING_STATES = {"RUNNING", "COMPLETING", "EXITING", "CONFIGURING", "STAGE_OUT", "SIGNALING", "RESIZING"}
# Among the ended states of an array's tasks, the one the job is shown with (first present wins).
SEVERITY = ("FAILED", "OUT_OF_MEMORY", "TIMEOUT", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED", "CANCELLED",
            "UNKNOWN", "COMPLETED")
SUMMARY_STATES = {"completed": "COMPLETED", "failed": "FAILED", "cancelled": "CANCELLED"}


def is_active(state: str) -> bool:
    return state not in TERMINAL_STATES and state not in ("UNKNOWN", "GONE")


def query(records: list[dict]) -> tuple[dict[str, SchedulerView], list[str]]:
    """Scheduler views of every record (grouped by backend, one scheduler call each); warnings."""
    views: dict[str, SchedulerView] = {}
    warnings = []
    for backend in sorted({r.get("backend", "slurm") for r in records}):
        group = [r for r in records if r.get("backend", "slurm") == backend]
        try:
            cls = batch_scheduler(backend)
        except ValueError:
            warnings.append(f"unknown backend {backend!r} in job records")
            continue
        got, warning = cls.batch_states(group)
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
        tasks[key] = {"state": state, "error": error, "output": str(directory),
                      "resources": (summary or {}).get("resources")}
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
    """Keep the scheduler's word on tasks that ended without a summary (schedulers forget ended jobs)."""
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


def add_accounting(record: dict, status: dict) -> None:
    """The scheduler's own figures beside the plugin's (task["resources"]["scheduler"]) for every ended task that
    ran in a job: asked from the record's backend once the job has ended and kept in the task's summary.json
    (resources.scheduler), since schedulers forget ended jobs; an answer that may change later (the job still
    ending, the record not yet written) is shown, not kept."""
    import asyncio
    import json
    import os

    try:
        cls = batch_scheduler(record.get("backend", "slurm"))
    except ValueError:
        return
    wanted = {}
    for key, task in status["tasks"].items():
        directory = Path(task["output"])
        summary = read_summary(directory)
        job = (summary or {}).get("job")
        resources = (summary or {}).get("resources") or {}
        if resources.get("scheduler"):
            continue
        if is_active(task["state"]) or not job or not job.get("id"):
            continue
        wanted[key] = (directory, cls.accounting_id(job))
    if not wanted:
        return

    async def ask() -> list[dict]:
        gate = asyncio.Semaphore(8)  # an array's tasks: a few scheduler commands at a time

        async def one(job_id: str) -> dict:
            async with gate:
                return await cls.accounting(job_id)

        return await asyncio.gather(*(one(job_id) for _, job_id in wanted.values()))

    for (key, (directory, _)), figures in zip(wanted.items(), asyncio.run(ask())):
        task = status["tasks"][key]
        task["resources"] = {**(task.get("resources") or {}), "scheduler": figures}
        if figures.get("retry"):
            continue
        path = directory / SUMMARY
        try:
            data = json.loads(path.read_text())
            data["resources"] = {**(data.get("resources") or {}), "scheduler": figures}
            tmp = path.with_name(f".{SUMMARY}.{os.getpid()}")
            tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        except (OSError, ValueError):
            pass  # shown now; asked again next time


def cancel(state_dir: Path, record: dict) -> dict:
    """Cancel a recorded job through its backend; BatchError when it already ended or the scheduler refuses."""
    views, warnings = query([record])
    status = job_status(record, views.get(str(record["id"]), SchedulerView()))
    if not status["active"]:
        raise BatchError(f"job {record['id']} already ended ({status['state']}); nothing to cancel")
    try:
        batch_scheduler(record.get("backend", "slurm")).cancel_batch(str(record["id"]))
    except SubmitError as exc:
        raise BatchError(f"{exc.command} {record['id']} failed: {exc.words}") from None
    except ValueError as exc:  # an unknown backend in the record
        raise BatchError(str(exc)) from None
    record["cancelled"] = time.time()
    save(state_dir, record)
    return record

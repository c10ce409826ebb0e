"""`imjoy-hpc jobs`: the batch jobs submitted with `imjoy-hpc submit`, their states, and cancelling them."""

from __future__ import annotations

import argparse
import sys

HELP = "list the batch jobs submitted with `imjoy-hpc submit` and their states; cancel one"

EPILOG = """\
STATE is the scheduler's while it lists the job (PENDING, RUNNING, ...); once the job has left the
scheduler's list it is read from the output's summary.json: COMPLETED (DIR/COMPLETE exists), FAILED or
CANCELLED. TASKS: completed/all tasks of an array job."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("id", nargs="?", help="show this job in detail (each task's state, error and output)")
    parser.add_argument("--cancel", metavar="ID", help="cancel job ID (through its scheduler)")
    parser.add_argument("--forget", metavar="ID", help="remove job ID from the list (its output stays)")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="show the N newest jobs (0: all)")
    parser.add_argument("--json", action="store_true", help="print JSON: a list of jobs with state and tasks")
    parser.add_argument("--config", metavar="FILE", help="extra config file (YAML), layered over the site config")


def resources_line(resources: dict | None) -> str | None:
    """`used 1.3 cores on average (peak 2.0), 1.1 GiB at most, 0.05 core-h of 8 cores, 16GB asked: ...`."""
    used = (resources or {}).get("used")
    if not used:
        return None
    asked = resources.get("asked") or {}
    text = (f"used {used.get('average_cores', 0):.1f} cores on average (peak {used.get('peak_cores', 0):.1f}), "
            f"{(used.get('peak_rss') or 0) / 2**30:.1f} GiB at most in {used.get('elapsed', 0):.0f} s; asked "
            f"{asked.get('cores')} cores, {asked.get('memory')}")
    if used.get("core_hours") is not None:
        text += f"; {used['core_hours']:g} core-h charged"
    return text + (f"\n    next time: {used['suggestion']}" if used.get("suggestion") else "")


def scheduler_line(resources: dict | None) -> str | None:
    """The scheduler's own accounting of the task's job: `SLURM (sacct): 42 s elapsed, 30.1 s CPU, 1.1 GiB at
    most, 4 cores on 1 node, 0.0467 core-h`, or its words when it keeps none."""
    acct = (resources or {}).get("scheduler")
    if not acct:
        return None
    name = {"slurm": "SLURM", "pbs": "PBS", "sge": "Grid Engine"}.get(acct.get("scheduler"), acct.get("scheduler"))
    head = f"{name} ({acct['source']})" if acct.get("source") else str(name)
    figures = []
    if acct.get("elapsed") is not None:
        figures.append(f"{acct['elapsed']:.0f} s elapsed")
    if acct.get("cpu_seconds") is not None:
        figures.append(f"{acct['cpu_seconds']:.1f} s CPU")
    if acct.get("max_rss") is not None:
        figures.append(f"{acct['max_rss'] / 2**30:.2f} GiB at most")
    if acct.get("cores") is not None:
        nodes = acct.get("nodes")
        figures.append(f"{acct['cores']} core{'s' if acct['cores'] != 1 else ''}"
                       + (f" on {nodes} node{'s' if nodes != 1 else ''}" if nodes else ""))
    if acct.get("core_hours") is not None:
        figures.append(f"{acct['core_hours']:g} core-h")
    if acct.get("note"):
        figures.append(acct["note"])
    return f"{head}: {', '.join(figures)}"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def _tasks_column(record: dict, status: dict) -> str:
    if not record.get("array"):
        return "-"
    done = sum(n for s, n in status["counts"].items() if s == "COMPLETED")
    return f"{done}/{record['array']}"


def run(args: argparse.Namespace) -> int:
    import json

    from imjoy_hpc import config
    from imjoy_hpc.batch import BatchError, records
    from imjoy_hpc.commands import load_settings
    from imjoy_hpc.batch.status import SchedulerView, add_accounting, cancel, job_status, query, remember_ends

    settings = load_settings(args.config, "imjoy-hpc jobs")
    if settings is None:
        return 2
    try:
        state_dir = settings.state_path()
        if args.cancel:
            record = cancel(state_dir, records.find(state_dir, args.cancel))
            print(f"cancelled job {record['id']} ({record['plugin']} {record['call']}, output {record['output']})")
            return 0
        if args.forget:
            record = records.find(state_dir, args.forget)
            records.forget(state_dir, record["id"])
            print(f"forgot job {record['id']} (its output {record['output']} is kept)")
            return 0
        chosen = [records.find(state_dir, args.id)] if args.id else records.load_all(state_dir)
    except (BatchError, config.ConfigError) as exc:
        print(f"imjoy-hpc jobs: {exc}", file=sys.stderr)
        return 2
    if args.limit and args.limit > 0 and not args.id:
        chosen = chosen[-args.limit:]
    views, warnings = query(chosen)
    for warning in warnings:
        print(f"imjoy-hpc jobs: warning: {warning} (states below come from the outputs only)", file=sys.stderr)
    listed = []
    for record in chosen:
        view = views.get(str(record["id"]), SchedulerView())
        status = job_status(record, view)
        if not warnings:
            remember_ends(state_dir, record, view, status)
        if args.id:
            add_accounting(record, status)
        listed.append((record, status))
    if args.json:
        print(json.dumps([{**r, **s} for r, s in listed], indent=2, default=str))
        return 0
    if args.id:
        record, status = listed[0]
        print(_table([[k, str(v)] for k, v in (
            ("job", record["id"]), ("state", status["state"]), ("backend", record.get("backend")),
            ("profile", record.get("profile")), ("plugin", f"{record.get('plugin')} ({record.get('plugin_file')})"),
            ("call", record.get("call")), ("submitted", record.get("submitted_at")),
            ("output", record.get("output")), ("script", record.get("script")), ("logs", record.get("logs")))]))
        for key, task in status["tasks"].items():
            name = "task" if key == "-" else f"task {key}"
            line = f"{name}: {task['state']}  {task['output']}"
            if task.get("error"):
                line += f"\n    error: {str(task['error']).splitlines()[0]}"
            used = resources_line(task.get("resources"))
            if used:
                line += f"\n    {used}"
            accounted = scheduler_line(task.get("resources"))
            if accounted:
                line += f"\n    {accounted}"
            print(line)
        return 0
    if not listed:
        print("no batch jobs submitted (imjoy-hpc submit)")
        return 0
    rows = [["JOB", "STATE", "TASKS", "PROFILE", "PLUGIN", "CALL", "SUBMITTED", "OUTPUT"]]
    for record, status in listed:
        rows.append([str(record["id"]), status["state"], _tasks_column(record, status), str(record.get("profile")),
                     str(record.get("plugin")), str(record.get("call")),
                     str(record.get("submitted_at", ""))[:19].replace("T", " "), str(record.get("output"))])
    print(_table(rows))
    return 0

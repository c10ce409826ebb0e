"""Live gateway processes on disk (one record per run of a gateway, by its run id, `Gateway.run_id`), and
cancelling the jobs of gateways that died (no orphan jobs).

The records stay where earlier versions wrote them (`<state-dir>/sessions/<run id>.json`, field `session`), so
that a gateway finds the jobs of an older one that died."""

from __future__ import annotations

import getpass
import logging
import os
import re
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

from imjoy_hpc.pidfiles import pid_alive, read_record, write_record

if TYPE_CHECKING:
    from imjoy_hpc.settings import Settings

logger = logging.getLogger(__name__)

JOB_PREFIX = "imjoy-hpc"
RECORDS_DIR = "sessions"  # under the state directory (its name from when a gateway run was called a session)


def _clean(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", text)


def current_user() -> str:
    return _clean(getpass.getuser())


def job_name(run_id: str, user: str | None = None) -> str:
    """Name of every batch job of a gateway run: identifies the user and the gateway's run."""
    return f"{JOB_PREFIX}-{user or current_user()}-{_clean(run_id)}"


def run_of_job(name: str, user: str | None = None) -> str | None:
    """The gateway run a job name belongs to, if it is one of this user's imjoy-hpc jobs."""
    prefix = f"{JOB_PREFIX}-{user or current_user()}-"
    return name[len(prefix):] if name.startswith(prefix) and len(name) > len(prefix) else None


def records_dir(state_dir: str | os.PathLike) -> Path:
    path = Path(state_dir).expanduser() / RECORDS_DIR
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def record_gateway(state_dir: str | os.PathLike, run_id: str) -> Path:
    """Write this gateway process's live record (pid, host, start time)."""
    path = records_dir(state_dir) / f"{_clean(run_id)}.json"
    data = {"session": run_id, "pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    write_record(path, data)
    return path


def remove_record(state_dir: str | os.PathLike, run_id: str) -> None:
    try:
        (records_dir(state_dir) / f"{_clean(run_id)}.json").unlink()
    except FileNotFoundError:
        pass


def gateway_dead(state_dir: str | os.PathLike, run_id: str) -> bool:
    """True only on evidence: the gateway run's record is here, from this host, and its process is gone.

    A run without a record (another state directory, another gateway's tests) or recorded on another
    host is never judged dead: its jobs are not ours to cancel.
    """
    path = records_dir(state_dir) / f"{_clean(run_id)}.json"
    data = read_record(path)
    if data is None:
        return False
    if data.get("host") != socket.gethostname():
        return False
    return not pid_alive(int(data.get("pid", -1)), data.get("started"))  # a recycled pid is not the gateway's


def cancel_orphans(state_dir: str | os.PathLike, backends: list[str] | None = None,
                   settings: "Settings | dict | None" = None) -> list[str]:
    """Cancel this user's imjoy-hpc jobs whose gateway died (recorded in `state_dir`); their ids.

    Run at gateway start. Backends asked: `backends`, else those of the profiles in `settings` (the imjoy-hpc
    section), else every batch backend whose commands are installed. A scheduler that does not answer is
    logged and skipped, never fatal.
    """
    from imjoy_hpc.backends import backend_names, batch_scheduler
    from imjoy_hpc.settings import Settings

    if backends is None and settings is not None:
        backends = Settings.of(settings).profile_backends()
    user = current_user()
    cancelled: list[str] = []
    dead: set[str] = set()
    for name in backends if backends is not None else backend_names():
        try:
            cls = batch_scheduler(name)
        except ValueError:
            continue
        if not cls.has_jobs or not cls.available():
            continue
        try:
            listed = cls.list_user_jobs(getpass.getuser())
        except (RuntimeError, OSError) as exc:
            logger.warning("could not look for orphan %s jobs: %s", name, exc)
            continue
        orphans = []
        for job_id, jname in listed:
            run_id = run_of_job(jname, user)
            if run_id is None or job_id in cancelled:
                continue
            if run_id in dead or gateway_dead(state_dir, run_id):
                dead.add(run_id)
                orphans.append(job_id)
        if orphans:
            logger.warning("cancelling %d job(s) left by dead imjoy-hpc gateways: %s", len(orphans), orphans)
            try:
                cls.cancel_jobs(orphans)
            except (RuntimeError, OSError) as exc:
                logger.warning("could not cancel orphan %s jobs %s: %s", name, orphans, exc)
                continue
            cancelled += orphans
    for run_id in dead:
        remove_record(state_dir, run_id)
    return cancelled

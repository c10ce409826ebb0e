"""The user's list of submitted batch jobs: one JSON file per job in ``<state-dir>/jobs/`` (0700 / 0600)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from imjoy_hpc.backends.base import short_id
from imjoy_hpc.batch import BatchError
from imjoy_hpc.files import write_atomic


def jobs_dir(state_dir: str | os.PathLike) -> Path:
    path = Path(state_dir).expanduser() / "jobs"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def _file(state_dir: str | os.PathLike, job_id: str) -> Path:
    return jobs_dir(state_dir) / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', str(job_id))}.json"


def save(state_dir: str | os.PathLike, record: dict) -> Path:
    """Write (or replace) a job's record atomically."""
    path = _file(state_dir, record["id"])
    write_atomic(path, json.dumps(record, indent=2))
    return path


def load_all(state_dir: str | os.PathLike) -> list[dict]:
    """Every recorded job, oldest first (unreadable files are skipped)."""
    records = []
    for path in jobs_dir(state_dir).glob("*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "id" in data:
            records.append(data)
    return sorted(records, key=lambda r: (r.get("submitted") or 0, str(r["id"])))


def find(state_dir: str | os.PathLike, job_id: str) -> dict:
    """The record of job `job_id` (its full id or its number); BatchError naming the known ids if none."""
    records = load_all(state_dir)
    exact = [r for r in records if str(r["id"]) == str(job_id)]
    if exact:
        return exact[-1]
    by_number = [r for r in records if short_id(r["id"]) == short_id(job_id)]
    if len(by_number) == 1:
        return by_number[0]
    known = ", ".join(str(r["id"]) for r in records[-10:]) or "none"
    raise BatchError(f"no imjoy-hpc batch job {job_id!r} in {jobs_dir(state_dir)} (recent jobs: {known})")


def forget(state_dir: str | os.PathLike, job_id: str) -> None:
    _file(state_dir, job_id).unlink(missing_ok=True)

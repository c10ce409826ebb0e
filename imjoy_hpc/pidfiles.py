"""Records on disk of live gateway processes (the background gateway, each gateway session): JSON with the
process's pid, written atomically 0600, read back and judged alive by that pid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psutil

from imjoy_hpc.files import write_atomic


def write_record(path: Path, info: dict) -> None:
    """Record `info` (0600: a record may hold a token)."""
    write_atomic(path, json.dumps(info))


def read_record(path: Path) -> Any:
    """The record's JSON value, None when the file is missing or not JSON."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int, started: float | None = None) -> bool:
    """Whether process `pid` exists; given `started` (when it was recorded, epoch seconds), a process created
    after that (a recycled pid) or one we may not inspect does not count."""
    if started is None:
        return psutil.pid_exists(pid)
    try:
        return psutil.Process(pid).create_time() <= started + 1.0
    except Exception:  # psutil.NoSuchProcess, AccessDenied on a foreign pid, a negative pid
        return False

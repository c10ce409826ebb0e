"""Whether a recorded process still runs."""

from __future__ import annotations

import psutil


def pid_alive(pid: int, started: float | None = None) -> bool:
    """Whether process `pid` exists; given `started` (when it was recorded, epoch seconds), a process created
    after that (a recycled pid) or one we may not inspect does not count."""
    if started is None:
        return psutil.pid_exists(pid)
    try:
        return psutil.Process(pid).create_time() <= started + 1.0
    except Exception:  # psutil.NoSuchProcess, AccessDenied on a foreign pid, a negative pid
        return False

"""Child processes of a plugin's start (builds, the plugin process): tied to their parent, stopped as a group."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess


def die_with_parent() -> None:
    """Linux: get SIGTERM when the thread that started us dies, so nothing outlives the worker that wanted it
    (in a child: use as preexec_fn, or call first thing)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """Stop the process group `proc` leads: SIGTERM, then SIGKILL after `grace` seconds (at once with 0)."""
    try:
        if grace > 0:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(grace)
                return
            except subprocess.TimeoutExpired:
                pass
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

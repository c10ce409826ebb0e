"""The user's gateway as a background service: its state file, detach, re-attach, info and stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from imjoy_hpc.files import open_private, tail
from imjoy_hpc.pidfiles import pid_alive, read_record, write_record

STATE_FILE = "gateway.json"
LOG_FILE = "gateway.log"


def state_path(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def write_state(state_dir: Path, info: dict) -> None:
    """Record the running gateway (0600: it holds the token)."""
    write_record(state_path(state_dir), info)


def read_state(state_dir: Path) -> dict | None:
    """The running gateway's record, or None (a stale record of a dead gateway is removed)."""
    path = state_path(state_dir)
    info = read_record(path)
    if info is None:
        return None
    if not isinstance(info, dict) or not isinstance(info.get("pid"), int) or not pid_alive(info["pid"]):
        path.unlink(missing_ok=True)
        return None
    return info


def clear_state(state_dir: Path, pid: int) -> None:
    info = read_state(state_dir)
    if info is None or info.get("pid") == pid:
        state_path(state_dir).unlink(missing_ok=True)


def log_tail(state_dir: Path, lines: int = 30) -> str:
    return tail(state_dir / LOG_FILE, lines, max_bytes=None, missing="(no log)")


def start_detached(state_dir: Path, argv: list[str], env: dict, timeout: float = 90.0,
                   stdin_text: str | None = None) -> dict:
    """Start `imjoy-hpc serve` in its own session (it survives the SSH session) and wait until it is ready.
    `stdin_text` (a pinned token) reaches it on its standard input, never in its arguments or environment."""
    log = open_private(state_dir / LOG_FILE)
    proc = subprocess.Popen([sys.executable, "-m", "imjoy_hpc", "serve", *argv],
                            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, close_fds=True)
    log.close()
    if stdin_text is not None:
        proc.stdin.write(stdin_text.encode())
        proc.stdin.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = read_state(state_dir)
        if info is not None and info.get("pid") == proc.pid:
            return info
        if proc.poll() is not None:
            raise RuntimeError(f"the gateway exited with code {proc.returncode} while starting; its log ends with:\n"
                               f"{log_tail(state_dir)}")
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGTERM)
    raise RuntimeError(f"the gateway did not become ready within {timeout:.0f} s; its log ends with:\n"
                       f"{log_tail(state_dir)}")


def stop(state_dir: Path, timeout: float = 90.0) -> dict | None:
    """SIGTERM the user's gateway and wait until it has stopped its plugins and jobs and exited."""
    info = read_state(state_dir)
    if info is None:
        return None
    os.kill(info["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(info["pid"]):
        time.sleep(0.2)
    if pid_alive(info["pid"]):
        raise RuntimeError(f"the gateway (pid {info['pid']}) did not stop within {timeout:.0f} s")
    state_path(state_dir).unlink(missing_ok=True)
    return info

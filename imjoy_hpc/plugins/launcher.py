"""The long-running Dask task that starts one plugin process on a worker and waits for it to end."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

LOG_TAIL_LINES = 40


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 32768))
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def job_id_from_env() -> str | None:
    """The batch job this process runs in, if any."""
    return os.environ.get("SLURM_JOB_ID") or os.environ.get("PBS_JOBID")


def launch_plugin(payload: dict[str, Any]) -> dict[str, Any]:
    """Prepare the plugin's Python (cached requirements environment), start `imjoy_hpc.plugins.host` with the
    bootstrap on stdin (the one-time secret never appears on a command line), and wait until it exits."""
    log_file = Path(payload["log_file"])
    log_file.parent.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    with open(log_file, "ab", buffering=0) as log:
        def note(line: str) -> None:
            log.write(f"[imjoy-hpc] {line}\n".encode())

        if payload.get("requirements") or payload.get("env"):
            from imjoy_hpc.plugins.envs import ensure_environment

            info = ensure_environment(
                payload.get("requirements"), cache_dir=Path(payload["env_cache"]), python=python,
                allow_install=payload.get("allow_install", True), log=note, name=payload["name"],
                env=payload.get("env"), allow_commands=payload.get("allow_commands", False),
            )
            python = info.python
        env = dict(os.environ)
        env.update({"PYTHONUNBUFFERED": "1", "IMJOY_HPC_INSTANCE": payload["instance_id"]})
        if payload.get("scheduler_address"):
            env["DASK_SCHEDULER_ADDRESS"] = payload["scheduler_address"]
        note(f"starting plugin {payload['name']} on {socket.gethostname()} (job {job_id_from_env()})")
        proc = subprocess.Popen(
            [python, "-m", "imjoy_hpc.plugins.host"],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=env,
            cwd=payload.get("work_dir") or None, close_fds=True,
        )
        try:
            proc.stdin.write(json.dumps(payload["bootstrap"]).encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        exit_code = proc.wait()
        note(f"plugin process exited with code {exit_code}")
    return {"exit_code": exit_code, "log_tail": _tail(log_file), "node": socket.gethostname(), "pid": proc.pid,
            "job_id": job_id_from_env()}

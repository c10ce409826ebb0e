"""The long-running Dask task that prepares a plugin's environment, starts the plugin process on a worker and
waits for it to end; it stops both (whole process groups) as soon as the gateway abandons the start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from imjoy_hpc.backends import job_id
from imjoy_hpc.cluster.tasks import TaskLink, current_link
from imjoy_hpc.files import open_private, private_dir, tail
from imjoy_hpc.plugins.launch_request import LaunchRequest
from imjoy_hpc.plugins.processes import stop_group
from imjoy_hpc.plugins.usage import INTERVAL as USAGE_INTERVAL, UsageSampler
from imjoy_hpc.plugins.unpinned import VARIABLE as PINNED, pinned_names

LOG_TAIL_LINES = 40
WATCH_INTERVAL = 0.3


def _tail(path: Path) -> str:
    return tail(path, LOG_TAIL_LINES, max_bytes=32768)


class _Watcher:
    """One thread per worker process that sets the `stop` event of every plugin start the gateway has abandoned
    (the plugins themselves wait without polling: 200 plugins cost no wake-ups)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[int, tuple[TaskLink, threading.Event]] = {}
        self._thread: threading.Thread | None = None

    def watch(self, link: TaskLink, stop: threading.Event) -> int:
        with self._lock:
            token = id(stop)
            self._watched[token] = (link, stop)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="imjoy-hpc-watch")
                self._thread.start()
            return token

    def forget(self, token: int) -> None:
        with self._lock:
            self._watched.pop(token, None)

    def _run(self) -> None:
        while True:
            time.sleep(WATCH_INTERVAL)
            with self._lock:
                watched = list(self._watched.values())
            for link, stop in watched:
                if not stop.is_set() and link.abandoned():
                    stop.set()


_watcher = _Watcher()


class _Exit:
    """Waits (in wait4, no polling) for the plugin process to exit, then wakes its task; keeps the resources the
    kernel counted for it (its CPU time and peak memory, also when it lived shorter than a usage sample)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.rusage: Any = None
        self.done = threading.Event()

    def wait(self, stop: threading.Event) -> None:
        try:
            _, status, self.rusage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(status)
        except ChildProcessError:  # reaped by Popen meanwhile (stop_group waits for it)
            self.proc.wait()
        self.done.set()
        stop.set()


def launch_plugin(payload: LaunchRequest) -> dict[str, Any]:
    """Prepare the plugin's environment (cached pip/conda environment, reported to the gateway as `installing`),
    start `imjoy_hpc.plugins.host` with the bootstrap on stdin (the one-time secret never appears on a command
    line), and wait until it exits."""
    log_file = Path(payload.log_file)
    private_dir(log_file.parent)
    link = current_link()
    stop = threading.Event()  # set when the gateway abandons the start, or when the plugin process exits
    token = _watcher.watch(link, stop)
    try:
        with open_private(log_file, "ab", buffering=0) as log:
            return _launch(payload, log, log_file, link, stop)
    finally:
        _watcher.forget(token)


def _launch(payload: LaunchRequest, log: Any, log_file: Path, link: TaskLink, stop: threading.Event) -> dict[str, Any]:
    def note(line: str) -> None:
        log.write(f"[imjoy-hpc] {line}\n".encode())

    warned: set[str] = set()

    def warn(text: str) -> None:
        """Into the plugin's log and to the gateway (its client sees it), once each."""
        if text not in warned:
            warned.add(text)
            note(f"warning: {text}")
            link.emit("warning", text=text)

    for text in payload.warnings:
        warn(text)

    python, env = sys.executable, dict(os.environ)
    work_dir = payload.work_dir
    if payload.builds_environment:
        from imjoy_hpc.plugins.envs import EnvError, ensure_environment

        installing = False

        def progress(text: str) -> None:
            nonlocal installing
            installing = True
            link.emit("installing", text=text)

        try:
            info = ensure_environment(
                payload.requirements, cache_dir=Path(payload.env_cache), python=python,
                allow_install=payload.allow_install, log=note, name=payload.name,
                env=payload.env, allow_commands=payload.allow_commands,
                timeout=float(payload.install_timeout), stop=stop, progress=progress,
                conda=payload.conda, work_dir=Path(work_dir) if work_dir else None,
                warn=warn, resolve_as_of=payload.resolve_as_of,
            )
        except EnvError as exc:
            note(f"environment failed: {exc}")
            raise type(exc)(f"{exc} (full log: {log_file})") from None
        if installing:
            link.emit("installed")
        python = info.python
        env.update(info.variables)
        if info.requirements and info.requirements.pip and not payload.resolve_as_of:
            # errors from packages it did not pin end with a hint (plugins.unpinned)
            env[PINNED] = ",".join(pinned_names(info.requirements.pip))
        work_dir = str(info.work_dir) if info.work_dir else work_dir
    if work_dir is None and payload.plugin_home:
        # a plugin given as source text works in a directory of its own (as ImJoy's workspace directory), not
        # wherever the gateway or its worker was started
        work_dir = payload.plugin_home
        private_dir(work_dir)
    env.update({"PYTHONUNBUFFERED": "1", "IMJOY_HPC_INSTANCE": payload.instance_id})
    if payload.scheduler_address:
        env["DASK_SCHEDULER_ADDRESS"] = payload.scheduler_address
    if stop.is_set():
        note("start abandoned before the plugin process started")
        return {"exit_code": None, "log_tail": _tail(log_file), "node": socket.gethostname(), "pid": None,
                "job_id": job_id(), "abandoned": True}
    note(f"starting plugin {payload.name} on {socket.gethostname()} (job {job_id()})")
    proc = subprocess.Popen(
        [python, "-m", "imjoy_hpc.plugins.host"],
        stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=env,
        cwd=work_dir, close_fds=True, start_new_session=True,
    )
    try:
        proc.stdin.write(payload.bootstrap.to_json().encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    sampler = UsageSampler(proc.pid, lambda sample: link.emit("usage", **sample),
                           float(payload.usage_interval or USAGE_INTERVAL)).start()
    exited = _Exit(proc)
    threading.Thread(target=exited.wait, args=(stop,), daemon=True, name="imjoy-hpc-exit").start()
    stop.wait()
    if not exited.done.is_set():
        sampler.sample()  # its last figures while it is still there
        note("the gateway abandoned the plugin: stopping its process group")
        stop_group(proc)
    exited.done.wait(30)
    exit_code = proc.wait()
    usage = sampler.stop(exited.rusage)
    link.emit("usage", final=True, **usage)  # also when the gateway stopped it (its task's result is dropped then)
    note(f"plugin process exited with code {exit_code}")
    return {"exit_code": exit_code, "log_tail": _tail(log_file), "node": socket.gethostname(), "pid": proc.pid,
            "job_id": job_id()}
